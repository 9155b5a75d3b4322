"""How fast the Discord bot acknowledges a slash command (issue 27): Discord drops an interaction not
answered within 3 seconds, so the verified, stored, deferred answer must come back well inside it.

    python -m bench.discord [--interactions 400] [--clients 8] [--database sqlite|URL]

`/deposit` interactions, each with its own id and hash, signed with a PyNaCl key as Discord signs
them, are sent by `--clients` concurrent clients to a live server (uvicorn); each is checked
(signature, freshness), stored once with its job and answered type 5 (deferred, ephemeral). No
worker runs: only the acknowledgement is measured. Printed: p50, p99, max and the rate.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from app.main import create_app
from app.settings import Settings
from bench.webhooks import _live
from tests.support.discord import API, APP_ID, BOT_TOKEN, GUILD, PUBLIC_KEY, body_of, command, signed_headers


def run(interactions: int, clients: int, database_url: str) -> str:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        secret_key="bench-secret-key-0123456789",
        eth_providers=[],
        worker_threads=0,
        discord_application_id=APP_ID,
        discord_public_key=PUBLIC_KEY,
        discord_bot_token=BOT_TOKEN,
        discord_api_url=API,
        discord_guild_ids=[GUILD],
    )
    app = create_app(settings)
    server, base = _live(app)
    latencies: list[float] = []
    lock = threading.Lock()

    def send(numbers: range) -> None:
        session = requests.Session()
        for number in numbers:
            payload = command("deposit", {"tx": f"{number:064x}"}, user_id=1100000000000000000 + number)
            body = body_of(payload)
            started = time.perf_counter()
            response = session.post(f"{base}/discord/interactions", data=body, headers=signed_headers(body), timeout=30)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and response.json()["type"] == 5, response.text
            with lock:
                latencies.append(elapsed)

    share = -(-interactions // clients)
    threads = [
        threading.Thread(target=send, args=(range(i * share, min(interactions, (i + 1) * share)),))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    server.should_exit = True
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{len(ordered)} interactions, {clients} clients: ack p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms (Discord allows 3000 ms); "
        f"{len(ordered) / wall:.0f} per second"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", default="sqlite", help="sqlite (a temporary file) or a database URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'discord.db'}" if args.database == "sqlite" else args.database
        print(run(args.interactions, args.clients, url))


if __name__ == "__main__":
    main()
