"""The deposit auditor's follower: blocks per second matched against many deposit addresses, HTTP
requests per block, and the follower process's peak RSS.

    python -m bench.auditor [--blocks 5] [--addresses 1000000] [--rounds 3]

Bitcoin blocks of ~3,000 transactions (real raw blocks built with python-bitcoinlib) served as
Esplora; Ethereum blocks of ~200 transactions and ~300 token logs served as JSON-RPC. Each run is a
separate follower process (its RSS is its own) against a SQLite database holding 1,000 deposit
addresses (the baseline) or `--addresses`: the ratio shows whether the cost grows with the addresses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

from app.runtime.db import make_engine, migrate
from investigations.ledger import DepositAddress
from investigations.types import utcnow

BTC_TXS, ETH_TXS, ETH_LOGS, HITS = (
    int(__import__("os").environ.get("BENCH_BTC_TXS", 3000)),
    200,
    300,
    20,
)  # HITS: payments to casino addresses per block
ESPLORA, RPC = "https://esplora.bench/api", "https://rpc.bench/"
TOKEN = "0xdac17f958d2ee523a2206206994597c13d831ec7"


def _eth_address(label: str) -> str:
    return "0x" + hashlib.sha256(label.encode()).hexdigest()[:40]


def build_chains(folder: Path, blocks: int) -> dict[str, list[str]]:
    """Raw BTC blocks and ETH block JSON in `folder`; returns the casino addresses they pay."""
    from bitcoin.core import b2lx

    from tests.support.bitcoin_blocks import BitcoinChain, payment
    from tests.support.esplora import EsploraWorld
    from tests.support.ledger import address

    casino = {"btc": [address(f"casino-{i}") for i in range(blocks * HITS)], "eth": []}
    chain = BitcoinChain(900_000, EsploraWorld(tip_height=0))
    chain.mine()
    for number in range(blocks):
        txs = []
        for i in range(BTC_TXS):
            to = casino["btc"][number * HITS + i % HITS] if i % (BTC_TXS // HITS) == 0 else address(f"o-{number}-{i}")
            txs.append(payment([(to, 50_000 + i), (address(f"change-{number}-{i}", "p2tr"), 1_000_000)]))
        chain.mine(*txs)
    (folder / "btc").mkdir()
    for index, block in enumerate(chain.blocks):
        (folder / "btc" / f"{chain.height_of(index)}").write_text(
            b2lx(block.GetHash()) + "\n" + block.serialize().hex()
        )
    eth_blocks = []
    for number in range(blocks + 1):
        height = 20_000_000 + number
        txs, logs = [], []
        for i in range(ETH_TXS):
            ours = number and i % (ETH_TXS // (HITS // 2)) == 0
            to = _eth_address(f"casino-{number}-{i}") if ours else _eth_address(f"x-{number}-{i}")
            if ours:
                casino["eth"].append(to)
            txs.append({"hash": "0x" + hashlib.sha256(f"{height}-{i}".encode()).hexdigest(), "from": _eth_address("s"),
                        "to": to, "value": hex(10**16 + i), "input": "0x"})  # fmt: skip
        for i in range(ETH_LOGS):
            ours = number and i % (ETH_LOGS // (HITS // 2)) == 0
            to = _eth_address(f"casino-log-{number}-{i}") if ours else _eth_address(f"y-{number}-{i}")
            if ours:
                casino["eth"].append(to)
            logs.append({"address": TOKEN, "blockNumber": hex(height), "blockHash": f"0x{height:064x}",
                         "transactionHash": txs[i % ETH_TXS]["hash"], "logIndex": hex(i), "removed": False,
                         "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                                    "0x" + "0" * 24 + "11" * 20, "0x" + "0" * 24 + to[2:]],
                         "data": "0x" + f"{10**7 + i:064x}"})  # fmt: skip
        eth_blocks.append({"number": hex(height), "hash": f"0x{height:064x}", "parentHash": f"0x{height - 1:064x}",
                           "timestamp": hex(1_763_000_000 + number * 12), "transactions": txs, "logs": logs})  # fmt: skip
    (folder / "eth.json").write_text(json.dumps(eth_blocks))
    return casino


def fill_addresses(database_url: str, casino: dict[str, list[str]], total: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM deposit_addresses"))
        rows = [{"chain": chain, "address": a, "player_ref": f"p-{i}", "assets": "", "created_at": now,
                 "updated_at": now} for chain, items in casino.items() for i, a in enumerate(items)]  # fmt: skip
        filler = total - len(rows)
        for start in range(0, filler, 50_000):
            batch = [
                {"chain": "btc" if i % 2 else "eth", "address": _filler(i), "player_ref": f"f-{i}", "assets": "",
                 "created_at": now, "updated_at": now}
                for i in range(start, min(filler, start + 50_000))
            ]  # fmt: skip
            connection.execute(insert(DepositAddress), batch)
        connection.execute(insert(DepositAddress), rows)
    engine.dispose()


def _filler(i: int) -> str:
    digest = hashlib.sha256(str(i).encode()).hexdigest()
    return "bc1q" + digest[:38] if i % 2 else "0x" + digest[:40]


def child(folder: Path, database_url: str, chain_name: str) -> None:
    """One follower run, printed as JSON (runs in its own process)."""
    import responses
    from sqlmodel import Session

    from app.finance.auditor import BATCH
    from chains.assets import DEFAULT_ASSETS
    from chains.base import Chain
    from chains.bitcoin.blocks import EsploraBlocks
    from chains.ethereum.blocks import EthereumBlocks
    from investigations.audit import cursors
    from investigations.audit.follower import Follower

    requests = [0]
    chain = Chain(chain_name)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        if chain is Chain.BTC:
            heights = sorted(int(p.name) for p in (folder / "btc").iterdir())
            hashes = {h: (folder / "btc" / str(h)).read_text().split("\n", 1)[0] for h in heights}
            by_hash = {v: k for k, v in hashes.items()}

            def answer(request):  # type: ignore[no-untyped-def]
                requests[0] += 1
                path = request.url.removeprefix(ESPLORA)
                if path == "/blocks/tip/height":
                    return 200, {}, str(heights[-1])
                if path.startswith("/block-height/"):
                    return 200, {}, hashes[int(path.rsplit("/", 1)[1])]
                if path.startswith("/blocks/"):
                    top = int(path.rsplit("/", 1)[1])
                    items = [{"id": hashes[h], "height": h} for h in range(top, top - 10, -1) if h in hashes]
                    return 200, {}, json.dumps(items)
                raw = (folder / "btc" / str(by_hash[path.split("/")[2]])).read_text().split("\n", 1)[1]
                return 200, {}, bytes.fromhex(raw)

            mock.add_callback("GET", __import__("re").compile(ESPLORA + ".*"), callback=answer)
            source = EsploraBlocks(ESPLORA)
            start = heights[1]
        else:
            blocks = {int(b["number"], 16): b for b in json.loads((folder / "eth.json").read_text())}

            def rpc(request):  # type: ignore[no-untyped-def]
                requests[0] += 1
                calls = json.loads(request.body)
                out = []
                for call in calls:
                    method, params = call["method"], call["params"]
                    if method == "eth_blockNumber":
                        result = hex(max(blocks))
                    elif method == "eth_getBlockByNumber":
                        result = blocks[int(params[0], 16)]
                    elif method == "eth_getLogs":
                        low, high = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
                        result = [log for h in range(low, high + 1) for log in blocks[h]["logs"]]
                    else:
                        result = []  # call traces: nothing moved internally
                    out.append({"jsonrpc": "2.0", "id": call["id"], "result": result})
                return 200, {"Content-Type": "application/json"}, json.dumps(out)

            mock.add_callback("POST", RPC, callback=rpc)
            source = EthereumBlocks(RPC, assets=DEFAULT_ASSETS)
            start = min(blocks) + 1
        engine = make_engine(database_url)
        with Session(engine) as session:
            session.execute(text("DELETE FROM audit_payments"))
            session.execute(text("DELETE FROM audit_blocks"))
            session.execute(text("DELETE FROM audit_cursors"))
            session.commit()
            assert cursors.acquire(
                session, chain, "bench", now=utcnow(), lease=__import__("datetime").timedelta(hours=1)
            )
            follower = Follower(chain, source, "bench", batch=BATCH[chain], start_height=start)
            began, before = time.perf_counter(), requests[0]
            step = follower.step(session, max_blocks=10_000)
            seconds = time.perf_counter() - began
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    print(json.dumps({"blocks": step.scanned, "matched": step.matched, "seconds": seconds,
                      "requests": requests[0] - before, "rss_mb": peak_kb / 1024}))  # fmt: skip


def _run(folder: Path, database_url: str, chain: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.auditor", "--child", str(folder), "--database-url", database_url, "--chain", chain],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs per configuration; the fastest counts")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--chain", default="btc", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.database_url, args.chain)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        casino = build_chains(folder, args.blocks)
        print(f"built {args.blocks} BTC and ETH blocks in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        databases = {}
        for count in (1_000, args.addresses):
            started = time.perf_counter()
            databases[count] = f"sqlite:///{folder}/bench-{count}.db"
            fill_addresses(databases[count], casino, count)
            print(f"{count:,} deposit addresses loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        # Runs alternate between the two databases (this machine is shared: load comes and goes); the
        # fastest run of each configuration counts.
        runs: dict[tuple[str, int], list[dict[str, float]]] = {}
        for _ in range(args.rounds):
            for chain in ("btc", "eth"):
                for count, database_url in databases.items():
                    runs.setdefault((chain, count), []).append(_run(folder, database_url, chain))
    results = {key: max(items, key=lambda r: r["blocks"] / r["seconds"]) for key, items in runs.items()}
    print(f"\n{'chain':<6}{'addresses':>12}{'blocks/s':>10}{'matched':>9}{'req/block':>11}{'peak RSS':>10}{'ratio':>7}")
    for (chain, count), r in results.items():
        rate = r["blocks"] / r["seconds"]
        baseline = results[(chain, 1_000)]
        ratio = rate / (baseline["blocks"] / baseline["seconds"])
        print(f"{chain:<6}{count:>12,}{rate:>10.2f}{int(r['matched']):>9}{r['requests'] / r['blocks']:>11.2f}"
              f"{r['rss_mb']:>8.0f}MB{ratio:>7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
