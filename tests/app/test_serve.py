"""Running several processes: `serve --workers N` starts N web processes on one port, and on
PostgreSQL the schema is migrated by `depositdesk migrate` (concurrent runs take turns), not by
every replica on start."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import main
from app.runtime.db import make_engine, pending_migrations
from tests.conftest import POSTGRES_URL, require
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": "serve-test-secret-0123456789", **extra}


def _children(pid: int) -> list[str]:
    """Command lines of the direct children of a process."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_serve_with_two_workers_runs_two_web_processes_on_one_port(tmp_path):
    port = free_port()
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, env=_env(), stderr=subprocess.PIPE, text=True)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and status != 200:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
            except OSError:
                assert server.poll() is None, server.stderr.read()  # type: ignore[union-attr]
                time.sleep(0.2)
        assert status == 200
        web: list[str] = []
        while time.monotonic() < deadline and len(web) < 2:
            web = [line for line in _children(server.pid) if "spawn_main" in line]
            time.sleep(0.1)
        assert len(web) == 2, _children(server.pid)
        assert (tmp_path / "data" / "depositdesk.db").exists()  # SQLite: serve migrated it itself
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0


@pytest.fixture
def fresh_postgres(monkeypatch, tmp_path):
    """An empty PostgreSQL schema (no tables, no migrations) as DATABASE_URL."""
    schema = f"dd_migrate_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        admin.dispose()
        require(False, f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "serve-test-secret-0123456789")
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.postgres
def test_on_postgres_commands_refuse_an_unmigrated_schema_until_migrate_has_run(fresh_postgres):
    runner = CliRunner()
    refused = runner.invoke(main, ["agents", "add", "alice"])
    assert refused.exit_code == 1 and "run `depositdesk migrate` first" in refused.output
    engine = make_engine(fresh_postgres)
    try:
        assert pending_migrations(engine)[0] == set()  # nothing was created by the refused command
        migrated = runner.invoke(main, ["migrate"])
        assert migrated.exit_code == 0 and "up to date" in migrated.output
        current, heads = pending_migrations(engine)
        assert current == heads
    finally:
        engine.dispose()
    assert runner.invoke(main, ["agents", "add", "alice"]).exit_code == 0


@pytest.mark.postgres
def test_two_migrate_steps_started_together_take_turns(fresh_postgres, tmp_path):
    command = [sys.executable, "-c", "from app.cli import main; main()", "migrate"]
    env = _env(DATABASE_URL=fresh_postgres)
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(run.wait(60), run.stderr.read()) for run in runs]  # type: ignore[union-attr]
    assert [code for code, _ in outcomes] == [0, 0], outcomes


def test_sqlite_migrates_itself_postgres_waits_for_migrate_unless_told_and_pools_follow_the_threads():
    from app.settings import Settings

    postgres = "postgresql://dd@db.internal/depositdesk"
    assert Settings(_env_file=None).migrates_on_start()
    assert not Settings(_env_file=None, database_url=postgres).migrates_on_start()
    assert Settings(_env_file=None, database_url=postgres, migrate_on_start=True).migrates_on_start()
    assert Settings(_env_file=None, worker_threads=4).pool_size() == 14
    assert Settings(_env_file=None, worker_threads=4, database_pool_size=30).pool_size() == 30
