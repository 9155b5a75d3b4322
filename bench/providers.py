"""Provider cost of an investigation, against local stub providers with a fixed latency L.

    python -m bench.providers [--latency-ms 50] [--lookups 40]

Starts two Esplora stubs and two Ethereum JSON-RPC stubs on 127.0.0.1 that answer every request
after sleeping L, runs investigations through the real service (SQLite, the real adapters and
provider pool), and prints per chain: provider HTTP requests per investigation, and lookup
latency p50/p95 as a ratio to L — for fresh lookups and for re-lookups of a settled tx.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.runtime.db import make_engine, migrate
from app.settings import Settings
from app.wiring import build_investigator
from chains.assets import DEFAULT_ASSETS
from chains.bitcoin.bech32 import decode_segwit
from investigations.ledger import DepositAddressRecord, upsert_deposit_addresses
from investigations.service import InvestigationRequest

BTC_ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
ETH_ADDRESS = "0x" + "d0" * 20
BTC_HEIGHT, ETH_HEAD = 850_000, 20_000_000


def _p2wpkh(address: str) -> str:
    _version, program = decode_segwit("bc", address)
    return "0014" + program.hex()


def _esplora_tx(txid: str) -> dict[str, Any]:
    script = _p2wpkh(BTC_ADDRESS)
    return {
        "txid": txid,
        "version": 2,
        "locktime": 0,
        "fee": 500,
        "size": 222,
        "vin": [
            {
                "txid": "11" * 32,
                "vout": 0,
                "sequence": 0xFFFFFFFF,
                "is_coinbase": False,
                "prevout": {"scriptpubkey": script, "scriptpubkey_address": BTC_ADDRESS, "value": 1_000_500},
            }
        ],
        "vout": [{"scriptpubkey": script, "scriptpubkey_address": BTC_ADDRESS, "value": 1_000_000}],
        "status": {"confirmed": True, "block_height": BTC_HEIGHT, "block_hash": "00" * 32, "block_time": 1_700_000_000},
    }


def _eth_answer(call: dict[str, Any]) -> dict[str, Any]:
    method, params = call["method"], call.get("params", [])
    block = {"blockHash": "0x" + "ab" * 32, "blockNumber": hex(ETH_HEAD - 100)}
    result: Any = None
    if method == "eth_getTransactionByHash":
        result = {
            "hash": params[0],
            "from": "0x" + "11" * 20,
            "to": ETH_ADDRESS,
            "value": hex(10**17),
            "input": "0x",
            "gasPrice": "0x1",
            **block,
        }
    elif method == "eth_getTransactionReceipt":
        result = {
            "transactionHash": params[0],
            "status": "0x1",
            "gasUsed": "0x5208",
            "effectiveGasPrice": "0x1",
            "logs": [],
            **block,
        }
    elif method == "eth_blockNumber":
        result = hex(ETH_HEAD)
    elif method == "eth_getBlockByNumber":
        result = {"number": hex(ETH_HEAD - 64), "hash": "0x" + "cd" * 32}
    return {"jsonrpc": "2.0", "id": call["id"], "result": result}


class _Stub(BaseHTTPRequestHandler):
    latency = 0.05
    requests: Counter[str] = Counter()
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:  # quiet
        return

    def _send(self, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _count(self, chain: str) -> None:
        with self.lock:
            self.requests[chain] += 1
        time.sleep(self.latency)

    def do_GET(self) -> None:  # Esplora
        self._count("btc")
        if self.path.endswith("/blocks/tip/height"):
            self._send(str(BTC_HEIGHT + 10), "text/plain")
        else:
            self._send(json.dumps(_esplora_tx(self.path.rstrip("/").rsplit("/", 1)[1])), "application/json")

    def do_POST(self) -> None:  # Ethereum JSON-RPC
        self._count("eth")
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answers = [_eth_answer(c) for c in payload] if isinstance(payload, list) else _eth_answer(payload)
        self._send(json.dumps(answers), "application/json")


def _serve() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _measure(investigator: Any, engine: Any, chain: str, hashes: list[str]) -> tuple[float, list[float]]:
    before = _Stub.requests[chain]
    latencies = []
    with Session(engine) as session:
        for tx_hash in hashes:
            started = time.perf_counter()
            investigator.investigate(session, InvestigationRequest(tx_hash, chain=chain))
            latencies.append(time.perf_counter() - started)
    return (_Stub.requests[chain] - before) / len(hashes), latencies


def _ratio(latencies: list[float], latency: float) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) / latency:5.2f} L   p95 {p95 / latency:5.2f} L"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lookups", type=int, default=40)
    args = parser.parse_args()
    _Stub.latency = args.latency_ms / 1000
    servers = [_serve() for _ in range(4)]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            btc_providers=[f"esplora:{servers[0][1]}/api", f"esplora:{servers[1][1]}/api"],
            eth_providers=[servers[2][1], servers[3][1]],
            btc_rate_limit=0,
            eth_rate_limit=0,
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
        investigator = build_investigator(settings)
        print(f"latency L = {args.latency_ms:g} ms per provider request, {args.lookups} lookups per row")
        print(f"{'chain':5} {'lookup':22} {'requests/lookup':>16}   latency")
        for chain, make_hash in (("btc", lambda i: f"{i:064x}"), ("eth", lambda i: "0x" + f"{i:064x}")):
            fresh = [make_hash(i + 1) for i in range(args.lookups)]
            per_lookup, latencies = _measure(investigator, engine, chain, fresh)
            print(f"{chain:5} {'fresh tx':22} {per_lookup:16.2f}   {_ratio(latencies, _Stub.latency)}")
            settled = [fresh[0]] * args.lookups
            per_lookup, latencies = _measure(investigator, engine, chain, settled)
            print(f"{chain:5} {'settled tx, again':22} {per_lookup:16.2f}   {_ratio(latencies, _Stub.latency)}")
        engine.dispose()
    for server, _url in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
