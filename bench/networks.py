"""A lookup with five EVM networks configured beside Ethereum and the tx on one of them (BSC).

    python -m bench.networks [--latency-ms 50] [--lookups 40]

Local JSON-RPC stubs (bench/stub_providers.py) answer after a latency L, each with its network's
chain id; only BSC's knows the tx, which pays a casino address issued for Ethereum. Runs the real
service (SQLite, adapters, pools, the chain id check) and prints p50/p95 latency as ratios to L and
the provider requests each lookup costs. Goal: p50 ≤ 1.2 L (every network asked at once).
"""

from __future__ import annotations

import argparse
import tempfile

from bench.providers import _investigator, _measure, _row
from bench.stub_providers import StubProvider
from chains.ethereum.networks import BUILTIN

OTHERS = ("bsc", "polygon", "arbitrum", "base", "optimism")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lookups", type=int, default=40)
    args = parser.parse_args()
    latency, count = args.latency_ms / 1000, args.lookups
    eth = [StubProvider(latency=latency) for _ in range(2)]
    for stub in eth:
        stub.knows_nothing = True
    others = {name: StubProvider(latency=latency) for name in OTHERS}
    for name, stub in others.items():
        stub.chain_id = BUILTIN[name].chain_id
        stub.knows_nothing = name != "bsc"
    stubs = eth + list(others.values())
    print(f"latency L = {args.latency_ms:g} ms per provider request, {count} lookups")
    with tempfile.TemporaryDirectory() as folder:
        investigator, engine = _investigator(
            folder,
            "networks",
            eth_providers=[s.url for s in eth],
            evm_networks={name: stub.url for name, stub in others.items()},
        )
        hashes = ["0x" + f"{i + 1:064x}" for i in range(count + 1)]
        _measure(investigator, engine, "eth", hashes[:1], stubs)  # first lookup: eth_chainId of each provider
        per_lookup, latencies = _measure(investigator, engine, "eth", hashes[1:], stubs)
        _row("evm", "tx on bsc, 6 networks configured", per_lookup, latencies, latency, "goal p50 ≤ 1.2 L")
        engine.dispose()
    for stub in stubs:
        stub.stop()


if __name__ == "__main__":
    main()
