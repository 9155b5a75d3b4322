"""The job queue on SQLite and PostgreSQL: leases, renewal, dead letters, retries."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session

from app.runtime import jobs
from app.runtime.jobs import DEAD, DONE, QUEUED, RUNNING, Job
from app.runtime.workers import Worker
from investigations.types import utcnow


def _job(engine, **fields) -> int:
    with Session(engine) as session:
        job = jobs.enqueue(session, "probe", {}, max_attempts=fields.pop("max_attempts", 3))
        for name, value in fields.items():
            setattr(job, name, value)
        session.commit()
        return job.id


def test_a_job_whose_worker_died_on_its_last_attempt_is_dead_not_retaken(engine):
    job_id = _job(engine, status=RUNNING, attempts=3, lease_until=utcnow() - timedelta(seconds=1))
    with Session(engine) as session:
        for _ in range(3):  # between two sweeps (at most one a second) it is not taken either
            assert jobs.claim(session, "w") is None
        assert jobs.claim(session, "w", now=utcnow()) is None  # told the time: a sweep, always
        assert session.get(Job, job_id).status == DEAD


def test_a_running_job_cannot_be_retried_by_hand(engine):
    job_id = _job(engine, status=RUNNING, attempts=1, lease_until=utcnow() + timedelta(minutes=1))
    with Session(engine) as session, pytest.raises(ValueError, match="running"):
        jobs.retry(session, job_id)


def _lease_until(engine, job_id: int):
    with Session(engine) as session:
        return session.get(Job, job_id).lease_until


def test_a_long_job_keeps_its_lease_so_no_second_worker_takes_it(engine):
    started, release = threading.Event(), threading.Event()
    runs = []

    def slow(session, job):
        runs.append(job.id)
        started.set()
        release.wait(60)

    first = Worker(engine, {"probe": slow}, lease=timedelta(seconds=1))
    job_id = _job(engine)
    thread = threading.Thread(target=first.run_once)
    thread.start()
    try:
        assert started.wait(60)
        claimed_until = _lease_until(engine, job_id)
        # The heartbeat renews the lease (every third of it) for as long as the job runs: wait until it
        # reaches more than two leases past the first one ...
        renewed = _wait_until(lambda: _lease_until(engine, job_id) > claimed_until + timedelta(seconds=2))
        # ... then a second worker looking when the first lease would have run out finds nothing to take.
        with Session(engine) as session:
            taken = jobs.claim(session, "second", lease=timedelta(seconds=1), now=claimed_until + timedelta(seconds=1))
    finally:
        release.set()
        thread.join(60)
    assert renewed and taken is None
    with Session(engine) as session:
        assert session.get(Job, job_id).status == DONE
    assert runs == [job_id]


def _wait_until(condition, timeout: float = 60.0) -> bool:
    """Poll the database for a condition (its rows change in another thread); False after `timeout`."""
    stop = threading.Event()
    give_up = threading.Timer(timeout, stop.set)
    give_up.start()
    try:
        while not condition():
            if stop.wait(0.05):
                return False
        return True
    finally:
        give_up.cancel()


def test_failures_back_off_then_dead_letter(engine):
    def broken(session, job):
        raise RuntimeError("boom")

    worker = Worker(engine, {"probe": broken}, base_delay=0)
    job_id = _job(engine, max_attempts=2)
    assert worker.run_once() is True
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job.status == QUEUED and job.attempts == 1 and "boom" in job.last_error
    # The retry is due at once (base delay 0, so no jitter either); the second attempt dead-letters it.
    assert worker.run_once() is True
    with Session(engine) as session:
        assert session.get(Job, job_id).status == DEAD


def test_note_jobs_are_claimed_before_ticket_jobs_queued_earlier(engine):
    from app.helpdesks.note_job import NOTE_PRIORITY

    earlier = utcnow() - timedelta(minutes=5)
    with Session(engine) as session:
        tickets = [jobs.enqueue(session, "ticket", {"n": n}, run_after=earlier) for n in range(3)]
        note = jobs.enqueue(session, "note", {"note_id": 1}, priority=NOTE_PRIORITY)
        session.commit()
        order = [tickets[0].id, tickets[1].id, tickets[2].id]
        note_id = note.id
    claimed = []
    with Session(engine) as session:
        while (job := jobs.claim(session, "w")) is not None:
            claimed.append(job.id)
    assert claimed == [note_id, *order]  # the note first, then the tickets in the order they became due


def test_the_default_lease_is_seconds_not_a_minute():
    from app.settings import Settings

    assert jobs.DEFAULT_LEASE <= timedelta(seconds=15)
    assert Settings(_env_file=None).job_lease_seconds <= 15
