"""Production load on PostgreSQL: offered-rate webhook intake for 1, 2 and 3 web processes, and the
time from a burst of tickets to their first and last notes, notes-first against the old order.

    python -m bench.scale [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
                          [--rates 200,500,800] [--processes 1,2,3] [--seconds 10] [--tickets 1000]

1. `depositdesk serve --workers N` (no job workers) in a process of its own; bench.load_client in
   another sends signed Standard Webhooks at a fixed offered rate (open loop). Per rate: achieved
   rate, answers by status, ack p50/p99 from the scheduled send time, server CPU per accepted webhook;
   per N the server's RSS (all its processes) before and after.
2. A burst of tickets accepted at once, each naming a BTC transaction (Esplora stubs answering after
   20 ms, a local Zendesk), 8 worker threads: webhook → first note and → last note, with note jobs
   claimed first and, as the baseline in the same run, at the tickets' priority (the old order).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import func, select, text
from sqlmodel import Session

from app.helpdesks import note_job
from app.helpdesks.clients.base import Delivery
from app.helpdesks.intake import write_deliveries
from app.helpdesks.models import TicketNote
from app.runtime.db import make_engine, migrate
from app.runtime.workers import Worker
from app.wiring import build_investigator, build_work
from bench.stub_providers import StubProvider
from bench.webhooks import _settings
from tests.conftest import _empty
from tests.support.helpdesks import FakeZendesk, LocalZendesk
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_" + "YmVuY2gtc2NhbGUtc2VjcmV0"
TICKS = os.sysconf("SC_CLK_TCK")


def _family(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return [pid, *children]


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _web_pids(server: subprocess.Popen, processes: int) -> list[int]:
    """The serve process and its web processes (not multiprocessing's resource tracker)."""
    if processes == 1:
        return [server.pid]
    pids = [pid for pid in _family(server.pid)[1:] if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [server.pid, *pids]


def intake(url: str, processes: int, rates: list[float], seconds: float, tree: Path = ROOT) -> list[str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-scale-secret-0123456789",
        "WEBHOOK_SECRETS": SECRET,
        "WORKER_THREADS": "0",
    }
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [*command, *(["--workers", str(processes)] if processes > 1 else [])],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    if len(_web_pids(server, processes)) == processes + (processes > 1):
                        break
                except OSError:
                    pass
                time.sleep(0.3)
            time.sleep(2)
            pids = _web_pids(server, processes)
            lines = [f"{processes} process(es): RSS idle {_rss_mib(pids):.0f} MiB"]
            for rate in rates:
                cpu = _cpu_seconds(pids)
                client = [sys.executable, "-m", "bench.load_client", "--port", str(port), "--secret", SECRET]
                out = subprocess.run(
                    [*client, "--rate", str(rate), "--seconds", str(seconds)],
                    env={**env, "PYTHONPATH": str(ROOT)},
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(out.stdout)
                accepted = result["statuses"].get("202", 0)
                per_webhook = (_cpu_seconds(pids) - cpu) * 1000 / max(accepted, 1)
                lines.append(
                    f"  offered {rate:5.0f}/s  achieved {result['achieved_per_s']:6.1f}/s  "
                    f"ack p50 {result['ack_p50_ms']} ms  p99 {result['ack_p99_ms']} ms  "
                    f"answers {result['statuses']}  503 p50 {result['refusal_p50_ms']} ms  "
                    f"server CPU {per_webhook:.2f} ms/webhook"
                )
            lines.append(f"  RSS after {_rss_mib(pids):.0f} MiB")
            return lines
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


def burst(url: str, tickets: int, *, notes_first: bool) -> str:
    stubs = [StubProvider(latency=0.02) for _ in range(2)]
    fake = FakeZendesk()
    local = LocalZendesk(fake)
    settings = _settings(url, local.url, [stub.url for stub in stubs], 0)
    engine = make_engine(url, pool_size=20)
    _empty(engine)
    investigator = build_investigator(settings)
    work = build_work(settings, investigator)
    note_job.NOTE_PRIORITY = 10 if notes_first else 0
    for number in range(1, tickets + 1):
        fake.ticket(str(number), "deposit missing", f"I sent BTC, tx {number:064x}")
    with engine.begin() as connection:
        write_deliveries(connection, [("zendesk", Delivery(f"burst-{n}", str(n))) for n in range(1, tickets + 1)])
    stop = threading.Event()
    workers = [Worker(engine, work.handlers(), base_delay=0.2) for _ in range(8)]
    for worker in workers:
        threading.Thread(target=worker.run, args=(stop,), kwargs={"idle": 0.05}, daemon=True).start()
    query = select(
        func.min(TicketNote.written_at - TicketNote.received_at),
        func.max(TicketNote.written_at - TicketNote.received_at),
        func.count(),
    )
    while True:
        with Session(engine) as session:
            first, last, written = session.execute(query.where(TicketNote.status == "written")).one()
        if written >= tickets:
            break
        time.sleep(0.2)
    stop.set()
    engine.dispose()
    local.close()
    for stub in stubs:
        stub.stop()
    order = "notes first        " if notes_first else "old order (no priority)"
    return f"{order}: webhook → first note {first.total_seconds():5.1f} s, → last note {last.total_seconds():5.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rates", default="200,500,800")
    parser.add_argument("--processes", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--baseline", type=Path, help="a source tree of an earlier version to measure first")
    args = parser.parse_args()
    schemas = [f"bench_{secrets.token_hex(4)}", f"bench_{secrets.token_hex(4)}"]
    admin = make_engine(args.postgres)
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url, baseline_url = (f"{args.postgres}?options=-csearch_path%3D{schema}" for schema in schemas)
    try:
        migrate(make_engine(url))
        rates = [float(rate) for rate in args.rates.split(",")]
        print(f"intake: offered-rate load from a separate process, {args.seconds:g} s per rate, PostgreSQL")
        print(f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        if args.baseline:  # one process: earlier versions have no --workers; it migrates its own schema
            print(f"baseline, {args.baseline}:")
            print("\n".join(intake(baseline_url, 1, rates, args.seconds, tree=args.baseline.resolve())), flush=True)
        for processes in (int(p) for p in args.processes.split(",")):
            print("\n".join(intake(url, processes, rates, args.seconds)), flush=True)
        if not args.skip_burst:
            print(f"burst: {args.tickets} tickets at once, 8 worker threads")
            for notes_first in (False, True):
                print("  " + burst(url, args.tickets, notes_first=notes_first), flush=True)
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
