"""Durable jobs in the database: intake writes them in the same transaction as the delivery,
workers claim them under a lease (PostgreSQL: FOR UPDATE SKIP LOCKED), retry them with backoff
and jitter, and dead-letter them after `max_attempts` — never drop them silently.

A job whose worker died is taken again once its lease has run out, so every handler must be
idempotent (note writes check the helpdesk before writing again). Leases are short and renewed by
a heartbeat while the handler runs, so a dead worker's jobs come back within seconds.

Jobs are claimed by priority, then by when they became due: a note (a verdict that already exists)
goes before the next ticket of a burst.

Idle workers do not poll the table at a fixed pace only: whoever commits new jobs in this process
(the webhook intake, a worker whose handler queued the next step) lets that many idle workers of
the process go at once (`WAKEUP`); the poll stays as the way to see jobs other processes queued and
retries coming due.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import weakref
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, Index, bindparam, text
from sqlmodel import Field, Session, SQLModel, col, select

from investigations.types import UTCDateTime, utcnow

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
DEFAULT_LEASE = timedelta(seconds=10)


class JobError(Exception):
    """A handler's failure that says whether to try again, and when (e.g. a helpdesk's Retry-After)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class InputError(JobError):
    """The job's own input cannot be processed (not a provider or a helpdesk being down): trying
    again gives the same answer, so the job is dead-lettered at once with the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "priority", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=QUEUED, max_length=16)
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # higher is claimed first
    attempts: int = 0
    max_attempts: int = 8
    run_after: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    locked_by: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Wakeup:
    """Where idle workers of one process wait for new jobs. `notify(n)` lets n of them go (or the next
    n to arrive: a notice given while every worker is busy is kept, at most `cap` of them), so a job
    committed just before a worker starts waiting is not left to the next poll."""

    def __init__(self, cap: int = 64) -> None:
        self._condition = threading.Condition()
        self._pending = 0
        self.cap = cap

    def notify(self, jobs: int = 1) -> None:
        if jobs <= 0:
            return
        with self._condition:
            self._pending = min(self.cap, self._pending + jobs)
            self._condition.notify(jobs)

    def wait(self, timeout: float) -> bool:
        """Until a notice or `timeout`; True when woken by a notice (and it is used up)."""
        with self._condition:
            if not self._pending:
                self._condition.wait(timeout)
            if self._pending:
                self._pending -= 1
                return True
            return False


WAKEUP = Wakeup()  # this process's; the intake and the workers share it


def enqueued(session: Session) -> int:
    """How many jobs `enqueue` added to this session since the last call (to wake that many workers
    once they are committed)."""
    return int(session.info.pop("jobs_enqueued", 0))


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    run_after: datetime | None = None,
    max_attempts: int = 8,
    priority: int = 0,
) -> Job:
    """Add a job to the caller's transaction (the caller commits)."""
    job = Job(kind=kind, payload=payload, run_after=run_after or utcnow(), max_attempts=max_attempts, priority=priority)
    session.add(job)
    if run_after is None:
        session.info["jobs_enqueued"] = session.info.get("jobs_enqueued", 0) + 1
    return job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


_SWEEP_EVERY = 1.0  # seconds between two looks for jobs whose worker died on their last attempt
# Per engine: when this process last swept.
_swept_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def _sweep_due(session: Session, now: datetime | None) -> bool:
    """A claim on the real clock marks dead workers' last attempts dead at most once a second per
    process (it is an UPDATE of its own, and a claim is taken for every job); a claim told what time
    it is (a test, a tool) always does. Between two sweeps such a job is never taken: the claim
    itself leaves out expired leases with no attempt left."""
    if now is not None:
        return True
    key, at = session.get_bind(), time.monotonic()
    if at - _swept_at.get(key, float("-inf")) < _SWEEP_EVERY:
        return False
    _swept_at[key] = at
    return True


def _claim_statement(*, postgresql: bool, kinds: bool) -> Any:
    jobs = _JOBS.c
    due = (
        select(jobs.id)
        .where(
            ((jobs.status == QUEUED) & (jobs.run_after <= bindparam("now")))
            | ((jobs.status == RUNNING) & (jobs.lease_until < bindparam("now")) & (jobs.attempts < jobs.max_attempts))
        )
        .order_by(jobs.priority.desc(), jobs.run_after)
        .limit(1)
    )
    if kinds:  # a process that only runs some kinds (the CLI's backfill)
        due = due.where(jobs.kind.in_(bindparam("kinds", expanding=True)))
    if postgresql:
        due = due.with_for_update(skip_locked=True)
    return (
        _JOBS.update()
        .where(jobs.id == due.scalar_subquery())
        .values(
            status=RUNNING,
            locked_by=bindparam("worker"),
            lease_until=bindparam("lease_until"),
            attempts=jobs.attempts + 1,
        )
        .returning(*_JOBS.columns)
    )


# The statements every job costs, built once and run as Core statements on the session's connection:
# SQLAlchemy keeps a statement's cache key with it, and building one again at each claim (a few per
# ticket) and passing it through the ORM's bulk-update machinery cost more CPU than running it.
_JOBS = Job.__table__  # type: ignore[attr-defined]
_CLAIM = {(pg, kinds): _claim_statement(postgresql=pg, kinds=kinds) for pg in (False, True) for kinds in (False, True)}
_SWEEP = (
    _JOBS.update()
    .where(
        _JOBS.c.status == RUNNING,
        _JOBS.c.lease_until < bindparam("now"),
        _JOBS.c.attempts >= _JOBS.c.max_attempts,
    )
    .values(status=DEAD, lease_until=None, last_error="the worker stopped during the last attempt")
)
_COMPLETE = (
    _JOBS.update()
    .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.locked_by == bindparam("worker"), _JOBS.c.status == RUNNING)
    .values(status=DONE, done_at=bindparam("done_at"), lease_until=None)
)


def claim(
    session: Session,
    worker: str,
    *,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
    kinds: list[str] | None = None,
) -> Job | None:
    """Take the next due job (or one whose worker's lease ran out) and lease it to `worker`.

    One UPDATE … WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING every column: atomic
    on SQLite (one writer at a time) and, on PostgreSQL, concurrent workers skip each other's rows.
    The job comes back detached from the session, as it was claimed: no second read of its row.
    """
    sweep = _sweep_due(session, now)
    now = now or utcnow()
    if sweep:  # a job whose worker died on its last attempt is dead, not taken again and again
        session.connection().execute(_SWEEP, {"now": now})
    statement = _CLAIM[(session.get_bind().dialect.name == "postgresql", kinds is not None)]
    params: dict[str, Any] = {"now": now, "worker": worker, "lease_until": now + lease}
    if kinds is not None:
        params["kinds"] = list(kinds)
    row = session.connection().execute(statement, params).mappings().first()
    session.commit()
    if row is None:
        return None
    return Job.model_validate(dict(row))


def complete(session: Session, job: Job, *, worker: str) -> bool:
    """Mark done, unless the lease was lost to another worker meanwhile (then it is theirs): one
    guarded UPDATE, so there is nothing to read first."""
    done = session.connection().execute(_COMPLETE, {"job_id": job.id, "worker": worker, "done_at": utcnow()})
    session.commit()
    return bool(done.rowcount)


def fail(
    session: Session,
    job: Job,
    error: str,
    *,
    worker: str,
    retry_after: float | None = None,
    base_delay: float = 5.0,
    max_delay: float = 3600.0,
) -> Job:
    """Back off and try again later, or dead-letter after the last attempt."""
    current = session.get(
        Job, job.id, with_for_update=session.get_bind().dialect.name == "postgresql", populate_existing=True
    )
    assert current is not None
    if current.locked_by != worker:
        session.rollback()
        return current
    current.last_error = error[:2000]
    current.lease_until = None
    if current.attempts >= current.max_attempts:
        current.status = DEAD
    else:
        delay = retry_after if retry_after is not None else min(max_delay, base_delay * 2 ** (current.attempts - 1))
        current.status = QUEUED
        current.run_after = utcnow() + timedelta(seconds=delay + random.uniform(0, base_delay))
    session.add(current)
    session.commit()
    return current


def retry(session: Session, job_id: int) -> Job | None:
    """Put a dead (or queued) job back in the queue, now, with a fresh set of attempts. A running one
    is refused: its worker may still be writing."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    if job.status == RUNNING:
        raise ValueError(f"job {job_id} is running; retry it once it is dead")
    job.status, job.attempts, job.run_after, job.lease_until, job.locked_by = QUEUED, 0, utcnow(), None, None
    session.add(job)
    session.commit()
    return job


def listing(session: Session, *, dead_only: bool = False, limit: int = 100) -> list[Job]:
    query = select(Job).order_by(col(Job.id).desc()).limit(limit)
    if dead_only:
        query = query.where(Job.status == DEAD)
    return list(session.exec(query))


def depth(session: Session) -> dict[str, int]:
    rows = session.exec(text("SELECT status, COUNT(*) FROM jobs GROUP BY status")).all()  # type: ignore[call-overload]
    return {status: count for status, count in rows}
