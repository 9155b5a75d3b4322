"""Each chain's cursor (the last block its follower finished) and the lease that lets exactly one
process move it: a row per chain, taken with one conditional UPDATE (atomic on SQLite and on
PostgreSQL), renewed while following, and taken over by another process once it runs out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from chains.base import Chain
from investigations.audit.models import AuditCursor


class LeaseLost(Exception):
    """Another process holds this chain's lease now: this one must stop following."""


def cursor(session: Session, chain: Chain) -> AuditCursor:
    """The chain's cursor row (created empty the first time)."""
    row = session.get(AuditCursor, chain.value, populate_existing=True)
    if row is not None:
        return row
    session.add(AuditCursor(chain=chain.value))
    try:
        session.commit()
    except IntegrityError:  # another process created it at the same moment
        session.rollback()
    row = session.get(AuditCursor, chain.value, populate_existing=True)
    assert row is not None
    return row


def acquire(session: Session, chain: Chain, owner: str, *, now: datetime, lease: timedelta) -> bool:
    """Take or renew the lease; False while another owner's lease runs."""
    cursor(session, chain)
    taken = session.execute(
        update(AuditCursor)
        .where(
            col(AuditCursor.chain) == chain.value,
            or_(
                col(AuditCursor.lease_owner) == owner,
                col(AuditCursor.lease_owner).is_(None),
                col(AuditCursor.lease_until) < now,
            ),
        )
        .values(lease_owner=owner, lease_until=now + lease)
    )
    session.commit()
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def release(session: Session, chain: Chain, owner: str) -> None:
    session.execute(
        update(AuditCursor)
        .where(col(AuditCursor.chain) == chain.value, col(AuditCursor.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None)
    )
    session.commit()


def move(session: Session, chain: Chain, owner: str, *, now: datetime, **values: object) -> None:
    """Move the cursor inside the caller's transaction, only while `owner` holds the lease."""
    moved = session.execute(
        update(AuditCursor)
        .where(
            col(AuditCursor.chain) == chain.value,
            col(AuditCursor.lease_owner) == owner,
            col(AuditCursor.lease_until) >= now,
        )
        .values(updated_at=now, **values)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise LeaseLost(f"{chain.value}: the follower lease is held by another process")
