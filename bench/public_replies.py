"""Time from a ticket's webhook to its public reply (issue 26), tickets arriving at a steady rate.

    python -m bench.public_replies [--tickets 300] [--rate 100] [--latency-ms 100] [--workers 8]

Signed Zendesk webhooks are sent over HTTP to a live server at `--rate` tickets a second, each naming
its own BTC transaction, which two Esplora stubs answer after `--latency-ms`; the ledger credits each,
so every verdict is `credited` and `AUTO_REPLY=credited`, `AUTO_REPLY_MODE=on`. A local Zendesk
times the arrival of each ticket's public comment; printed: p50, p99 and max of webhook → public reply.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlmodel import Session

from app.main import create_app
from app.runtime.workers import Worker
from bench.stub_providers import BTC_ADDRESS, StubProvider
from bench.webhooks import SECRET, _live, _settings
from tests.support.helpdesks import FakeZendesk, LocalZendesk, zendesk_headers
from tests.support.ledger import add_addresses, add_deposit


def run(tickets: int, rate: float, latency: float, workers: int) -> str:
    stubs = [StubProvider(latency=latency) for _ in range(2)]
    fake = FakeZendesk(allow_public=True)
    local = LocalZendesk(fake)
    with tempfile.TemporaryDirectory() as folder:
        settings = _settings(
            f"sqlite:///{Path(folder) / 'replies.db'}", local.url, [s.url for s in stubs], 10_000
        ).model_copy(update={"auto_reply": ["credited"], "auto_reply_mode": "on", "btc_confirmations": 1})
        app = create_app(settings)
        engine = app.state.engine
        with Session(engine) as session:
            add_addresses(session, (BTC_ADDRESS, "p-1"))
            for number in range(1, tickets + 1):
                txid = f"{number:064x}"
                add_deposit(session, txid, BTC_ADDRESS, "0.01", "p-1")
                fake.ticket(str(number), "deposit missing", f"I sent BTC, tx {txid}")
            session.commit()
        server, base = _live(app)
        stop = threading.Event()
        pool = [Worker(engine, app.state.work.handlers(), base_delay=0.2) for _ in range(workers)]
        threads = [threading.Thread(target=w.run, args=(stop,), kwargs={"idle": 0.02}, daemon=True) for w in pool]
        for thread in threads:
            thread.start()
        sent: dict[str, float] = {}
        client = requests.Session()
        started = time.perf_counter()
        for number in range(1, tickets + 1):
            due = started + (number - 1) / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            body = json.dumps({"ticket_id": str(number)}).encode()
            sent[str(number)] = time.perf_counter()
            answer = client.post(
                f"{base}/webhooks/zendesk", data=body, headers=zendesk_headers(SECRET, body, invocation=f"r-{number}")
            )
            assert answer.status_code == 202, answer.text
        deadline = time.perf_counter() + 120
        while len(fake.public_times) < tickets and time.perf_counter() < deadline:
            time.sleep(0.05)
        stop.set()
        server.should_exit = True
        for thread in threads:
            thread.join(timeout=10)
        while server.started and not server.should_exit:
            time.sleep(0.05)
        time.sleep(0.5)  # the server's loop notices should_exit
        engine.dispose()
    local.close()
    for stub in stubs:
        stub.stop()
    delays = sorted(fake.public_times[t] - sent[t] for t in fake.public_times)
    if not delays:
        return "no public reply arrived"
    p99 = delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))]
    return (
        f"{len(delays)}/{tickets} tickets at {rate:g}/s, providers at {latency * 1000:g} ms, {workers} worker threads:"
        f" webhook → public reply p50 {statistics.median(delays):.2f} s, p99 {p99:.2f} s, max {delays[-1]:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    print(run(args.tickets, args.rate, args.latency_ms / 1000, args.workers))


if __name__ == "__main__":
    main()
