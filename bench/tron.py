"""A TRON lookup: one round trip and two requests per provider (the tx and its info side by side).

    python -m bench.tron [--latency-ms 50] [--lookups 40]

A local java-tron HTTP stub answers ``/wallet/gettransactionbyid``, ``/wallet/gettransactioninfobyid``
and ``/wallet/getnodeinfo`` after a latency L; every txid is a solidified USDT (TRC-20) transfer to
a casino address. Runs the real service (SQLite, adapter, pool) and prints the provider requests
per lookup and p50/p95 latency as ratios to L: with one provider, with two (both asked at once),
and a bare 64-hex hash asked of Bitcoin (Esplora stubs that do not know it) and TRON at once.
Goal: 2 requests per provider per lookup (the solidified head is re-read once per 3 s block), p50
≤ 1.3 L in every row.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlmodel import Session

from bench.providers import _investigator, _measure, _row
from bench.stub_providers import StubProvider
from chains.assets import DEFAULT_ASSETS
from chains.tron.addresses import body_of, to_hex
from chains.tron.tokens import TRANSFER_TOPIC, encode_transfer_call
from investigations.ledger import DepositAddressRecord, upsert_deposit_addresses

PAYEE = "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj"
SENDER = "TQ7pF3NTDL2Tjz5rdJ6ECjQWjaWHpLZJMH"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
HEAD, SOLID, BLOCK = 70_000_000, 69_999_981, 69_999_900


def _answer(path: str, body: dict[str, Any]) -> Any:
    if path == "/wallet/getnodeinfo":
        return {"block": f"Num:{HEAD},ID:00", "solidityBlock": f"Num:{SOLID},ID:00"}
    txid = str(body.get("value", ""))
    if path == "/wallet/gettransactionbyid":
        value = {
            "data": encode_transfer_call(body_of(PAYEE), 25_000_000),
            "owner_address": to_hex(SENDER),
            "contract_address": to_hex(USDT),
        }
        contract = {"parameter": {"value": value}, "type": "TriggerSmartContract"}
        return {"ret": [{"contractRet": "SUCCESS"}], "txID": txid, "raw_data": {"contract": [contract]}}
    if path == "/wallet/gettransactioninfobyid":
        log = {
            "address": to_hex(USDT)[2:],
            "topics": [TRANSFER_TOPIC, body_of(SENDER).hex().rjust(64, "0"), body_of(PAYEE).hex().rjust(64, "0")],
            "data": format(25_000_000, "064x"),
        }
        receipt = {"energy_usage_total": 64_285, "net_usage": 345, "result": "SUCCESS"}
        return {
            "id": txid,
            "fee": 13_844_850,
            "blockNumber": BLOCK,
            "blockTimeStamp": 1_717_419_792_000,
            "receipt": receipt,
            "log": [log],
        }
    return {}


class TronStub:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.paths: Counter[str] = Counter()
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with stub.lock:
                    stub.paths[self.path] += 1
                time.sleep(stub.latency)
                data = json.dumps(_answer(self.path, body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def requests(self) -> int:
        return sum(self.paths.values())

    def stop(self) -> None:
        self.server.shutdown()


def _with_tron_address(engine: Any) -> None:
    with Session(engine) as session:
        upsert_deposit_addresses(
            session, [DepositAddressRecord(chain="tron", address=PAYEE, player_ref="p")], DEFAULT_ASSETS
        )
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lookups", type=int, default=40)
    args = parser.parse_args()
    latency, count = args.latency_ms / 1000, args.lookups
    tron = [TronStub(latency) for _ in range(2)]
    btc = [StubProvider(latency=latency) for _ in range(2)]
    print(f"latency L = {args.latency_ms:g} ms per provider request, {count} lookups per row")
    print(f"{'chain':5} {'lookup':34} {'requests':>10}   latency")
    with tempfile.TemporaryDirectory() as folder:
        for providers, label in ((tron[:1], "USDT tx, 1 provider"), (tron, "USDT tx, 2 providers (both asked)")):
            investigator, engine = _investigator(
                folder,
                f"tron{len(providers)}",
                tron_providers=[f"trongrid:{s.url}" for s in providers],
                tron_rate_limit=0,
            )
            _with_tron_address(engine)
            hashes = [f"{i + 1:064x}" for i in range(count)]
            _measure(investigator, engine, "tron", [f"{10**6:064x}"], providers)  # warm: sessions, the heads
            per_lookup, latencies = _measure(investigator, engine, "tron", hashes, providers)
            heads = sum(s.paths["/wallet/getnodeinfo"] for s in providers)
            _row("tron", label, per_lookup, latencies, latency, f"goal 2 per provider; getnodeinfo {heads}x in all")
            engine.dispose()
        investigator, engine = _investigator(
            folder,
            "bare",
            btc_providers=[f"esplora:{s.url}/api" for s in btc],
            eth_providers=[],
            tron_providers=[f"trongrid:{tron[0].url}"],
            tron_rate_limit=0,
        )
        _with_tron_address(engine)
        bare = ["ee" + f"{i + 1:062x}" for i in range(count)]  # unknown to the Esplora stubs
        stubs: list[Any] = [*btc, tron[0]]
        _measure(investigator, engine, None, ["ee" + "f" * 62], stubs)
        per_lookup, latencies = _measure(investigator, engine, None, bare, stubs)
        _row("tron", "bare hash: BTC and TRON at once", per_lookup, latencies, latency, "goal p50 ≤ 1.3 L (not 2 L)")
        engine.dispose()
    for stub in [*tron, *btc]:
        stub.stop()


if __name__ == "__main__":
    main()
