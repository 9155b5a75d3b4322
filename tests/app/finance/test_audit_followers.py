"""Two worker processes running the deposit auditor against one PostgreSQL and one anvil node:
only one follows the chain; killed, the other takes over once the (short) lease has run out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from investigations.audit.models import AuditBlock, AuditCursor
from tests.conftest import require
from tests.support.anvil import ANVIL, Anvil

pytestmark = [pytest.mark.postgres, pytest.mark.anvil]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg(postgres_engine):
    from tests.conftest import _empty

    _empty(postgres_engine)
    yield postgres_engine
    _empty(postgres_engine)


@pytest.fixture
def node():
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    anvil = Anvil.start()
    yield anvil
    anvil.stop()


def _start(engine, node: Anvil, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SECRET_KEY": "follower-test-secret-0123456789",
        "ETH_PROVIDERS": node.url,
        "AUDIT_ENABLED": "true",
        "AUDIT_CHAINS": "eth",
        # Renewed every 0.2 s poll: a lease of 100 polls survives a machine stalled for seconds (at 8 s
        # a stalled leader lost it and the other process followed a block meanwhile), and a takeover
        # still comes within the test's wait after the kill.
        "AUDIT_LEASE_SECONDS": "20",
        "AUDIT_POLL_SECONDS": "0.2",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "worker", "--threads", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _cursor(engine) -> AuditCursor | None:
    with Session(engine) as session:
        return session.get(AuditCursor, "eth")


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _height(node: Anvil) -> int:
    return int(node.rpc("eth_blockNumber"), 16)


def test_one_follower_per_chain_and_a_takeover_after_the_lease(pg, node, tmp_path):
    node.rpc("anvil_mine", hex(3))
    processes = {p.pid: p for p in (_start(pg, node, tmp_path), _start(pg, node, tmp_path))}
    try:
        _wait_for(lambda: (c := _cursor(pg)) is not None and c.height == _height(node), 60, "the first follower")
        leader = _cursor(pg).lease_owner
        owners = set()
        for _ in range(5):  # block by block, each followed before the next is mined
            node.rpc("anvil_mine", hex(1))
            _wait_for(lambda: _cursor(pg).height == _height(node), 60, "the leader to follow the block")
            owners.add(_cursor(pg).lease_owner)
        assert owners == {leader}  # the other process never followed meanwhile
        _wait_for(lambda: _cursor(pg).height == _height(node), 60, "the leader to catch up")
        leader_pid = int(leader.split(":")[1])
        processes[leader_pid].send_signal(signal.SIGKILL)
        processes[leader_pid].wait(60)
        node.rpc("anvil_mine", hex(5))
        _wait_for(lambda: _cursor(pg).height == _height(node), 120, "the other process to take over")
        assert _cursor(pg).lease_owner != leader
        with Session(pg) as session:
            heights = session.exec(select(AuditBlock.height).order_by(col(AuditBlock.height))).all()
            assert heights == list(range(heights[0], _height(node) + 1))  # no gap, no block twice
            assert session.exec(select(func.count()).select_from(AuditBlock)).one() == len(heights)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
