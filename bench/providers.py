"""Provider cost of an investigation, against local stub providers with a fixed latency L.

    python -m bench.providers [--latency-ms 50] [--lookups 40]

Starts stub providers on 127.0.0.1 (Esplora and Ethereum JSON-RPC, bench/stub_providers.py) that
answer every request after sleeping L, runs investigations through the real service (SQLite, the
real adapters and provider pool), and prints provider HTTP requests per investigation and lookup
latency p50/p95 as ratios to L: fresh lookups, re-lookups of a settled tx, and lookups with one
provider hanging, one refusing connections, and of a tx no provider knows.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.runtime.db import make_engine, migrate
from app.settings import Settings
from app.wiring import build_investigator
from bench.stub_providers import BTC_ADDRESS, ETH_ADDRESS, StubProcess, bare_round_trip, refusing_url
from chains.assets import DEFAULT_ASSETS
from chains.base import Chain
from investigations.ledger import DepositAddressRecord, upsert_deposit_addresses
from investigations.service import InvestigationRequest

HEDGE_MIN, HEDGE_MAX = 0.1, 1.5  # the defaults


def _measure(investigator: Any, engine: Any, chain: str, hashes: list[str], stubs: list[Any]) -> tuple:
    before = sum(s.requests for s in stubs)
    latencies = []
    with Session(engine) as session:
        for tx_hash in hashes:
            started = time.perf_counter()
            investigator.investigate(session, InvestigationRequest(tx_hash, chain=chain))
            latencies.append(time.perf_counter() - started)
    return (sum(s.requests for s in stubs) - before) / len(hashes), latencies


def _p95(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(
    chain: str,
    label: str,
    per_lookup: float,
    latencies: list[float],
    latency: float,
    note: str = "",
    bare: float | None = None,
) -> None:
    """One line of figures: ratios to L, and with `bare` (the stubs' own round trip, measured in the
    same run: see bench.stub_providers.bare_round_trip) the p50 and p95 as multiples of it too."""
    p50, p95 = statistics.median(latencies) / latency, _p95(latencies) / latency
    against = ""
    if bare is not None:
        against = f"   = {statistics.median(latencies) / bare:4.2f} / {_p95(latencies) / bare:4.2f} × bare"
    print(f"{chain:5} {label:34} {per_lookup:10.2f}   p50 {p50:5.2f} L   p95 {p95:5.2f} L{against}   {note}")


def _bare_line(bare: float, latency: float) -> None:
    print(f"a bare request to a stub (the baseline): p50 {bare * 1000:.1f} ms = {bare / latency:.3f} L")


def _investigator(folder: str, name: str, **providers: Any) -> tuple[Any, Any]:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{Path(folder) / name}.db",
        **{"btc_rate_limit": 0, "eth_rate_limit": 0, **providers},
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as session:
        upsert_deposit_addresses(
            session,
            [
                DepositAddressRecord(chain="btc", address=BTC_ADDRESS, player_ref="p"),
                DepositAddressRecord(chain="eth", address=ETH_ADDRESS, player_ref="p"),
            ],
            DEFAULT_ASSETS,
        )
        session.commit()
    return build_investigator(settings), engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lookups", type=int, default=40)
    parser.add_argument("--burst", type=int, default=0, help="only: this many BTC lookups at once, default limits")
    args = parser.parse_args()
    if args.burst:
        _burst(args.burst, args.latency_ms / 1000)
        return
    latency, count = args.latency_ms / 1000, args.lookups
    # Served by a process of their own: real providers are other machines and take none of ours.
    process = StubProcess([{"latency": latency} for _ in range(3)])
    stubs = process.stubs
    btc_hash: Callable[[int], str] = lambda i: f"{i:064x}"  # noqa: E731
    print(f"latency L = {args.latency_ms:g} ms per provider request, {count} lookups per row")
    bare = bare_round_trip([s.url for s in stubs])
    _bare_line(bare, latency)
    print(f"{'chain':5} {'lookup':34} {'requests':>10}   latency")
    with tempfile.TemporaryDirectory() as folder:
        btc = [f"esplora:{s.url}/api" for s in stubs]
        investigator, engine = _investigator(
            folder, "healthy", btc_providers=btc[:2], eth_providers=[s.url for s in stubs[:2]]
        )
        for chain, make in (("btc", btc_hash), ("eth", lambda i: "0x" + f"{i:064x}")):
            fresh = [make(i + 1) for i in range(count)]
            _row(chain, "fresh tx", *_measure(investigator, engine, chain, fresh, stubs), latency, bare=bare)
            again = _measure(investigator, engine, chain, [fresh[0]] * count, stubs)
            _row(chain, "settled tx, again", *again, latency, bare=bare)
        unknown = ["ee" + f"{i:062x}" for i in range(count)]
        _row(
            "btc",
            "unknown tx (two agree)",
            *_measure(investigator, engine, "btc", unknown, stubs),
            latency,
            "goal ≤ 1.30 L",
            bare,
        )

        # The default limits (5 and 10 requests/s per provider, bursts of 2), lookups back to back.
        investigator, engine = _investigator(
            folder,
            "limited",
            btc_providers=btc[:2],
            eth_providers=[s.url for s in stubs[:2]],
            btc_rate_limit=Settings.model_fields["btc_rate_limit"].default,
            eth_rate_limit=Settings.model_fields["eth_rate_limit"].default,
        )
        for chain, make in (("btc", btc_hash), ("eth", lambda i: "0x" + f"{i:064x}")):
            fresh = [make(7000 + i) for i in range(count)]
            label = "fresh tx, default limits"
            _row(
                chain,
                label,
                *_measure(investigator, engine, chain, fresh, stubs),
                latency,
                "goal p50 ≤ 1.1, p95 ≤ 1.5",
                bare,
            )
        unknown = ["ee" + f"{7000 + i:062x}" for i in range(count)]
        label = "unknown tx, default limits"
        _row("btc", label, *_measure(investigator, engine, "btc", unknown, stubs), latency, bare=bare)

        investigator, engine = _investigator(
            folder, "refusing", btc_providers=[f"esplora:{refusing_url()}/api", btc[1]]
        )
        fresh = [btc_hash(1000 + i) for i in range(count)]
        _row("btc", "first provider refusing", *_measure(investigator, engine, "btc", fresh, stubs), latency, bare=bare)

        investigator, engine = _investigator(folder, "hanging", btc_providers=btc)
        warm = [btc_hash(2000 + i) for i in range(10)]
        _measure(investigator, engine, "btc", warm, stubs)  # the providers' p95 latency, before one starts hanging
        hedge = investigator.pools[Chain.BTC].providers[0].hedge_delay()
        stubs[0].behaviour = "hang"
        goal = f"goal ≤ hedge {hedge / latency:.2f} L + 1.30 L = {hedge / latency + 1.3:.2f} L"
        # An unknown tx: the second provider's "unknown" needs the third's, asked once the first has
        # not answered within its hedge delay (a dozen lookups: before its calls overrun their
        # deadline and its breaker opens, after which it is not asked at all).
        unknown = ["ee" + f"{5000 + i:062x}" for i in range(12)]
        label = "first hanging, unknown tx (3 prov.)"
        _row("btc", label, *_measure(investigator, engine, "btc", unknown, stubs), latency, goal, bare)
        fresh = [btc_hash(3000 + i) for i in range(count)]
        _row("btc", "first provider hanging", *_measure(investigator, engine, "btc", fresh, stubs), latency, goal, bare)
        engine.dispose()
    process.stop()


def _burst(count: int, latency: float) -> None:
    """A burst of fresh BTC lookups at once (16 at a time, as the job workers run them) against two
    providers at the default limits: lookups per second against the sum of the providers' limits."""
    from concurrent.futures import ThreadPoolExecutor

    process = StubProcess([{"latency": latency} for _ in range(2)])
    stubs = process.stubs
    rate = Settings.model_fields["btc_rate_limit"].default
    with tempfile.TemporaryDirectory() as folder:
        investigator, engine = _investigator(
            folder, "burst", btc_providers=[f"esplora:{s.url}/api" for s in stubs], btc_rate_limit=rate
        )
        pool = investigator.pools[Chain.BTC]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as workers:
            outcomes = list(workers.map(lambda i: pool.lookup(f"{90_000 + i:064x}").outcome.value, range(count)))
        took = time.perf_counter() - started
        engine.dispose()
    requests = sum(s.requests for s in stubs)
    found = outcomes.count("found")
    limit = rate * len(stubs)
    print(f"burst of {count} BTC lookups, 2 providers at {rate:g} requests/s each, L = {latency * 1000:g} ms")
    print(f"found {found}, {requests / count:.2f} requests per lookup, {took:.1f} s")
    print(f"drained at {found / took:.2f} lookups/s = {found / took / limit:.0%} of the providers' {limit:g}/s")
    process.stop()


if __name__ == "__main__":
    main()
