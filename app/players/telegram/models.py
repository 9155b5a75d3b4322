"""What the bot keeps: updates seen (each handled once), the deposits a chat asked about, and the
tickets opened for a player's question (`Handover`, shared with Discord: `app.players.models`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.players.models import Handover
from investigations.types import UTCDateTime, utcnow

__all__ = ["ChatWatch", "Handover", "TelegramUpdate"]


class TelegramUpdate(SQLModel, table=True):
    __tablename__ = "telegram_updates"

    update_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class ChatWatch(SQLModel, table=True):
    """A chat that asked about an investigation hears once of each change of its state."""

    __tablename__ = "chat_watches"
    __table_args__ = (Index("ix_chat_watches_investigation", "investigation_id"),)

    chat_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    investigation_id: str = Field(primary_key=True, max_length=32)
    last_state: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
