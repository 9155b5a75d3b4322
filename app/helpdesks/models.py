"""What the helpdesk side remembers: deliveries (for de-duplication), which ticket asked about
which transaction, and every note we wrote or meant to write (for idempotent write-back)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from investigations.types import UTCDateTime, utcnow


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("helpdesk", "delivery_id", name="uq_webhook_delivery"),
        UniqueConstraint("helpdesk", "replay_key", name="uq_webhook_replay"),
    )

    id: int | None = Field(default=None, primary_key=True)
    helpdesk: str = Field(max_length=16)
    delivery_id: str = Field(max_length=128)
    replay_key: str | None = Field(default=None, max_length=64)  # sha256 of what the signature covers
    ticket_ref: str = Field(max_length=128)
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class TicketLink(SQLModel, table=True):
    """A ticket asked about a transaction; the investigation that answers it, and what we last told it."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("helpdesk", "ticket_ref", "tx_hash", name="uq_ticket_link"),
        Index("ix_ticket_links_received_at", "received_at"),  # SLA figures by period
    )

    id: int | None = Field(default=None, primary_key=True)
    helpdesk: str = Field(max_length=16)
    ticket_ref: str = Field(max_length=128)
    tx_hash: str = Field(max_length=80)
    investigation_id: str = Field(max_length=32, index=True)
    language: str = Field(default="en", max_length=2)
    last_noted_code: str | None = Field(default=None, max_length=32)
    escalated: bool = False
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class TicketNote(SQLModel, table=True):
    """One note for one ticket, identified by its marker; `written` once the helpdesk has it, and
    `tags_status` `done` once its tags are on the ticket (a step of its own, retried until done)."""

    __tablename__ = "ticket_notes"
    __table_args__ = (
        UniqueConstraint("helpdesk", "ticket_ref", "marker", name="uq_ticket_note"),
        Index("ix_ticket_notes_received_at", "received_at"),  # SLA figures: webhook to first note
    )

    id: int | None = Field(default=None, primary_key=True)
    helpdesk: str = Field(max_length=16)
    ticket_ref: str = Field(max_length=128)
    marker: str = Field(max_length=128)
    investigation_id: str | None = Field(default=None, max_length=32)
    code: str = Field(max_length=32)
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | written
    tags_status: str = Field(default="pending", max_length=16)  # pending | done
    remote_id: str | None = Field(default=None, max_length=128)
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    written_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
