"""Chats linked to players: one-time link codes minted for a `player_ref` (by the casino's back office
through the API) and redeemed by the player's chat on the code's network (the Telegram bot's
`/start <code>`, Discord's `/link code:<code>`); a code minted for one network links nothing on another.

A code is 256 random bits, shown once and stored only as an HMAC with the server secret: nothing in it
can be read by anyone, a leaked table cannot be replayed, and it works once, for a short while.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, update
from sqlmodel import Field, Session, SQLModel, col, select

from investigations.types import UTCDateTime, utcnow

CODE_TTL = timedelta(minutes=15)
_CODE_BYTES = 32  # base64url: 43 characters, inside Telegram's 64-character start parameter


class ChatLinkCode(SQLModel, table=True):
    __tablename__ = "chat_link_codes"

    code_hash: str = Field(primary_key=True, max_length=64)
    player_ref: str = Field(max_length=128)
    network: str = Field(default="telegram", max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Chat(SQLModel, table=True):
    """A player's chat on a messenger; `player_ref` is set while it is linked."""

    __tablename__ = "chats"

    chat_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    player_ref: str | None = Field(default=None, max_length=128, index=True)
    language: str | None = Field(default=None, max_length=8)
    linked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def code_hash(code: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"chat-link:" + code.encode(), hashlib.sha256).hexdigest()


def mint(
    session: Session,
    player_ref: str,
    secret: str,
    *,
    now: datetime | None = None,
    ttl: timedelta = CODE_TTL,
    network: str = "telegram",
) -> tuple[str, datetime]:
    """A new single-use code for `player_ref` on `network` and when it expires (the caller commits)."""
    now = now or utcnow()
    code = secrets.token_urlsafe(_CODE_BYTES)
    expires = now + ttl
    row = ChatLinkCode(
        code_hash=code_hash(code, secret), player_ref=player_ref, network=network, created_at=now, expires_at=expires
    )
    session.add(row)
    return code, expires


def redeem(
    session: Session,
    code: str,
    chat_id: int,
    secret: str,
    *,
    now: datetime | None = None,
    network: str = "telegram",
    chat_model: type[SQLModel] = Chat,
) -> str | None:
    """Link `chat_id` (a row of `chat_model`) to the code's player and spend the code; None when
    unknown, used, expired or minted for another network.

    Spending is one conditional UPDATE, so two chats racing for one code cannot both win.
    """
    now = now or utcnow()
    if not 20 <= len(code) <= 64:
        return None
    digest = code_hash(code, secret)
    spent = session.execute(
        update(ChatLinkCode)
        .where(
            col(ChatLinkCode.code_hash) == digest,
            col(ChatLinkCode.used_at).is_(None),
            col(ChatLinkCode.network) == network,
            col(ChatLinkCode.expires_at) > now,
        )
        .values(used_at=now)
    )
    if not spent.rowcount:
        session.rollback()
        return None
    player_ref = session.exec(select(ChatLinkCode.player_ref).where(ChatLinkCode.code_hash == digest)).one()
    chat = session.get(chat_model, chat_id) or chat_model(chat_id=chat_id)
    chat.player_ref, chat.linked_at = player_ref, now  # type: ignore[attr-defined]
    session.add(chat)
    session.commit()
    return player_ref


def unlink(session: Session, chat_id: int, *, chat_model: type[SQLModel] = Chat) -> bool:
    chat: Any = session.get(chat_model, chat_id)
    if chat is None or chat.player_ref is None:
        return False
    chat.player_ref, chat.linked_at = None, None
    session.add(chat)
    session.commit()
    return True


def purge_codes(session: Session, *, now: datetime | None = None) -> None:
    """Expired codes are of no use to anyone; keep the table small."""
    now = now or utcnow()
    for stale in session.exec(select(ChatLinkCode).where(col(ChatLinkCode.expires_at) < now - timedelta(days=1))).all():
        session.delete(stale)
    session.commit()
