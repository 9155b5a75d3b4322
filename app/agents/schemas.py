"""Request and response shapes of the JSON API (the HTTP contract of DESIGN.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from investigations.inputs import UnstorableText, storable
from investigations.models import Investigation


class InvestigationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tx_hash: str = Field(min_length=1, max_length=200, description="BTC txid or 0x… Ethereum hash")
    address: str | None = Field(default=None, max_length=128, description="wallet address on the ticket")
    chain: str | None = Field(default=None, max_length=8, description="btc or eth; detected when absent")
    player_ref: str | None = Field(default=None, max_length=128)
    ticket_ref: str | None = Field(default=None, max_length=128)

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
        )


class UpsertOut(BaseModel):
    received: int
    created: int
    updated: int
    unchanged: int


class TelegramLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    player_ref: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")


class TelegramLinkOut(BaseModel):
    url: str = Field(description="t.me deep link to show the player; works once")
    expires_at: str


def json_list_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON list of `model` as the request body of a route that reads
    its body itself (definitions inlined, so the document needs no extra components)."""
    schema = TypeAdapter(list[model]).json_schema()  # type: ignore[valid-type]
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}
