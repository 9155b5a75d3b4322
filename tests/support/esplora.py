"""A small Bitcoin world served as Esplora REST, with transactions built by python-bitcoinlib.

Transactions are real serializations (their txid is the double-SHA256 of the bytes), their
scripts real scriptPubKeys for the given addresses; the JSON is what Esplora would answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import requests
import responses
from bitcoin.base58 import CBase58Data
from bitcoin.core import CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, b2lx, lx
from bitcoin.core.script import OP_CHECKSIG, OP_DUP, OP_EQUAL, OP_EQUALVERIFY, OP_HASH160, CScript, CScriptOp

from chains.bitcoin.bech32 import decode_segwit

_nonce = count(1)


def script_for(address: str) -> bytes:
    """The scriptPubKey that pays a mainnet address."""
    if address.lower().startswith("bc1"):
        version, program = decode_segwit("bc", address)
        return bytes(CScript([CScriptOp.encode_op_n(version), program]))
    decoded = CBase58Data(address)
    if decoded.nVersion == 0:
        return bytes(CScript([OP_DUP, OP_HASH160, bytes(decoded), OP_EQUALVERIFY, OP_CHECKSIG]))
    return bytes(CScript([OP_HASH160, bytes(decoded), OP_EQUAL]))


@dataclass
class EsploraWorld:
    tip_height: int
    txs: dict[str, dict[str, Any]] = field(default_factory=dict)
    spends: dict[tuple[str, int], str] = field(default_factory=dict)
    failures: dict[str, Any] = field(default_factory=dict)  # host -> (status, body) or a fault function
    requests: list[str] = field(default_factory=list)
    block_times: dict[int, int] = field(default_factory=dict)  # height -> block_time, when a test needs times
    page_size: int = 25  # confirmed txs per address page, as electrs sends
    # GET /fee-estimates (target blocks -> sat/vB) and GET /mempool, as Esplora answers them
    fee_estimates: dict[str, float] = field(
        default_factory=lambda: {
            "1": 20.5,
            "2": 18.2,
            "3": 15.0,
            "6": 10.0,
            "12": 6.1,
            "25": 3.3,
            "144": 1.5,
            "504": 1.01,
            "1008": 1.0,
        }
    )
    mempool: dict[str, Any] = field(
        default_factory=lambda: {
            "count": 4000,
            "vsize": 2_600_000,
            "total_fee": 9_000_000,
            "fee_histogram": [[25.0, 400_000], [15.1, 700_000], [9.5, 1_000_000], [4.0, 500_000]],
        }
    )

    def build_tx(
        self,
        outputs: list[tuple[str, int]],
        *,
        senders: list[str] | None = None,
        height: int | None = None,
        rbf: bool = False,
        inputs: list[tuple[str, int]] | None = None,
        fee: int = 1_000,
    ) -> dict[str, Any]:
        """Build, serialize and publish a tx paying `outputs`; `height` None keeps it in the mempool."""
        senders = senders or ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
        inputs = inputs or [(f"{next(_nonce):064x}", 0) for _ in senders]
        tx = CMutableTransaction(
            [
                CMutableTxIn(COutPoint(lx(txid), vout), nSequence=0xFFFFFFFD if rbf else 0xFFFFFFFF)
                for txid, vout in inputs
            ],
            [CMutableTxOut(amount, CScript(script_for(address))) for address, amount in outputs],
        )
        txid = b2lx(tx.GetTxid())
        body = {
            "txid": txid,
            "version": 1,
            "locktime": 0,
            "vin": [
                {
                    "txid": txid_in,
                    "vout": vout,
                    "prevout": {
                        "scriptpubkey": script_for(sender).hex(),
                        "scriptpubkey_address": sender,
                        "value": sum(a for _, a in outputs) // len(senders) + fee,
                    },
                    "is_coinbase": False,
                    "sequence": 0xFFFFFFFD if rbf else 0xFFFFFFFF,
                }
                for (txid_in, vout), sender in zip(inputs, senders, strict=True)
            ],
            "vout": [
                {"scriptpubkey": script_for(address).hex(), "scriptpubkey_address": address, "value": amount}
                for address, amount in outputs
            ],
            "size": len(tx.serialize()),
            "weight": 4 * len(tx.serialize()),
            "fee": fee,
            "status": self._status(height),
        }
        self.publish(body)
        return body

    def _status(self, height: int | None) -> dict[str, Any]:
        if height is None:
            return {"confirmed": False}
        return {
            "confirmed": True,
            "block_height": height,
            "block_hash": f"{height:064x}",
            "block_time": self.block_times.get(height, 1_719_689_674),
        }

    def recent_blocks(self, now: datetime, count: int = 1100) -> None:
        """Blocks ten minutes apart up to the tip, the tip mined at `now` (for searches by time)."""
        for height in range(self.tip_height - count, self.tip_height + 1):
            self.block_times[height] = int((now - timedelta(minutes=10 * (self.tip_height - height))).timestamp())

    def publish(self, body: dict[str, Any]) -> None:
        self.txs[body["txid"]] = body
        for vin in body["vin"]:
            self.spends[(vin["txid"], vin["vout"])] = body["txid"]

    def confirm(self, txid: str, height: int) -> None:
        self.txs[txid]["status"] = self._status(height)

    def forget(self, txid: str) -> None:
        self.txs.pop(txid, None)

    def load_fixture(self, path: Path) -> dict[str, Any]:
        """Publish the Esplora tx bodies of a recorded fixture file; returns the file's JSON."""
        document = json.loads(path.read_text())
        cases = document.get("cases") or [document]
        for case in cases:
            response = case.get("response") or {}
            body = response.get("body")
            if isinstance(body, dict) and "txid" in body:
                self.publish(body)
        return document

    def serve(self, mock: responses.RequestsMock, base_urls: list[str]) -> None:
        for base in base_urls:
            prefix = re.escape(base.rstrip("/"))
            mock.add_callback(responses.GET, re.compile(prefix + r"/blocks/tip/height$"), callback=self._tip)
            mock.add_callback(
                responses.GET, re.compile(prefix + r"/tx/([^/]+)/outspend/(\d+)$"), callback=self._outspend
            )
            mock.add_callback(responses.GET, re.compile(prefix + r"/tx/([^/]+)$"), callback=self._tx)
            mock.add_callback(responses.GET, re.compile(prefix + r"/fee-estimates$"), callback=self._fee_estimates)
            mock.add_callback(responses.GET, re.compile(prefix + r"/mempool$"), callback=self._mempool)
            mock.add_callback(
                responses.GET,
                re.compile(prefix + r"/address/([^/]+)/txs(/chain/[0-9a-f]{64})?$"),
                callback=self._history,
            )

    def fail(self, host: str, status: int, body: str = "") -> None:
        """Make every request to `host` answer `status` (0: refuse the connection)."""
        self.failures[host] = (status, body)

    def fault(self, host: str, behaviour: Any) -> None:
        """`behaviour(request)` answers (status, headers, body), raises, or returns None to answer normally."""
        self.failures[host] = behaviour

    def _failure(self, request: Any) -> tuple[int, dict[str, str], str] | None:
        self.requests.append(request.url)
        for host, failure in self.failures.items():
            if host not in request.url:
                continue
            if callable(failure):
                return failure(request)
            status, body = failure
            if status == 0:
                raise requests.ConnectionError(f"connection refused by {host}")
            return status, {"Content-Type": "text/plain"}, body
        return None

    def _tip(self, request: Any) -> tuple[int, dict[str, str], str]:
        return self._failure(request) or (200, {"Content-Type": "text/plain"}, str(self.tip_height))

    def _tx(self, request: Any) -> tuple[int, dict[str, str], str]:
        failure = self._failure(request)
        if failure:
            return failure
        txid = request.url.rstrip("/").rsplit("/", 1)[1]
        if not re.fullmatch(r"[0-9a-f]{64}", txid):
            return 400, {"Content-Type": "text/plain"}, "Invalid hex string"
        body = self.txs.get(txid)
        if body is None:
            return 404, {"Content-Type": "text/plain"}, "Transaction not found"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _fee_estimates(self, request: Any) -> tuple[int, dict[str, str], str]:
        return self._failure(request) or (200, {"Content-Type": "application/json"}, json.dumps(self.fee_estimates))

    def _mempool(self, request: Any) -> tuple[int, dict[str, str], str]:
        return self._failure(request) or (200, {"Content-Type": "application/json"}, json.dumps(self.mempool))

    def _outspend(self, request: Any) -> tuple[int, dict[str, str], str]:
        failure = self._failure(request)
        if failure:
            return failure
        parts = request.url.rstrip("/").split("/")
        txid, vout = parts[-3], int(parts[-1])
        spender = self.spends.get((txid, vout))
        if spender is None or spender not in self.txs:
            return 200, {"Content-Type": "application/json"}, json.dumps({"spent": False})
        vin = next(i for i, v in enumerate(self.txs[spender]["vin"]) if (v["txid"], v["vout"]) == (txid, vout))
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"spent": True, "txid": spender, "vin": vin, "status": self.txs[spender]["status"]}),
        )

    def _history(self, request: Any) -> tuple[int, dict[str, str], str]:
        """Esplora's address listing: up to 50 mempool txs, then 25 confirmed ones, newest first;
        `/txs/chain/:last_seen` continues after that txid (confirmed only)."""
        failure = self._failure(request)
        if failure:
            return failure
        match = re.search(r"/address/([^/]+)/txs(?:/chain/([0-9a-f]{64}))?$", request.url)
        assert match is not None
        address, last_seen = match.group(1), match.group(2)
        touching = [
            body
            for body in self.txs.values()
            if any(v.get("scriptpubkey_address") == address for v in body["vout"])
            or any((i.get("prevout") or {}).get("scriptpubkey_address") == address for i in body["vin"])
        ]
        order = {txid: position for position, txid in enumerate(self.txs)}
        mempool = [b for b in reversed(touching) if not b["status"]["confirmed"]][:50]
        confirmed = sorted(
            (b for b in touching if b["status"]["confirmed"]),
            key=lambda b: (b["status"]["block_height"], order[b["txid"]]),
            reverse=True,
        )
        if last_seen:
            after = next((i for i, b in enumerate(confirmed) if b["txid"] == last_seen), None)
            if after is None:
                return 400, {"Content-Type": "text/plain"}, "Invalid last seen txid"
            page = confirmed[after + 1 : after + 1 + self.page_size]
        else:
            page = mempool + confirmed[: self.page_size]
        return 200, {"Content-Type": "application/json"}, json.dumps(page)
