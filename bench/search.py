"""Provider cost of a 7-day no-hash search for a player with 3 deposit addresses.

    python -m bench.search [--latency-ms 50] [--per-address 8] [--no-receipts]

Starts an Esplora stub and an Ethereum JSON-RPC stub (eth_getLogs, Otterscan, block headers at
12 s) on 127.0.0.1 that answer every request after sleeping L, and runs the real search (SQLite,
real adapters, provider pool, investigations) for a player with 3 Bitcoin addresses, then for one
with 3 Ethereum addresses, each address paid `per-address` times in the week (on Ethereum half in
USDT, half in ETH). Prints provider HTTP requests (listing: address pages, tips, heads, block
times, logs; investigating: requests that look txs up) and the search's wall time as a ratio to L,
for a first search and for the same search again (block times cached, settled txs not asked
again). Otterscan answers each tx with its receipt, as Erigon and Reth do; `--no-receipts` leaves
them out, so the ETH payments are looked up (in one batch). Another player is searched once
before measuring: a process's first search also compiles SQL statements.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
from chains.bitcoin.bech32 import encode_segwit
from investigations.ledger import DepositAddressRecord, upsert_deposit_addresses
from investigations.search import SearchQuery, search

NOW = int(time.time())
BTC_TIP, ETH_HEAD = 900_000, 21_000_000
BTC_ADDRESSES = [encode_segwit("bc", 0, hashlib.sha256(f"bench-{i}".encode()).digest()[:20]) for i in range(3)]
ETH_ADDRESSES = ["0x" + f"{i + 1:02x}" * 20 for i in range(3)]
# A player searched once before measuring: a process's first search also compiles its SQL statements.
WARM_BTC, WARM_ETH = encode_segwit("bc", 0, hashlib.sha256(b"bench-warm").digest()[:20]), "0x" + "0f" * 20
WARM = [("btc", WARM_BTC), ("eth", WARM_ETH)]
USDT = DEFAULT_ASSETS.get("USDT").contract  # type: ignore[union-attr]


class _World:
    per_address = 8
    receipts = True
    btc: dict[str, dict[str, Any]] = {}
    eth: dict[str, dict[str, Any]] = {}

    @classmethod
    def build(cls) -> None:
        for a, address in enumerate([*BTC_ADDRESSES, WARM_BTC]):
            program = "0014" + _program(address)
            for n in range(cls.per_address if address != WARM_BTC else 2):
                height = BTC_TIP - (n * 97 + a * 13) % 1000
                txid = hashlib.sha256(f"btc-{a}-{n}".encode()).hexdigest()
                cls.btc[txid] = {
                    "txid": txid, "version": 2, "locktime": 0, "fee": 500, "size": 222,
                    "vin": [{"txid": "11" * 32, "vout": n, "sequence": 0xFFFFFFFF, "is_coinbase": False,
                             "prevout": {"scriptpubkey": "0014" + "22" * 20, "value": 2_000_000}}],
                    "vout": [{"scriptpubkey": program, "scriptpubkey_address": address, "value": 1_000_000 + n}],
                    "status": {"confirmed": True, "block_height": height, "block_hash": f"{height:064x}",
                               "block_time": NOW - (BTC_TIP - height) * 600},
                }  # fmt: skip
        for a, address in enumerate([*ETH_ADDRESSES, WARM_ETH]):
            for n in range(cls.per_address if address != WARM_ETH else 2):
                block = ETH_HEAD - (n * 5000 + a * 700) % 50_000
                tx_hash = "0x" + hashlib.sha256(f"eth-{a}-{n}".encode()).hexdigest()
                token = n % 2 == 0
                cls.eth[tx_hash] = {"to": address, "block": block, "token": token, "value": 10**17 + n}


def _program(address: str) -> str:
    from chains.bitcoin.bech32 import decode_segwit

    return decode_segwit("bc", address)[1].hex()


def _eth(call: dict[str, Any]) -> dict[str, Any]:
    method, params = call["method"], call.get("params", [])
    result: Any = None
    if method == "eth_blockNumber":
        result = hex(ETH_HEAD)
    elif method == "eth_getBlockByNumber":
        named = {"finalized": ETH_HEAD - 64, "safe": ETH_HEAD - 32, "latest": ETH_HEAD}
        number = named[params[0]] if params[0] in named else int(params[0], 16)
        result = {"number": hex(number), "hash": "0x" + "cd" * 32, "timestamp": hex(NOW - (ETH_HEAD - number) * 12)}
    elif method == "eth_getLogs":
        query, wanted = params[0], {t[-40:] for t in params[0]["topics"][2]}
        low, high = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        result = [
            {"address": USDT, "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
             "0x" + "00" * 12 + "77" * 20, "0x" + "00" * 12 + t["to"][2:]], "data": f"0x{250 * 10**6:064x}",
             "blockNumber": hex(t["block"]), "transactionHash": h, "logIndex": "0x0"}
            for h, t in _World.eth.items() if t["token"] and t["to"][2:] in wanted and low <= t["block"] <= high
        ]  # fmt: skip
    elif method == "ots_searchTransactionsBefore":
        address, before = params[0], params[1]
        txs = [{"hash": h, "from": "0x" + "77" * 20, "to": t["to"], "value": hex(t["value"]), "nonce": "0x1",
                "blockNumber": hex(t["block"]), "blockHash": "0x" + "ab" * 32, "input": "0x", "gasPrice": "0x1"}
               for h, t in _World.eth.items() if not t["token"] and t["to"] == address and t["block"] < before]  # fmt: skip
        # Otterscan answers each tx with its receipt (Erigon, Reth); --no-receipts leaves them out.
        receipts = [{"transactionHash": t["hash"], "status": "0x1", "gasUsed": "0x5208", "effectiveGasPrice": "0x1",
                     "logs": [], "blockHash": t["blockHash"], "blockNumber": t["blockNumber"],
                     "timestamp": hex(NOW - (ETH_HEAD - int(t["blockNumber"], 16)) * 12)}
                    for t in txs] if _World.receipts else []  # fmt: skip
        result = {"txs": txs, "receipts": receipts, "firstPage": True, "lastPage": True}
    elif method in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
        t = _World.eth[params[0]]
        block = {"blockHash": "0x" + "ab" * 32, "blockNumber": hex(t["block"])}
        to = USDT if t["token"] else t["to"]
        data = "0xa9059cbb" if t["token"] else "0x"
        logs = [{"address": USDT, "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                 "0x" + "00" * 12 + "77" * 20, "0x" + "00" * 12 + t["to"][2:]], "data": f"0x{250 * 10**6:064x}",
                 "logIndex": "0x0"}] if t["token"] else []  # fmt: skip
        if method == "eth_getTransactionByHash":
            value = "0x0" if t["token"] else hex(t["value"])
            result = {"hash": params[0], "from": "0x" + "77" * 20, "to": to, "value": value, "input": data,
                      "gasPrice": "0x1", **block}  # fmt: skip
        else:
            result = {"transactionHash": params[0], "status": "0x1", "gasUsed": "0x5208",
                      "effectiveGasPrice": "0x1", "logs": logs, **block}  # fmt: skip
    else:
        return {"jsonrpc": "2.0", "id": call["id"], "error": {"code": -32601, "message": "not found"}}
    return {"jsonrpc": "2.0", "id": call["id"], "result": result}


class _Stub(BaseHTTPRequestHandler):
    latency = 0.05
    requests: Counter[str] = Counter()
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        return

    def _send(self, body: str, status: int = 200) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _count(self, what: str) -> None:
        with self.lock:
            self.requests[what] += 1
        time.sleep(self.latency)

    def do_GET(self) -> None:  # Esplora
        path = self.path.removeprefix("/api")
        if path.startswith("/address/"):
            self._count("btc listing")
            address = path.split("/")[2]
            found = [b for b in _World.btc.values() if b["vout"][0]["scriptpubkey_address"] == address]
            found.sort(key=lambda b: b["status"]["block_height"], reverse=True)
            after = path.rsplit("/", 1)[1] if "/chain/" in path else None
            start = next(i + 1 for i, b in enumerate(found) if b["txid"] == after) if after else 0
            self._send(json.dumps(found[start : start + 25]))
        elif path.endswith("/blocks/tip/height"):
            self._count("btc investigating")
            self._send(str(BTC_TIP))
        else:
            self._count("btc investigating")
            self._send(json.dumps(_World.btc[path.rsplit("/", 1)[1]]))

    def do_POST(self) -> None:  # Ethereum JSON-RPC
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        calls = payload if isinstance(payload, list) else [payload]
        lookup = any(c["method"] in ("eth_getTransactionByHash", "eth_getTransactionReceipt") for c in calls)
        self._count("eth investigating" if lookup else "eth listing")
        answers = [_eth(c) for c in calls]
        self._send(json.dumps(answers if isinstance(payload, list) else answers[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--per-address", type=int, default=8)
    parser.add_argument("--no-receipts", action="store_true", help="Otterscan pages without their receipts")
    args = parser.parse_args()
    _Stub.latency, _World.per_address, _World.receipts = args.latency_ms / 1000, args.per_address, not args.no_receipts
    _World.build()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None, database_url=f"sqlite:///{Path(folder) / 'bench.db'}", btc_providers=[f"esplora:{url}/api"],
            eth_providers=[url], eth_history_providers=[], btc_rate_limit=0, eth_rate_limit=0,
        )  # fmt: skip
        engine = make_engine(settings.database_url)
        migrate(engine)
        records = [DepositAddressRecord(chain="btc", address=a, player_ref="p-btc") for a in BTC_ADDRESSES]
        records += [DepositAddressRecord(chain="eth", address=a, player_ref="p-eth") for a in ETH_ADDRESSES]
        records += [DepositAddressRecord(chain=c, address=a, player_ref="p-warm") for c, a in WARM]
        with Session(engine) as session:
            upsert_deposit_addresses(session, records, DEFAULT_ASSETS)
            session.commit()
        investigator = build_investigator(settings)
        with Session(engine) as session:  # compiles the statements: not costs of a search
            search(session, investigator, SearchQuery(player_ref="p-warm", limit=100))
        print(f"L = {args.latency_ms:g} ms per provider request; 3 addresses x {args.per_address} payments in 7 days")
        print(f"{'search':18} {'candidates':>10} {'listing req':>12} {'investigating req':>18} {'wall time':>10}")
        for chain, player in (("btc", "p-btc"), ("eth", "p-eth")):
            for run in ("first", "again"):
                before = Counter(_Stub.requests)
                started = time.perf_counter()
                with Session(engine) as session:
                    result = search(session, investigator, SearchQuery(player_ref=player, limit=100))
                elapsed = (time.perf_counter() - started) / _Stub.latency
                listing = _Stub.requests[f"{chain} listing"] - before[f"{chain} listing"]
                investigating = _Stub.requests[f"{chain} investigating"] - before[f"{chain} investigating"]
                label = f"{chain} {run}"
                print(f"{label:18} {len(result.candidates):>10} {listing:>12} {investigating:>18} {elapsed:>8.1f} L")
        engine.dispose()
    server.shutdown()


if __name__ == "__main__":
    main()
