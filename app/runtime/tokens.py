"""Machine tokens for the casino's back office: a name, scopes (`ledger:write`, `links:create`,
`payouts:write`, `read`), an optional expiry, the last time it was used, and rotation with an overlap
window (the old secret keeps working until `previous_until`, so a deployment can roll the new one out).

The secret is shown once and stored as SHA-256 (256 random bits). Every request looks the token up in
the database, so a revocation is refused by every process at once."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Column
from sqlmodel import Field, Session, SQLModel, col, or_, select

from app.runtime.accounts import hash_token
from app.runtime.roles import Scope
from investigations.types import UTCDateTime, utcnow

MACHINE_PREFIX = "ddt_"
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token
_DURATION = re.compile(r"([1-9][0-9]{0,4})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    scopes: str = Field(max_length=200)  # comma-separated Scope values
    secret_hash: str = Field(max_length=64, unique=True)
    previous_hash: str | None = Field(default=None, max_length=64, unique=True)
    previous_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str = Field(max_length=160)
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    rotated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def describe(self, now: datetime) -> dict[str, object]:
        """What a list shows: never the secret nor its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": sorted(self.scope_set()),
            "state": self.state(now),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "previous_until": self.previous_until.isoformat() if self.previous_until else None,
        }


def parse_duration(text: str, *, what: str = "--expires") -> timedelta:
    """`90d`, `12h`, `30m`, `2w`."""
    found = _DURATION.fullmatch(text.strip())
    if not found:
        raise ValueError(f"{what} must be a number and a unit m, h, d or w (e.g. 90d), not {text!r}")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def parse_scopes(values: list[str] | tuple[str, ...]) -> list[str]:
    chosen = sorted({part.strip() for value in values for part in value.split(",") if part.strip()})
    known = {scope.value for scope in Scope}
    unknown = [s for s in chosen if s not in known]
    if unknown or not chosen:
        raise ValueError(
            f"scope must be one or more of {', '.join(sorted(known))} (got {', '.join(unknown) or 'none'})"
        )
    return chosen


def _secret() -> str:
    return MACHINE_PREFIX + secrets.token_urlsafe(32)


def add_token(
    session: Session, name: str, scopes: list[str], *, by: str, expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    """A new token (not committed: the caller commits it with its trail row); returns it with its secret."""
    name = name.strip()
    if not name or len(name) > 128:
        raise ValueError("the token name must be 1 to 128 characters")
    chosen = parse_scopes(scopes)
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise ValueError(f"a token named {name!r} exists already")
    secret, now = _secret(), utcnow()
    token = ApiToken(
        name=name,
        scopes=",".join(chosen),
        secret_hash=hash_token(secret),
        created_at=now,
        created_by=by[:160],
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def token_for_secret(session: Session, secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token with this secret (the current one, or the previous one inside its overlap)."""
    if not secret.startswith(MACHINE_PREFIX) or len(secret) > 200:
        return None
    now = now or utcnow()
    digest = hash_token(secret)
    token = session.exec(
        select(ApiToken).where(or_(ApiToken.secret_hash == digest, ApiToken.previous_hash == digest))
    ).first()
    if token is None or token.state(now) != "active":
        return None
    if token.secret_hash != digest and (token.previous_until is None or token.previous_until <= now):
        return None  # the old secret after its overlap window
    return token


def touch(session: Session, token: ApiToken, now: datetime | None = None) -> None:
    """Record the use (at most once a minute per token, in its own short transaction)."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    session.execute(
        ApiToken.__table__.update().where(ApiToken.__table__.c.id == token.id).values(last_used_at=now)  # type: ignore[attr-defined]
    )
    session.commit()


def named(session: Session, name: str) -> ApiToken:
    token = session.exec(select(ApiToken).where(ApiToken.name == name.strip())).first()
    if token is None:
        raise ValueError(f"no token named {name.strip()!r}")
    return token


def by_id(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise ValueError(f"no token {token_id}")
    return token


def revoke(session: Session, token: ApiToken) -> ApiToken:
    """Refused from the next request on, by every process (not committed here)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.previous_until = None
        session.add(token)
    return token


def rotate(session: Session, token: ApiToken, overlap: timedelta) -> str:
    """A new secret (returned once); the old one keeps working for `overlap` (0: stops now)."""
    if token.state(utcnow()) != "active":
        raise ValueError(f"token {token.name!r} is {token.state(utcnow())}; add a new one instead")
    secret, now = _secret(), utcnow()
    token.previous_hash = token.secret_hash if overlap > timedelta(0) else None
    token.previous_until = now + overlap if overlap > timedelta(0) else None
    token.secret_hash = hash_token(secret)
    token.rotated_at = now
    session.add(token)
    return secret


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.name))))
