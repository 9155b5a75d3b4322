"""What the Discord bot keeps: the players' Discord accounts (linked while `player_ref` is set, with
the token of their latest interaction while it lives, for follow-ups), the interactions received
(each answered once), and the deposits each account watches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from investigations.types import UTCDateTime, utcnow


class DiscordUser(SQLModel, table=True):
    """A player's Discord account; `chat_id` is the Discord user id (the conversation's chat)."""

    __tablename__ = "discord_users"

    chat_id: int = Field(sa_column=Column("user_id", BigInteger(), primary_key=True, autoincrement=False))
    player_ref: str | None = Field(default=None, max_length=128, index=True)
    language: str | None = Field(default=None, max_length=8)
    linked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # The latest interaction's token: follow-ups go through it while it lives (15 minutes), else by DM.
    token: str | None = Field(default=None, max_length=512, repr=False)
    token_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DiscordInteraction(SQLModel, table=True):
    """An interaction id seen: a replay of it is refused, never answered nor investigated twice."""

    __tablename__ = "discord_interactions"

    interaction_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class DiscordWatch(SQLModel, table=True):
    """A Discord account that asked about an investigation hears once of each change of its state."""

    __tablename__ = "discord_watches"
    __table_args__ = (Index("ix_discord_watches_investigation", "investigation_id"),)

    chat_id: int = Field(sa_column=Column("user_id", BigInteger(), primary_key=True, autoincrement=False))
    investigation_id: str = Field(primary_key=True, max_length=32)
    last_state: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
