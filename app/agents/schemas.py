"""Request and response shapes of the agents' JSON API: investigations (the HTTP contract of DESIGN.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from chains.base import Chain
from investigations.inputs import UnstorableText, storable
from investigations.models import Investigation

# Every chain a request may name, for the OpenAPI descriptions (kept in step with Chain).
CHAIN_DESCRIPTION = "one of " + ", ".join(chain.value for chain in Chain)


class InvestigationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    payout_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="a payout record's id: investigates that withdrawal"
    )
    tx_hash: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        validate_default=True,
        description="BTC or TRON txid (64 hex), or 0x… hash of an EVM network (required unless payout_id is given)",
    )
    address: str | None = Field(default=None, max_length=128, description="wallet address on the ticket")
    chain: str | None = Field(default=None, max_length=8, description=CHAIN_DESCRIPTION + "; detected when absent")
    player_ref: str | None = Field(default=None, max_length=128)
    ticket_ref: str | None = Field(default=None, max_length=128)

    @field_validator("tx_hash")
    @classmethod
    def _hash_or_payout(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not info.data.get("payout_id"):
            raise PydanticCustomError("missing", "Field required")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        try:
            return storable(value)
        except UnstorableText as exc:
            raise ValueError(str(exc)) from None


class VerdictOut(BaseModel):
    code: str
    final: bool
    summary: str
    action: str
    player_message: dict[str, str]
    next_check_at: str | None = None


class InvestigationOut(BaseModel):
    id: str
    chain: str
    tx_hash: str
    address: str | None
    player_ref: str | None
    ticket_ref: str | None
    created_at: str
    verdict: VerdictOut
    evidence: dict[str, Any]
    status_url: str
    history: list[dict[str, Any]] = []  # earlier verdicts of this investigation, oldest first
    payout_id: str | None = None  # set when the investigation judges a payout (withdrawal)

    @classmethod
    def of(cls, record: Investigation, public_base_url: str, status_token: str) -> InvestigationOut:
        return cls(
            id=record.id,
            chain=record.chain,
            tx_hash=record.tx_hash,
            address=record.address,
            player_ref=record.player_ref,
            ticket_ref=record.ticket_ref,
            created_at=record.created_at.isoformat(),
            verdict=VerdictOut(**record.verdict),
            evidence=record.evidence,
            status_url=f"{public_base_url}/s/{status_token}",
            history=record.history or [],
            payout_id=record.payout_id,
        )
