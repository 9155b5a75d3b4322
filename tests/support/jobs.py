"""Running queued jobs to the end, in the test's own thread."""

from __future__ import annotations

import time

from sqlmodel import Session, col, select

from app.runtime.jobs import Job
from app.runtime.workers import Worker


def drain(app, *, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Run jobs until none is left to do (waiting for retries that are due soon)."""
    worker = Worker(app.state.engine, app.state.work.handlers(), base_delay=0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.run_once():
            continue
        with Session(app.state.engine) as session:
            open_jobs = session.exec(select(Job).where(col(Job.status).in_(["queued", "running"]))).all()
        if not open_jobs:
            return
        time.sleep(0.05)
    raise AssertionError("jobs still open after the timeout")
