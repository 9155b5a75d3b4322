"""Running queued jobs to the end, in the test's own thread."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import Session, col, select

from app.runtime.jobs import Job
from app.runtime.workers import Worker
from investigations.types import utcnow


def drain(app, *, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Run jobs until none is due soon (waiting for retries that are due soon)."""
    worker = Worker(app.state.engine, app.state.work.handlers(), base_delay=0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.run_once():
            continue
        with Session(app.state.engine) as session:
            soon = utcnow() + timedelta(seconds=20)  # jobs scheduled later (e.g. a grace period) are not waited for
            open_jobs = session.exec(
                select(Job).where(col(Job.status).in_(["queued", "running"]), col(Job.run_after) < soon)
            ).all()
        if not open_jobs:
            return
        time.sleep(0.05)
    raise AssertionError("jobs still open after the timeout")
