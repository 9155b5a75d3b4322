"""What the players' conversation keeps whatever the messenger: the tickets opened for a player's
question (one per player, or unlinked chat, and deposit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from investigations.types import UTCDateTime, utcnow


class Handover(SQLModel, table=True):
    """A question handed to a person: `key` is the player (or chat) and the deposit it is about;
    `chat_id` on `network` is told the ticket's reference."""

    __tablename__ = "handovers"

    key: str = Field(primary_key=True, max_length=200)
    chat_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    network: str = Field(default="telegram", max_length=16)
    investigation_id: str | None = Field(default=None, max_length=32)
    helpdesk: str = Field(max_length=32)
    ticket_ref: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
