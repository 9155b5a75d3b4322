"""Time from a ticket's webhook to its public reply (issue 26), tickets arriving at a steady rate.

    python -m bench.public_replies [--tickets 300] [--rate 100] [--latency-ms 100] [--threads N]

Three processes, as in a deployment: `depositdesk serve` (SQLite, its own job workers with the
deployment's defaults: `WORKER_THREADS`, `JOB_CONCURRENCY`), an open-loop client
(`bench.load_client`) sending one signed Zendesk webhook per ticket at `--rate` whatever the server
does, and this process serving the outside world: two Esplora stubs answering after `--latency-ms`
and a local Zendesk that times each ticket's public comment. Every ticket names its own BTC
transaction, which the ledger credits, so each verdict is `credited`; `AUTO_REPLY=credited`,
`AUTO_REPLY_MODE=on`. The only settings changed from the defaults are those a deployment sets for
itself: the providers and the helpdesk, and their client-side rate limits (the stubs have none; the
defaults are those of public providers and of Zendesk's Team plan). `--threads` overrides
`WORKER_THREADS`. Printed: offered and achieved webhook rate, then webhook → public reply p50, p90,
p99 and max (from each webhook's scheduled send time), server CPU per ticket.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlmodel import Session

from app.runtime.db import make_engine, migrate
from bench.scale import _cpu_seconds
from bench.stub_providers import BTC_ADDRESS, StubProvider
from bench.webhooks import SECRET
from tests.support.helpdesks import FakeZendesk, LocalZendesk
from tests.support.ledger import add_addresses, add_deposit
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[1]


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _environment(database_url: str, zendesk_url: str, esplora: list[str], threads: int | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key-0123456789",
        "BTC_PROVIDERS": ",".join(f"esplora:{url}/api" for url in esplora),
        "ETH_PROVIDERS": "",
        "EVM_NETWORKS": "",
        "BTC_CONFIRMATIONS": "1",
        "BTC_RATE_LIMIT": "10000",  # local stubs; the default (5/s) is a public provider's
        "ZENDESK_BASE_URL": zendesk_url,
        "ZENDESK_EMAIL": "bench@example.com",
        "ZENDESK_API_TOKEN": "t",
        "ZENDESK_WEBHOOK_SECRETS": SECRET,
        "ZENDESK_RATE_LIMIT": "10000",  # a local Zendesk; the default (2.5/s) is the Team plan's
        "AUTO_REPLY": "credited",
        "AUTO_REPLY_MODE": "on",
    }
    if threads is not None:
        env["WORKER_THREADS"] = str(threads)
    return env


def run(tickets: int, rate: float, latency: float, threads: int | None) -> list[str]:
    stubs = [StubProvider(latency=latency) for _ in range(2)]
    fake = FakeZendesk(allow_public=True)
    local = LocalZendesk(fake)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'replies.db'}"
        engine = make_engine(database_url)
        migrate(engine)
        with Session(engine) as session:
            add_addresses(session, (BTC_ADDRESS, "p-1"))
            for number in range(1, tickets + 1):
                txid = f"{number:064x}"
                add_deposit(session, txid, BTC_ADDRESS, "0.01", "p-1")
                fake.ticket(str(number), "deposit missing", f"I sent BTC, tx {txid}")
            session.commit()
        engine.dispose()
        env = _environment(database_url, local.url, [s.url for s in stubs], threads)
        command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
        log = (Path(folder) / "serve.log").open("wb")  # read only if something goes wrong
        server = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_until_up(port)
            cpu = _cpu_seconds([server.pid])
            client = [sys.executable, "-m", "bench.load_client", "--port", str(port), "--secret", SECRET]
            answer = subprocess.run(
                [*client, "--rate", str(rate), "--zendesk-tickets", str(tickets), "--connections", "64"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            sent = json.loads(answer.stdout)
            deadline = time.monotonic() + 300
            while len(fake.public_times) < tickets and time.monotonic() < deadline:
                time.sleep(0.05)
            cpu = _cpu_seconds([server.pid]) - cpu
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
            log.close()
        if len(fake.public_times) < tickets:
            print((Path(folder) / "serve.log").read_text(errors="replace")[-4000:], file=sys.stderr)
    local.close()
    for stub in stubs:
        stub.stop()
    due = {str(number): at for number, at in enumerate(sent["due"], start=1)}  # the same clock
    delays = sorted(fake.public_times[ticket] - due[ticket] for ticket in fake.public_times)
    head = (
        f"{tickets} tickets, providers at {latency * 1000:g} ms, WORKER_THREADS={threads or 'default'}:"
        f" offered {rate:g}/s, achieved {sent['achieved_per_s']:g}/s (answers {sent['statuses']})"
    )
    if not delays:
        return [head, "no public reply arrived"]
    return [
        head,
        f"{len(delays)}/{tickets} public replies: webhook → public reply p50 {statistics.median(delays):.2f} s,"
        f" p90 {_percentile(delays, 0.9):.2f} s, p99 {_percentile(delays, 0.99):.2f} s, max {delays[-1]:.2f} s;"
        f" server CPU {cpu * 1000 / tickets:.1f} ms per ticket",
    ]


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--threads", type=int, default=None, help="WORKER_THREADS for the server (default: its own)")
    args = parser.parse_args()
    for line in run(args.tickets, args.rate, args.latency_ms / 1000, args.threads):
        print(line)


if __name__ == "__main__":
    main()
