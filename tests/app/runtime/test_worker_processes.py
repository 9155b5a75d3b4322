"""Worker processes against real PostgreSQL: a worker killed mid-job, and three draining 300 jobs."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlmodel import Session, select

from app.helpdesks.models import TicketNote
from app.runtime.jobs import DEFAULT_LEASE, DONE, Job, enqueue
from bench.stub_providers import StubProvider
from investigations.types import utcnow
from tests.support.helpdesks import FakeZendesk, LocalZendesk

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg(postgres_engine):
    from tests.conftest import _empty

    _empty(postgres_engine)
    yield postgres_engine
    _empty(postgres_engine)


@pytest.fixture
def zendesk():
    fake = FakeZendesk()
    local = LocalZendesk(fake)
    yield fake
    local.close()


def _queue_notes(engine, fake: FakeZendesk, count: int) -> None:
    with Session(engine) as session:
        for number in range(1, count + 1):
            ticket = str(1000 + number)
            fake.ticket(ticket, "deposit", "where is my deposit")
            note = TicketNote(
                helpdesk="zendesk",
                ticket_ref=ticket,
                marker=f"[depositdesk test-{number} credited]",
                code="credited",
                body=f"verdict for {ticket}\n[depositdesk test-{number} credited]",
                tags=["deposit-credited"],
            )
            session.add(note)
            session.flush()
            enqueue(session, "note", {"note_id": note.id})
        session.commit()


def _start_worker(
    engine, fake: FakeZendesk, tmp_path: Path, threads: int, lease: str | None = "5", **extra_env: str
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SECRET_KEY": "worker-test-secret-0123456789",
        "ZENDESK_BASE_URL": fake.base,
        "ZENDESK_EMAIL": "bot@casino.example",
        "ZENDESK_API_TOKEN": "t",
        "ZENDESK_WEBHOOK_SECRETS": "worker-test-zendesk-secret",
        "ZENDESK_RATE_LIMIT": "1000",
        "JOB_RETRY_BASE_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
        **extra_env,
    }
    if lease is not None:
        env["JOB_LEASE_SECONDS"] = lease
    else:
        env.pop("JOB_LEASE_SECONDS", None)
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "worker", "--threads", str(threads)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _jobs(engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job)).all())


def test_a_worker_killed_mid_job_leaves_it_to_another_after_the_lease(pg, zendesk, tmp_path):
    _queue_notes(pg, zendesk, 1)
    zendesk.block_writes = threading.Event()
    zendesk.block_writes.set()
    first = _start_worker(pg, zendesk, tmp_path, threads=1, lease=None)  # the default lease, renewed by heartbeat
    try:
        _wait_for(zendesk.write_arrived.is_set, 30, "the first worker's write")
        first.send_signal(signal.SIGKILL)
        first.wait(60)
        [job] = _jobs(pg)
        # The job comes back within one default lease of the kill: the heartbeat renews a short lease.
        assert job.lease_until is not None and job.lease_until <= utcnow() + DEFAULT_LEASE
    finally:
        if first.poll() is None:
            first.kill()
    zendesk.block_writes.clear()  # the killed worker's write lands on the helpdesk after all
    _wait_for(lambda: len(zendesk.private_notes("1001")) == 1, 60, "the late write")
    second = _start_worker(pg, zendesk, tmp_path, threads=1)
    try:
        _wait_for(lambda: all(j.status == DONE for j in _jobs(pg)), 60, "the job to complete after the lease")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)
    [job] = _jobs(pg)
    assert job.attempts == 2  # taken again once, after the lease ran out
    assert len(zendesk.private_notes("1001")) == 1  # and the note was found, not written twice
    with Session(pg) as session:
        assert session.exec(select(TicketNote)).one().status == "written"


def test_three_worker_processes_drain_300_jobs_each_exactly_once(pg, zendesk, tmp_path):
    _queue_notes(pg, zendesk, 300)
    workers = [_start_worker(pg, zendesk, tmp_path, threads=2) for _ in range(3)]
    try:
        _wait_for(lambda: all(j.status == DONE for j in _jobs(pg)), 120, "300 jobs")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
    jobs = _jobs(pg)
    assert len(jobs) == 300 and {j.attempts for j in jobs} == {1}
    assert len(zendesk.writes) == 300
    assert all(len(zendesk.private_notes(str(1000 + n))) == 1 for n in range(1, 301))


def test_three_worker_processes_share_each_providers_rate_limit_through_redis(pg, zendesk, tmp_path):
    stubs = [StubProvider(latency=0.01) for _ in range(2)]
    prefix = f"dd-test-{secrets.token_hex(4)}"
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    with Session(pg) as session:
        for number in range(60):  # far more lookups than the limit lets through while we watch
            text = f"my deposit {number + 1:064x} is missing"
            enqueue(session, "ticket", {"helpdesk": "zendesk", "ticket_ref": str(5000 + number), "text": text})
        session.commit()
    rate, burst = 5, 2
    limits = {
        "BTC_PROVIDERS": ",".join(f"esplora:{s.url}/api" for s in stubs),
        "BTC_RATE_LIMIT": str(rate),
        "PROVIDER_RATE_BURST": str(burst),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "REDIS_PREFIX": prefix,
    }
    began = time.time()  # the buckets' clock is Redis's TIME, this machine's wall clock too
    workers = [_start_worker(pg, zendesk, tmp_path, threads=3, **limits) for _ in range(3)]
    try:
        _wait_for(lambda: sum(s.requests for s in stubs) >= 20, 120, "20 provider requests")
        sent = sum(s.requests for s in stubs)  # each request was reserved in a bucket before it was sent
        buckets = [redis.get(key) for key in redis.scan_iter(f"{prefix}:bucket:*")]
        ended = time.time()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
        for stub in stubs:
            stub.stop()
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)
    # Every request the three processes sent took a slot of a bucket held in Redis: a bucket's next
    # free slot is at least one interval past the start for each slot taken (per-process buckets
    # would have left Redis empty) ...
    assert buckets and all(b is not None for b in buckets)
    slots_taken = sum((int(b) / 1_000_000 - began) * rate for b in buckets)
    assert slots_taken >= sent
    # ... and no provider host was sent more than its rate allows over the whole run (plus its burst).
    assert sent <= len(buckets) * (rate * (ended - began) + burst)
