"""What the access check and the trail cost per request, and how fast `activity verify` reads.

    python -m bench.access [--requests 300] [--rows 20000]

The real app on SQLite (in a temporary folder) through the ASGI test client: GET /api/findings with
an agent's token and with a machine token (the role or scope check before the route), PUT
/api/deposit-addresses with one row (the write and its trail row in one transaction); p50 and p95
milliseconds per request and SQL statements per request. Then `verify` over --rows trail rows.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.main import create_app
from app.runtime.accounts import add_agent
from app.runtime.activity import Who, append, verify
from app.runtime.tokens import add_token
from app.settings import Settings


def _measure(client: TestClient, engine, count: int, call) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    statements = [0]

    def counted(*_args) -> None:  # type: ignore[no-untyped-def]
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", counted)
    times = []
    for n in range(count):
        started = time.perf_counter()
        answer = call(client, n)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
    event.remove(engine, "before_cursor_execute", counted)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statements[0] / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.db",
            secret_key="bench-secret-key-0123456789abcdef",
            public_base_url="http://127.0.0.1:8000",
            _env_file=None,
        )
        app = create_app(settings)
        engine = app.state.engine
        with Session(engine) as session:
            _admin, agent_token = add_agent(session, "bench")
            _token, machine = add_token(session, "bench-sync", ["read", "ledger:write"], by="bench")
            session.commit()
        row = {"chain": "btc", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "player_ref": "p-1"}
        cases = {
            "GET /api/findings, agent token": lambda c, n: c.get(
                "/api/findings", headers={"Authorization": f"Bearer {agent_token}"}
            ),
            "GET /api/findings, machine token": lambda c, n: c.get(
                "/api/findings", headers={"Authorization": f"Bearer {machine}"}
            ),
            "PUT /api/deposit-addresses + trail row": lambda c, n: c.put(
                "/api/deposit-addresses",
                headers={"Authorization": f"Bearer {machine}"},
                json=[dict(row, player_ref=f"p-{n}")],
            ),
        }
        with TestClient(app) as client:
            print(f"{args.requests} requests each, SQLite, in-process client")
            for name, call in cases.items():
                p50, p95, per = _measure(client, engine, args.requests, call)
                print(f"  {name:<40} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {per:4.1f} SQL statements/request")
        with Session(engine) as session:
            for n in range(args.rows):
                append(session, Who("agent:bench", "admin", "127.0.0.1"), "bench.row", str(n), after={"n": n})
                if n % 1000 == 999:
                    session.commit()
            session.commit()
            started = time.perf_counter()
            problems = verify(session)
            elapsed = time.perf_counter() - started
        total = args.rows + args.requests
        print(
            f"  activity verify: {total} rows in {elapsed:.2f} s ({total / elapsed:,.0f} rows/s), {len(problems)} problems"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
