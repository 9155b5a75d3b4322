"""Agent accounts: bearer tokens shown once and stored as SHA-256 (they are 256-bit random, so a fast
hash is enough), and passwords stored as scrypt hashes (slow on purpose)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, Session, SQLModel, select

from investigations.types import UTCDateTime, utcnow

TOKEN_PREFIX = "dd_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Agent(SQLModel, table=True):
    __tablename__ = "agents"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_agent(session: Session, name: str, *, password_hash: str | None = None) -> tuple[Agent, str]:
    """Create an agent and return it with its token (the only time the token exists in clear)."""
    name = name.strip()
    if not name or len(name) > 128:
        raise ValueError("the agent name must be 1 to 128 characters")
    if session.exec(select(Agent).where(Agent.name == name)).first() is not None:
        raise ValueError(f"an agent named {name!r} exists already")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    agent = Agent(name=name, token_hash=hash_token(token), password_hash=password_hash)
    session.add(agent)
    session.commit()
    session.refresh(agent)
    return agent, token


def agent_for_token(session: Session, token: str) -> Agent | None:
    digest = hash_token(token)
    agent = session.exec(select(Agent).where(Agent.token_hash == digest)).first()
    if agent is None or agent.revoked_at is not None:
        return None
    # The lookup is by digest already; compare again in constant time for good measure.
    return agent if hmac.compare_digest(agent.token_hash, digest) else None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **_SCRYPT, salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        # Spend the same time as a real check, so timing does not tell which names exist.
        hashlib.scrypt(password.encode(), salt=b"0" * 16, dklen=32, **_SCRYPT)
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate, base64.b64decode(digest))
