"""Idle workers are woken by new jobs of their process instead of waiting for their next poll (the
order of events is fixed with events, and the poll is an hour, so only a wakeup can run the job), and
SQLite commits skip the fsync except those that must survive a power cut."""

from __future__ import annotations

import threading

from sqlmodel import Session

from app.helpdesks import intake as intake_module
from app.helpdesks.clients.base import Delivery
from app.runtime import jobs
from app.runtime.jobs import Wakeup
from app.runtime.workers import Worker

HOUR = 3600.0
MARGIN = 60.0  # a loaded machine stalls for seconds; never an hour


class SpyWakeup(Wakeup):
    """A wakeup that says when a worker has started waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_a_notice_given_while_every_worker_is_busy_is_kept_for_the_next_to_wait():
    wakeup = Wakeup()
    wakeup.notify(2)
    assert wakeup.wait(0) is True
    assert wakeup.wait(0) is True
    assert wakeup.wait(0) is False  # used up: the next wait is a poll again


def test_notices_kept_are_capped():
    wakeup = Wakeup(cap=3)
    wakeup.notify(100)
    assert [wakeup.wait(0) for _ in range(4)] == [True, True, True, False]


def test_only_jobs_due_now_count_as_enqueued(engine):
    from datetime import timedelta

    from investigations.types import utcnow

    with Session(engine) as session:
        jobs.enqueue(session, "probe", {})
        jobs.enqueue(session, "probe", {}, run_after=utcnow() + timedelta(minutes=5))
        assert jobs.enqueued(session) == 1
        assert jobs.enqueued(session) == 0  # counted once
        session.rollback()


def test_a_webhook_wakes_an_idle_worker_at_once(engine, monkeypatch):
    wakeup = SpyWakeup()
    monkeypatch.setattr(intake_module, "WAKEUP", wakeup)
    handled = threading.Event()
    stop = threading.Event()
    worker = Worker(engine, {"ticket": lambda session, job: handled.set()}, wakeup=wakeup)
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"idle": HOUR}, daemon=True)
    thread.start()
    try:
        assert wakeup.waiting.wait(MARGIN)  # the queue was empty: it waits for an hour or a notice
        with Session(engine) as session:
            assert intake_module.intake(session, "zendesk", Delivery("d-1", "4711"))
        assert handled.wait(MARGIN)
    finally:
        stop.set()
        wakeup.notify(1)
        thread.join(MARGIN)
    assert not thread.is_alive()


def test_a_step_queued_by_a_job_wakes_another_idle_worker(engine):
    wakeup = SpyWakeup()
    second_ran = threading.Event()

    def first(session, job) -> None:
        jobs.enqueue(session, "second", {})
        session.commit()

    stop = threading.Event()
    idle = Worker(engine, {"second": lambda session, job: second_ran.set()}, wakeup=wakeup, kinds=["second"])
    thread = threading.Thread(target=idle.run, args=(stop,), kwargs={"idle": HOUR}, daemon=True)
    thread.start()
    try:
        assert wakeup.waiting.wait(MARGIN)
        with Session(engine) as session:
            jobs.enqueue(session, "first", {})
            session.commit()
        busy = Worker(engine, {"first": first}, wakeup=wakeup, kinds=["first"])
        assert busy.run_once()
        assert second_ran.wait(MARGIN)
    finally:
        stop.set()
        wakeup.notify(1)
        thread.join(MARGIN)


def test_sqlite_commits_skip_the_fsync_unless_asked_to_survive_a_power_cut(sqlite_engine):
    from app.runtime.db import durable

    normal, full = 1, 2
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == normal
        durable(connection)
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == full
        connection.commit()
    with sqlite_engine.connect() as connection:  # the next checkout is back to normal
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == normal


def test_an_acknowledged_webhook_is_committed_durably(sqlite_engine, monkeypatch):
    seen: list[int] = []
    real = intake_module.write_deliveries

    def spy(connection, deliveries):
        seen.append(connection.exec_driver_sql("PRAGMA synchronous").scalar())
        return real(connection, deliveries)

    monkeypatch.setattr(intake_module, "write_deliveries", spy)
    with Session(sqlite_engine) as session:
        intake_module.intake(session, "zendesk", Delivery("d-1", "4711"))
    assert seen == [2]


def test_the_intake_writers_batches_are_committed_durably(sqlite_engine, monkeypatch):
    import asyncio

    seen: list[int] = []
    real = intake_module.write_deliveries

    def spy(connection, deliveries):
        seen.append(connection.exec_driver_sql("PRAGMA synchronous").scalar())
        return real(connection, deliveries)

    monkeypatch.setattr(intake_module, "write_deliveries", spy)
    writer = intake_module.IntakeWriter(sqlite_engine)
    try:
        assert asyncio.run(writer.record("zendesk", Delivery("d-2", "4712"))) is True
    finally:
        writer.close()
    assert seen == [2]
