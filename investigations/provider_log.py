"""The providers' answers as received, kept for the evidence file and the providers' health figures.

One row per HTTP exchange made while an investigation was decided (`chains.recording`): time,
provider, redacted URL, status, latency, and the body compressed with zlib plus its SHA-256. Bodies
are dropped after the retention period (`purge_bodies`); the hash, status and latency stay.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, text, update
from sqlmodel import Field, Session, SQLModel, col, select

from chains.recording import Exchange
from investigations.types import UTCDateTime


class ProviderExchange(SQLModel, table=True):
    __tablename__ = "provider_exchanges"
    __table_args__ = (
        Index("ix_provider_exchanges_health", "at", "provider"),
        # Only rows still holding a body: the purge every re-check round reads these, not a year of rows.
        Index(
            "ix_provider_exchanges_kept",
            "at",
            postgresql_where=text("body IS NOT NULL"),
            sqlite_where=text("body IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    investigation_id: str = Field(max_length=32, index=True)
    check_id: int | None = Field(default=None)  # the verdict_events row of the check that asked
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    provider: str = Field(max_length=128)
    method: str = Field(max_length=8)
    url: str = Field(max_length=1000)
    status: int | None = None
    answered: bool
    latency_ms: float
    error: str | None = Field(default=None, max_length=120)
    body_sha256: str | None = Field(default=None, max_length=64)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    request_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


def keep(session: Session, investigation_id: str, check_id: int | None, exchanges: list[Exchange]) -> None:
    """Add the exchanges of one check to the caller's transaction: one multi-row INSERT (a check that
    asked six networks keeps six rows; ORM objects for them cost more CPU than the lookup)."""
    rows = [
        {
            "investigation_id": investigation_id,
            "check_id": check_id,
            "at": exchange.at,
            "provider": exchange.provider[:128],
            "method": exchange.method[:8],
            "url": exchange.url[:1000],
            "status": exchange.status,
            "answered": exchange.answered,
            "latency_ms": exchange.latency_ms,
            "error": exchange.error[:120] if exchange.error else None,
            "body_sha256": exchange.body_sha256
            or (hashlib.sha256(exchange.body).hexdigest() if exchange.body is not None else None),
            "body": _packed(exchange.body, exchange.body_zlib),
            "request_body": _packed(exchange.request_body or None, exchange.request_zlib),
        }
        for exchange in exchanges
    ]
    if rows:  # a Core executemany in the session's transaction: no ORM bookkeeping for rows never read back
        session.connection().execute(ProviderExchange.__table__.insert(), rows)  # type: ignore[attr-defined]


def _packed(body: bytes | None, packed: bytes | None) -> bytes | None:
    """The stored form of a body: zlib, as the recorder packed it or packed now."""
    if body is None:
        return None
    return packed if packed is not None else zlib.compress(body, 6)


def for_investigation(session: Session, investigation_id: str) -> list[ProviderExchange]:
    query = select(ProviderExchange).where(ProviderExchange.investigation_id == investigation_id)
    return list(session.exec(query.order_by(col(ProviderExchange.at), col(ProviderExchange.id))))


def body_text(compressed: bytes | None) -> str | None:
    """A kept body as text (provider answers are JSON or plain text; anything else is shown escaped)."""
    if compressed is None:
        return None
    return zlib.decompress(compressed).decode("utf-8", errors="backslashreplace")


def purge_bodies(session: Session, older_than: datetime) -> int:
    """Drop the kept bodies recorded before `older_than`; their hashes, statuses and latencies stay."""
    result = session.execute(
        update(ProviderExchange)
        .where(col(ProviderExchange.at) < older_than, col(ProviderExchange.body).is_not(None))
        .values(body=None, request_body=None)
    )
    session.commit()
    return int(result.rowcount or 0)
