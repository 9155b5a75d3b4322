"""Investigations as stored: what was asked, what the chain said, the verdict given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from investigations.types import UTCDateTime, utcnow


class Investigation(SQLModel, table=True):
    __tablename__ = "investigations"
    __table_args__ = (
        Index("ix_investigations_recheck", "final", "next_check_at"),
        Index("ix_investigations_stats", "created_at", "channel", "code"),  # SLA figures: index-only scans
    )

    id: str = Field(primary_key=True, max_length=32)
    chain: str = Field(max_length=8)
    tx_hash: str = Field(max_length=80, index=True)
    address: str | None = Field(default=None, max_length=128)
    player_ref: str | None = Field(default=None, max_length=128)
    ticket_ref: str | None = Field(default=None, max_length=128, index=True)
    code: str = Field(max_length=32, index=True)
    final: bool
    verdict: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status_token_hash: str = Field(max_length=64, unique=True)  # sha256 of the player's link token
    status_nonce: str = Field(max_length=32)
    status_revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    final_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    next_check_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    history: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    channel: str = Field(default="api", max_length=16, sa_column_kwargs={"server_default": "api"})
    payout_id: str | None = Field(default=None, max_length=128, index=True)  # a payout investigation (issue 25)
    # Who asked: the trail's actor (agent:NAME, token:NAME, cli); None for a helpdesk's, a bot's or the
    # auditor's (and for old rows the trail did not name). Agents see theirs and their tickets' only.
    run_by: str | None = Field(default=None, max_length=160, index=True)


class SearchRecord(SQLModel, table=True):
    """A no-hash search as run: the query, what was searched, and its candidates (investigation ids)."""

    __tablename__ = "searches"

    id: str = Field(primary_key=True, max_length=32)
    player_ref: str | None = Field(default=None, max_length=128, index=True)
    address: str | None = Field(default=None, max_length=128)
    query: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    candidate_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    searched: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # chain -> kinds searched
    not_searched: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # chain -> {kind: why not}
    complete: bool
    total: int  # transactions listed in the window (all pages)
    run_by: str | None = Field(default=None, max_length=160, index=True)  # as Investigation.run_by
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
