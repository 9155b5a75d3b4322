"""A lookup with five EVM networks configured beside Ethereum and the tx on one of them (BSC).

    python -m bench.networks [--latency-ms 50] [--lookups 40]

Local JSON-RPC stubs (bench/stub_providers.py), served by a process of their own as real providers
are other machines, answer after a latency L, each with its network's chain id; only BSC's knows the
tx, which pays a casino address issued for Ethereum. Runs the real
service (SQLite, adapters, pools, the chain id check) and prints p50/p95 latency as ratios to L and
the provider requests each lookup costs, and the same p50/p95 as multiples of a bare request to a
stub measured in the same run (what the stubs really take: L plus their own few ms). Goal: p50 ≤ 1.2 L
(every network asked at once).
"""

from __future__ import annotations

import argparse
import tempfile

from bench.providers import _bare_line, _investigator, _measure, _row
from bench.stub_providers import StubProcess, bare_round_trip
from chains.ethereum.networks import BUILTIN

OTHERS = ("bsc", "polygon", "arbitrum", "base", "optimism")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lookups", type=int, default=40)
    args = parser.parse_args()
    latency, count = args.latency_ms / 1000, args.lookups
    # Two Ethereum providers that know no tx, then one provider per other network, only BSC's knowing it.
    specs = [{"latency": latency, "knows_nothing": True} for _ in range(2)]
    specs += [{"latency": latency, "chain_id": BUILTIN[n].chain_id, "knows_nothing": n != "bsc"} for n in OTHERS]
    stubs = StubProcess(specs)
    eth, others = stubs.urls[:2], dict(zip(OTHERS, stubs.urls[2:], strict=True))
    print(f"latency L = {args.latency_ms:g} ms per provider request, {count} lookups (providers in another process)")
    try:
        bare = bare_round_trip(stubs.urls)
        _bare_line(bare, latency)
        with tempfile.TemporaryDirectory() as folder:
            investigator, engine = _investigator(folder, "networks", eth_providers=eth, evm_networks=others)
            hashes = ["0x" + f"{i + 1:064x}" for i in range(count + 1)]
            _measure(investigator, engine, "eth", hashes[:1], [stubs])  # first lookup: eth_chainId of each provider
            per_lookup, latencies = _measure(investigator, engine, "eth", hashes[1:], [stubs])
            label, goal = "tx on bsc, 6 networks configured", "goal p50 ≤ 1.2 L"
            _row("evm", label, per_lookup, latencies, latency, goal, bare)
            engine.dispose()
    finally:
        stubs.stop()


if __name__ == "__main__":
    main()
