"""/healthz latency while strangers flood the server with large unauthenticated bodies.

    python -m bench.flood [--senders 24] [--samples 300] [--mib 5]

Three processes on loopback: the server (uvicorn, one process, SQLite), a flood client process
whose threads keep posting large unsigned / unauthenticated bodies (MIB MiB with a Content-Length
to /webhooks/zendesk and /api/deposits, the same chunked without one, and bodies just under the
webhook limit with a bad signature), and this process, which times /healthz idle and then under the
flood. Prints p50/p99 of both and their ratio. Every loop is bounded by a sample count or a deadline.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from tests.support.net import free_port

SECRET = "bench-flood-zendesk-secret"


def serve(port: int, database: str) -> None:
    """The server process: the real app, one uvicorn worker, webhooks configured."""
    import uvicorn

    from app.main import create_app
    from app.settings import Settings

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{database}",
        secret_key="bench-secret-key-0123456789",
        eth_providers=[],
        zendesk_base_url="http://127.0.0.1:9",
        zendesk_email="bench@example.com",
        zendesk_api_token="t",
        zendesk_webhook_secrets=[SECRET],
        worker_threads=0,
    )
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="error")


def flood(base: str, senders: int, mib: int, seconds: float, counts: multiprocessing.Queue) -> None:
    """The flood process: `senders` threads posting large bodies until the deadline.

    It runs at the lowest CPU priority: an attacker's CPU is not the server's, and on one small
    machine the figure should show what the server does, not who wins the scheduler."""
    os.nice(19)
    # Flat JSON lists: a depth scan has to read every byte of them (a deep one stops early).
    big = b"[" + b"1," * (mib * 512 * 1024 - 1) + b"1]"
    near_limit = b"[" + b"1," * (125 * 1024 - 1) + b"1]"
    deadline = time.monotonic() + seconds

    def chunks():  # no Content-Length: the server must cut it off while reading
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    kinds = [
        ("/webhooks/zendesk", lambda: big, {"X-Zendesk-Webhook-Signature": "bad", "Content-Type": "application/json"}),
        ("/api/deposits", lambda: big, {"Content-Type": "application/json"}),
        ("/webhooks/zendesk", chunks, {"Content-Type": "application/json"}),
        ("/webhooks/zendesk", lambda: near_limit, {"X-Zendesk-Webhook-Signature": "bad"}),
    ]
    sent = [0]
    lock = threading.Lock()

    def sender(offset: int) -> None:
        session = requests.Session()
        number = offset
        while time.monotonic() < deadline:
            path, body, headers = kinds[number % len(kinds)]
            number += 1
            try:
                session.post(base + path, data=body(), headers=headers, timeout=30)
            except requests.RequestException:
                session = requests.Session()  # the server answered early and closed: that is the point
            with lock:
                sent[0] += 1

    threads = [threading.Thread(target=sender, args=(i,), daemon=True) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    counts.put(sent[0])


def _timings(base: str, samples: int) -> list[float]:
    session = requests.Session()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = session.get(base + "/healthz", timeout=30)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        time.sleep(0.01)
    return sorted(timings)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p(timings: list[float], quantile: float) -> float:
    return timings[min(len(timings) - 1, round(quantile * (len(timings) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=24)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--mib", type=int, default=5)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.flood", "--serve", str(port), str(Path(folder) / "flood.db")],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            for _ in range(300):
                try:
                    if requests.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            idle = _timings(base, args.samples)
            counts: multiprocessing.Queue = multiprocessing.Queue()
            seconds = args.samples * 0.02 + 5
            client = multiprocessing.Process(target=flood, args=(base, args.senders, args.mib, seconds, counts))
            client.start()
            time.sleep(1.0)  # let the flood build up
            started, cpu_before = time.perf_counter(), _cpu_seconds(server.pid)
            loaded = _timings(base, args.samples)
            measured, server_cpu = time.perf_counter() - started, _cpu_seconds(server.pid) - cpu_before
            client.join(timeout=seconds + 90)
            flooded = counts.get(timeout=5) if not counts.empty() else 0
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(f"flood: {args.senders} senders, {args.mib} MiB unauthenticated bodies, {flooded} posts in {seconds:.0f} s")
    print(f"  /healthz idle        p50 {_p(idle, 0.5):7.2f} ms   p99 {_p(idle, 0.99):7.2f} ms")
    print(f"  /healthz under flood p50 {_p(loaded, 0.5):7.2f} ms   p99 {_p(loaded, 0.99):7.2f} ms  ({measured:.1f} s)")
    print(
        f"  server CPU while flooded: {server_cpu:.2f} s in {measured:.1f} s ({100 * server_cpu / measured:.0f}% of a core)"
    )
    print(
        f"  ratio under flood / idle: p50 {statistics.median(loaded) / statistics.median(idle):.2f}"
        f"   p99 {_p(loaded, 0.99) / _p(idle, 0.99):.2f}"
    )


if __name__ == "__main__":
    main()
