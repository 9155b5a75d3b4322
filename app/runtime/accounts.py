"""Agent accounts: bearer tokens shown once and stored as SHA-256 (they are 256-bit random, so a fast
hash is enough), passwords stored as scrypt hashes (slow on purpose), and sign-in sessions held in
the database (the cookie carries only a random key), so signing out, a password change, a token
rotation or a revoked agent ends them at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, Session, SQLModel, col, delete, select

from investigations.types import UTCDateTime, utcnow

TOKEN_PREFIX = "dd_"
ROLES = ("agent", "lead", "finance", "admin")  # app.runtime.roles says what each may use
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Agent(SQLModel, table=True):
    __tablename__ = "agents"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=256)
    role: str = Field(default="agent", max_length=16)  # app.runtime.roles.Role
    oidc_subject: str | None = Field(default=None, max_length=255, unique=True)  # signed in through OIDC
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class AgentSession(SQLModel, table=True):
    """One signed-in browser: found by the hash of the key in its cookie; deleting the row ends it."""

    __tablename__ = "agent_sessions"

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(sa_column=Column(Integer, ForeignKey("agents.id"), nullable=False, index=True))
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_agent(
    session: Session,
    name: str,
    *,
    password_hash: str | None = None,
    role: str | None = None,
    oidc_subject: str | None = None,
    commit: bool = True,
) -> tuple[Agent, str]:
    """Create an agent and return it with its token (the only time the token exists in clear).
    The first account of a deployment is admin whatever is asked (someone must be able to give the
    others their roles); later ones are agents unless a role is named."""
    name = name.strip()
    if not name or len(name) > 128:
        raise ValueError("the agent name must be 1 to 128 characters")
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if session.exec(select(Agent).where(Agent.name == name)).first() is not None:
        raise ValueError(f"an agent named {name!r} exists already")
    first = session.exec(select(Agent.id).limit(1)).first() is None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    agent = Agent(
        name=name,
        token_hash=hash_token(token),
        password_hash=password_hash,
        role="admin" if first else (role or "agent"),
        oidc_subject=oidc_subject,
    )
    session.add(agent)
    if not commit:
        session.flush()
        return agent, token
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


def start_session(session: Session, agent_id: int, lifetime: timedelta) -> str:
    """A new signed-in session; returns the key its cookie carries (stored only as a hash)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(AgentSession(agent_id=agent_id, key_hash=hash_token(key), created_at=now, expires_at=now + lifetime))
    session.commit()
    return key


def agent_for_session(session: Session, key: str) -> Agent | None:
    """The agent of a live session: not signed out, not expired, the agent not revoked."""
    row = session.exec(select(AgentSession).where(AgentSession.key_hash == hash_token(key))).first()
    if row is None or row.expires_at <= utcnow():
        return None
    agent = session.get(Agent, row.agent_id)
    return agent if agent is not None and agent.revoked_at is None else None


def end_session(session: Session, key: str) -> None:
    session.exec(delete(AgentSession).where(col(AgentSession.key_hash) == hash_token(key)))
    session.commit()


def end_sessions(session: Session, agent_id: int) -> None:
    """Every session of the agent ends (and expired ones of anyone are cleared away)."""
    session.exec(
        delete(AgentSession).where((col(AgentSession.agent_id) == agent_id) | (col(AgentSession.expires_at) < utcnow()))
    )


def list_agents(session: Session) -> list[Agent]:
    return list(session.exec(select(Agent).order_by(col(Agent.name))))


def _named(session: Session, name: str) -> Agent:
    agent = session.exec(select(Agent).where(Agent.name == name.strip())).first()
    if agent is None:
        raise ValueError(f"no agent named {name.strip()!r}")
    return agent


def revoke_agent(session: Session, name: str) -> Agent:
    """The agent's token, sessions and sign-in stop (not committed: the caller commits it with its trail
    row); idempotent."""
    agent = _named(session, name)
    if agent.revoked_at is None:
        agent.revoked_at = utcnow()
        session.add(agent)
    end_sessions(session, agent.id or 0)
    session.flush()
    return agent


def rotate_token(session: Session, name: str) -> str:
    """A new API token for the agent (returned once); the old one and every session stop (not committed:
    the caller commits it with its trail row)."""
    agent = _named(session, name)
    if agent.revoked_at is not None:
        raise ValueError(f"agent {agent.name!r} is revoked; add a new agent instead")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    agent.token_hash = hash_token(token)
    session.add(agent)
    end_sessions(session, agent.id or 0)
    session.flush()
    return token


def set_password(session: Session, name: str, password_hash: str) -> Agent:
    """A new password; every session signed in before it ends (not committed, as above)."""
    agent = _named(session, name)
    agent.password_hash = password_hash
    session.add(agent)
    end_sessions(session, agent.id or 0)
    session.flush()
    return agent


def set_role(session: Session, name: str, role: str) -> tuple[Agent, str]:
    """A new role for the agent; every session signed in with the old one ends. Returns the agent and
    the role it had. The last admin cannot stop being one (nobody could give roles back)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    agent = _named(session, name)
    before = agent.role
    if before == "admin" and role != "admin" and _admins(session) <= 1:
        raise ValueError(f"{agent.name!r} is the only admin: make another account admin first")
    agent.role = role
    session.add(agent)
    end_sessions(session, agent.id or 0)
    return agent, before


def _admins(session: Session) -> int:
    rows = session.exec(select(Agent.id).where(Agent.role == "admin", col(Agent.revoked_at).is_(None)))
    return len(list(rows))
