"""Workers: claim a job, run its handler, complete it, or fail it into a retry or the dead letters.

Embedded (`depositdesk serve`, SQLite or PostgreSQL): threads in the web process. Scale-out
(`depositdesk worker`, PostgreSQL): processes that claim with FOR UPDATE SKIP LOCKED. Both also
re-check due investigations, so pending deposits get their follow-up notes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, update

from app.runtime import jobs, metrics
from app.runtime.jobs import Job, JobError
from investigations import provider_log
from investigations.models import Investigation
from investigations.rechecks import recheck_due
from investigations.service import Investigator
from investigations.types import utcnow

log = logging.getLogger(__name__)
Handler = Callable[[Session, Job], None]


class PeriodicWork(Protocol):
    """A room's own loop beside the job workers (the deposit auditor): its job handlers, and a loop
    that runs until `stop` is set."""

    def handlers(self) -> dict[str, Handler]: ...

    def run(self, stop: threading.Event, *, every: float) -> None: ...


class BackgroundWork(Protocol):
    """What the rooms give the workers: job handlers by kind, and what to do after a re-check."""

    def handlers(self) -> dict[str, Handler]: ...

    def after_recheck(self, session: Session, record: Investigation, *, gave_up: bool = False) -> None: ...

    def housekeeping(self, session: Session) -> None: ...


class Worker:
    def __init__(
        self,
        engine: Engine,
        handlers: dict[str, Handler],
        *,
        name: str | None = None,
        lease: timedelta = jobs.DEFAULT_LEASE,
        base_delay: float = 5.0,
        kinds: list[str] | None = None,
        wakeup: jobs.Wakeup | None = None,
    ) -> None:
        self.kinds = kinds
        self.wakeup = wakeup or jobs.WAKEUP
        self.engine = engine
        self.handlers = handlers
        self.name = name or jobs.worker_name()
        self.lease = lease
        self.base_delay = base_delay

    def run_once(self) -> bool:
        """Claim and run one job; False when none was due."""
        with Session(self.engine) as session:
            job = jobs.claim(session, self.name, lease=self.lease, kinds=self.kinds)
            if job is None:
                return False
            handler = self.handlers.get(job.kind)
            beating = threading.Event()
            heart = threading.Thread(target=self._heartbeat, args=(job.id, beating), daemon=True)
            heart.start()
            try:
                if handler is None:
                    raise JobError(f"no handler for job kind {job.kind!r}", retryable=False)
                handler(session, job)
            except JobError as exc:
                session.rollback()
                self._wake_for(session)  # what its committed steps queued before the failure
                self._failed(session, job, str(exc), retryable=exc.retryable, retry_after=exc.retry_after)
                return True
            except Exception as exc:  # noqa: BLE001 - a handler bug must not kill the worker; it is retried
                log.exception("job %s (%s) failed", job.id, job.kind)
                session.rollback()
                self._wake_for(session)
                self._failed(session, job, f"{type(exc).__name__}: {exc}", retryable=True)
                return True
            finally:
                beating.set()
                heart.join()
            jobs.complete(session, job, worker=self.name)
            self._wake_for(session)
            return True

    def _wake_for(self, session: Session) -> None:
        """The handler queued next steps (the note, the public reply): idle workers take them now, beside
        this one, instead of at their next poll. Counted generously: a step rolled back costs one claim."""
        self.wakeup.notify(jobs.enqueued(session))

    def _heartbeat(self, job_id: int, done: threading.Event) -> None:
        """Renew the lease while the handler works, so a long job is not taken by a second worker;
        a worker that dies stops renewing, and its job is taken again when the lease runs out."""
        while not done.wait(self.lease.total_seconds() / 3):
            try:
                with Session(self.engine) as session:
                    session.execute(
                        update(Job)
                        .where(col(Job.id) == job_id, Job.locked_by == self.name, Job.status == jobs.RUNNING)
                        .values(lease_until=utcnow() + self.lease)
                    )
                    session.commit()
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                log.warning("could not renew the lease of job %s", job_id, exc_info=True)

    def _failed(
        self, session: Session, job: Job, error: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        if not retryable:
            current = session.get(Job, job.id)
            if current is not None:
                current.attempts = current.max_attempts  # no point in trying again: straight to the dead letters
                session.add(current)
                session.commit()
        failed = jobs.fail(session, job, error, worker=self.name, retry_after=retry_after, base_delay=self.base_delay)
        if failed.status == jobs.QUEUED:
            metrics.RETRIES.labels(job.kind).inc()
        else:
            log.error("job %s (%s) dead-lettered: %s", job.id, job.kind, error)

    def run(self, stop: threading.Event, *, idle: float = 0.5) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - database hiccup: wait and go on
                log.exception("worker %s could not claim a job", self.name)
                busy = False
            if not busy and not stop.is_set():
                self.wakeup.wait(idle)  # new jobs of this process wake it at once; others' at the next poll


class Together:
    """Several rooms' background work as one: their handlers merged, each told of every re-check."""

    def __init__(self, *works: BackgroundWork, housekeepers: tuple[BackgroundWork, ...] = ()) -> None:
        self.works = works
        self.housekeepers = housekeepers  # jobless work that only tidies up (the trail's retention)

    def handlers(self) -> dict[str, Handler]:
        merged: dict[str, Handler] = {}
        for work in self.works:
            merged |= work.handlers()
        return merged

    def after_recheck(self, session: Session, record: Investigation, *, gave_up: bool = False) -> None:
        for work in self.works:
            work.after_recheck(session, record, gave_up=gave_up)

    def housekeeping(self, session: Session) -> None:
        for work in (*self.works, *self.housekeepers):
            work.housekeeping(session)


def recheck_round(engine: Engine, investigator: Investigator, listener: BackgroundWork, *, limit: int = 50) -> int:
    """Re-check due investigations (each claimed by one process only) and tell whoever asked."""
    with Session(engine) as session:
        done = recheck_due(
            session,
            investigator,
            now=investigator.clock(),
            limit=limit,
            on_recheck=lambda s, record, gave_up: listener.after_recheck(s, record, gave_up=gave_up),
        )
        listener.housekeeping(session)
        provider_log.purge_bodies(session, investigator.clock() - investigator.body_retention)
    return len(done)


class Background:
    """Worker threads plus one re-check loop, started and stopped together."""

    def __init__(
        self,
        engine: Engine,
        investigator: Investigator,
        work: BackgroundWork,
        *,
        threads: int = 2,
        recheck_every: float = 30.0,
        auditor: PeriodicWork | None = None,
        audit_every: float | None = None,
        **worker_options: Any,
    ) -> None:
        self.stop = threading.Event()
        handlers = {**work.handlers(), **(auditor.handlers() if auditor is not None else {})}
        self.workers = [Worker(engine, handlers, **worker_options) for _ in range(threads)]
        self.threads = [
            threading.Thread(target=w.run, args=(self.stop,), daemon=True, name=f"worker-{i}")
            for i, w in enumerate(self.workers)
        ]
        self.threads.append(
            threading.Thread(
                target=self._rechecks, args=(engine, investigator, work, recheck_every), daemon=True, name="rechecks"
            )
        )
        if auditor is not None and audit_every is not None:  # the deposit auditor's follower loop
            self.threads.append(
                threading.Thread(
                    target=auditor.run, args=(self.stop,), kwargs={"every": audit_every}, daemon=True, name="auditor"
                )
            )

    def _rechecks(self, engine: Engine, investigator: Investigator, work: BackgroundWork, every: float) -> None:
        while not self.stop.wait(every):
            try:
                recheck_round(engine, investigator, work)
            except Exception:  # noqa: BLE001 - the loop must survive a bad round
                log.exception("re-check round failed")

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.wakeup.notify(1)  # an idle one stops now, not at its next poll
        for thread in self.threads:
            thread.join(timeout)
