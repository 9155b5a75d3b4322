"""The activity trail: one row per write (who, role, when, from where, what, before and after),
append-only and hash-chained. Each row carries the hash of the row before it and its own hash over
every field, so `verify` finds a row that was changed (its hash no longer matches), removed (a gap in
the sequence) or put back in another order (the chain breaks).

Appending takes the write lock of the one `activity_head` row first, in the transaction of the write
it records: rows of concurrent writes are chained one after the other, on SQLite and PostgreSQL, and a
write that rolls back takes its row with it. No code path updates or deletes a row, except retention,
which removes the oldest rows and says so in a row of its own."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, Text, text
from sqlmodel import Field, Session, SQLModel, col, select

from investigations.types import UTCDateTime, utcnow

GENESIS = "0" * 64


class Activity(SQLModel, table=True):
    __tablename__ = "activity"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor: str = Field(max_length=160, index=True)
    role: str = Field(max_length=16)
    source: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    target: str = Field(max_length=200)
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "source": self.source,
            "action": self.action,
            "target": self.target,
            "before": json.loads(self.before) if self.before else None,
            "after": json.loads(self.after) if self.after else None,
            "hash": self.hash,
        }


class ActivityHead(SQLModel, table=True):
    __tablename__ = "activity_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)
    pruned_through: int = Field(sa_column=Column(BigInteger, nullable=False))


@dataclass(frozen=True)
class Who:
    """Who did it: `agent:alice`, `token:backoffice`, `cli`, or who tried (`anonymous`)."""

    actor: str
    role: str
    source: str

    @classmethod
    def cli(cls) -> Who:
        return cls("cli", "admin", "command line")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _digest(row: Activity) -> str:
    fields = [
        row.seq,
        row.at.isoformat(timespec="microseconds"),
        row.actor,
        row.role,
        row.source,
        row.action,
        row.target,
        row.before,
        row.after,
        row.prev_hash,
    ]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def _lock_head(session: Session) -> ActivityHead:
    """Take the head's write lock (the UPDATE) before reading it, so no other writer reads it too."""
    bumped = session.execute(text("UPDATE activity_head SET seq = seq + 0 WHERE id = 1"))
    if bumped.rowcount == 0:  # type: ignore[attr-defined]  # a database emptied by hand: start again
        session.execute(
            text(
                "INSERT INTO activity_head (id, seq, hash, pruned_through) VALUES (1, 0, :g, 0) ON CONFLICT DO NOTHING"
            ),
            {"g": GENESIS},
        )
        session.execute(text("UPDATE activity_head SET seq = seq + 0 WHERE id = 1"))
    head = session.exec(select(ActivityHead).where(ActivityHead.id == 1).execution_options(populate_existing=True))
    return head.one()


def append(
    session: Session,
    who: Who,
    action: str,
    target: str = "",
    *,
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> Activity:
    """Add the row to the session's transaction (the caller commits it with the write it records)."""
    head = _lock_head(session)
    row = Activity(
        seq=head.seq + 1,
        at=at or utcnow(),
        actor=who.actor[:160],
        role=who.role[:16],
        source=who.source[:64],
        action=action[:64],
        target=target[:200],
        before=_json(before),
        after=_json(after),
        prev_hash=head.hash,
        hash="",
    )
    row.hash = _digest(row)
    head.seq, head.hash = row.seq, row.hash
    session.add(row)
    session.add(head)
    session.flush()
    return row


def append_now(session: Session, who: Who, action: str, target: str = "", **changes: Any) -> None:
    """A row of its own, committed at once (sign-ins, failed sign-ins, downloads: reads that leave a trace)."""
    append(session, who, action, target, **changes)
    session.commit()


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str

    def __str__(self) -> str:
        return f"row {self.seq}: {self.what}"


def verify(session: Session, *, batch: int = 1000) -> list[Problem]:
    """Every row's hash recomputed and every link checked, oldest first; [] when the trail is whole."""
    head = session.get(ActivityHead, 1)
    problems: list[Problem] = []
    expected_seq = (head.pruned_through if head else 0) + 1
    previous: str | None = None  # the first remaining row's link cannot be checked after retention
    last = 0
    while True:
        rows = list(
            session.exec(select(Activity).where(col(Activity.seq) > last).order_by(col(Activity.seq)).limit(batch))
        )
        for row in rows:
            while expected_seq < row.seq:
                problems.append(Problem(expected_seq, "missing (deleted from the trail)"))
                expected_seq += 1
                previous = None  # the gap is the problem; this row's link cannot be checked
            if _digest(row) != row.hash:
                problems.append(Problem(row.seq, "changed (its fields no longer match its hash)"))
            elif previous is not None and row.prev_hash != previous:
                problems.append(Problem(row.seq, "does not follow the row before it (a row before it was changed)"))
            previous, expected_seq, last = row.hash, row.seq + 1, row.seq
        if len(rows) < batch:
            break
    if head is not None:
        while expected_seq <= head.seq:
            problems.append(Problem(expected_seq, "missing (deleted from the end of the trail)"))
            expected_seq += 1
        if previous is not None and head.hash != previous:
            problems.append(Problem(last, "is not the last row the trail recorded"))
    return problems


def prune(session: Session, older_than: timedelta, who: Who) -> int:
    """Retention: the oldest rows before `older_than` go, and a row says how far; returns how many."""
    cutoff = utcnow() - older_than
    head = _lock_head(session)
    newest_old = session.exec(
        select(Activity.seq).where(col(Activity.at) < cutoff).order_by(col(Activity.seq).desc()).limit(1)
    ).first()
    if newest_old is None:
        session.rollback()
        return 0
    removed = session.execute(Activity.__table__.delete().where(Activity.__table__.c.seq <= newest_old))  # type: ignore[attr-defined]
    head.pruned_through = int(newest_old)
    session.add(head)
    count = int(removed.rowcount or 0)  # type: ignore[attr-defined]
    append(session, who, "activity.pruned", f"through row {newest_old}", after={"removed": count})
    session.commit()
    return count


def rows(
    session: Session,
    *,
    actor: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[Activity]:
    """Newest first; `before_seq` is the cursor (the seq of the last row of the previous page)."""
    query = select(Activity).order_by(col(Activity.seq).desc())
    if actor:
        query = query.where(Activity.actor == actor)
    if action:
        query = query.where(col(Activity.action).startswith(action))
    if since:
        query = query.where(col(Activity.at) >= since)
    if until:
        query = query.where(col(Activity.at) < until)
    if before_seq is not None:
        query = query.where(col(Activity.seq) < before_seq)
    return list(session.exec(query.limit(limit)))


CSV_COLUMNS = ("seq", "at", "actor", "role", "source", "action", "target", "before", "after", "hash")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet would run as a formula is quoted as text."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def to_csv(found: list[Activity]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in found:
        values = [row.seq, row.at.isoformat(), row.actor, row.role, row.source, row.action, row.target]
        writer.writerow([safe_cell(v) for v in (*values, row.before, row.after, row.hash)])
    return out.getvalue()


class Retention:
    """ACTIVITY_RETENTION_DAYS applied by the workers' housekeeping (after every re-check round, at
    most once an hour per process); a background work with no jobs of its own."""

    def __init__(self, days: int, *, every: timedelta = timedelta(hours=1)) -> None:
        self.days, self.every = days, every
        self.last: datetime | None = None

    def handlers(self) -> dict[str, Any]:
        return {}

    def after_recheck(self, session: Session, record: Any, *, gave_up: bool = False) -> None:
        return None

    def housekeeping(self, session: Session) -> None:
        now = utcnow()
        if not self.days or (self.last is not None and now - self.last < self.every):
            return
        self.last = now
        cutoff = now - timedelta(days=self.days)
        if session.exec(select(Activity.seq).where(col(Activity.at) < cutoff).limit(1)).first() is None:
            return  # nothing old enough: no lock taken
        prune(session, timedelta(days=self.days), Who("retention", "system", "worker"))
