"""Webhook intake and the time from a burst of tickets to their last note.

    python -m bench.webhooks [--webhooks 1000] [--tickets 200] [--rate 50] [--latency-ms 20]
                             [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

1. Signed Zendesk webhooks sent over HTTP by 4 client threads to a live server: accepted and
   persisted per second, and the acknowledgement latency p50/p99 (SQLite, and PostgreSQL if given).
2. A burst of tickets, each naming a different BTC transaction, against Esplora stubs that answer
   after a fixed latency under a client-side rate limit, and a local Zendesk: time until the last
   note is written, as a ratio to the ideal (tickets × provider calls per ticket ÷ rate limit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import uvicorn
from sqlalchemy import text
from sqlmodel import Session, select

from app.helpdesks.clients.base import Delivery
from app.helpdesks.intake import intake as record_delivery
from app.helpdesks.models import TicketNote
from app.main import create_app
from app.runtime.db import make_engine
from app.runtime.workers import Worker
from app.settings import Settings
from bench.stub_providers import StubProvider
from tests.support.helpdesks import FakeZendesk, LocalZendesk, zendesk_headers
from tests.support.net import free_port

SECRET = "bench-zendesk-secret"


def _settings(database_url: str, zendesk_url: str, esplora: list[str], rate: float) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        secret_key="bench-secret-key-0123456789",
        btc_providers=[f"esplora:{url}/api" for url in esplora],
        eth_providers=[],
        btc_rate_limit=rate,
        zendesk_base_url=zendesk_url,
        zendesk_email="bench@example.com",
        zendesk_api_token="t",
        zendesk_webhook_secrets=[SECRET],
        zendesk_rate_limit=10_000,
        lookup_budget_seconds=120,
    )


def _live(app) -> tuple[uvicorn.Server, str]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def intake(database_url: str, count: int) -> str:
    fake = FakeZendesk()
    local = LocalZendesk(fake)
    app = create_app(_settings(database_url, local.url, ["http://127.0.0.1:9"], 0))
    server, base = _live(app)
    latencies: list[float] = []
    lock = threading.Lock()

    def send(numbers: range) -> None:
        session = requests.Session()
        for number in numbers:
            body = json.dumps({"ticket_id": str(number)}).encode()
            headers = zendesk_headers(SECRET, body, invocation=f"bench-{number}")
            started = time.perf_counter()
            response = session.post(f"{base}/webhooks/zendesk", data=body, headers=headers, timeout=30)
            elapsed = time.perf_counter() - started
            assert response.status_code == 202, response.text
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send, [range(i, count, 4) for i in range(4)]))
    wall = time.perf_counter() - started
    server.should_exit = True
    local.close()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    dialect = app.state.engine.dialect.name
    app.state.engine.dispose()
    return (
        f"{dialect:10} {count / wall:8.0f} webhooks/s   ack p50 {statistics.median(ordered) * 1000:6.1f} ms"
        f"   p99 {p99 * 1000:6.1f} ms"
    )


def burst(tickets: int, rate: float, latency: float) -> str:
    stubs = [StubProvider(latency=latency) for _ in range(2)]
    fake = FakeZendesk()
    local = LocalZendesk(fake)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(_settings(f"sqlite:///{Path(folder) / 'burst.db'}", local.url, [s.url for s in stubs], rate))
        engine = app.state.engine
        with Session(engine) as session:
            for number in range(1, tickets + 1):
                txid = f"{number:064x}"
                fake.ticket(str(number), "deposit missing", f"I sent BTC, tx {txid}")
                record_delivery(session, "zendesk", Delivery(f"burst-{number}", str(number)))
        before = [s.requests for s in stubs]
        stop = threading.Event()
        workers = [Worker(engine, app.state.work.handlers(), base_delay=0.2) for _ in range(8)]
        threads = [threading.Thread(target=w.run, args=(stop,), kwargs={"idle": 0.05}, daemon=True) for w in workers]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        while True:
            with Session(engine) as session:
                written = session.exec(select(TicketNote).where(TicketNote.status == "written")).all()
            if len(written) >= tickets:
                break
            time.sleep(0.1)
        wall = time.perf_counter() - started
        stop.set()
        # Each provider has its own limit: the busiest one sets the pace (both are asked for every tx).
        calls = max(s.requests - b for s, b in zip(stubs, before, strict=True)) / tickets
        ideal = tickets * calls / rate
        engine.dispose()
    local.close()
    for stub in stubs:
        stub.stop()
    return (
        f"{tickets} tickets, {calls:.2f} requests each to the busiest provider, rate limit {rate:g}/s, latency {latency * 1000:g} ms:"
        f" last note after {wall:.1f} s; ideal {ideal:.1f} s; ratio {wall / ideal:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    print("intake: signed webhooks accepted and persisted (HTTP, 4 client threads)")
    with tempfile.TemporaryDirectory() as folder:
        print("  " + intake(f"sqlite:///{Path(folder) / 'intake.db'}", args.webhooks))
    if args.postgres:
        schema = f"bench_{int(time.time())}"
        admin = make_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            print("  " + intake(f"{args.postgres}?options=-csearch_path%3D{schema}", args.webhooks))
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print("burst: time to the last note")
    print("  " + burst(args.tickets, args.rate, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
