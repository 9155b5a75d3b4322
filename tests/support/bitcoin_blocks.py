"""A Bitcoin chain of real raw blocks (python-bitcoinlib), served as Esplora REST and as Bitcoin Core
JSON-RPC by `responses`; its transactions are also published to an `EsploraWorld` so the
Investigator can look them up. `reorg(depth, …)` replaces the top blocks with another branch."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import responses
from bitcoin.core import CBlock, CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, CTransaction, b2lx, lx
from bitcoin.core.script import OP_RETURN, CScript

from tests.support.esplora import EsploraWorld, script_for

GENESIS_PARENT = "00" * 32
_spent = iter(range(1, 10**9))


def payment(outputs: list[tuple[str, int]], *, op_return: bytes | None = None) -> CTransaction:
    """A tx spending a made-up outpoint and paying `outputs` (address, satoshi); optional OP_RETURN."""
    vout = [CMutableTxOut(amount, CScript(script_for(address))) for address, amount in outputs]
    if op_return is not None:
        vout.append(CMutableTxOut(0, CScript([OP_RETURN, op_return])))
    vin = [CMutableTxIn(COutPoint(lx(f"{next(_spent):064x}"), 0))]
    return CTransaction.from_tx(CMutableTransaction(vin, vout))


def coinbase(height: int, miner: str) -> CTransaction:
    vin = [CMutableTxIn(COutPoint(), CScript([height, b"depositdesk-test"]))]
    return CTransaction.from_tx(CMutableTransaction(vin, [CMutableTxOut(312_500_000, CScript(script_for(miner)))]))


@dataclass
class BitcoinChain:
    base_height: int
    esplora: EsploraWorld
    blocks: list[CBlock] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    miner: str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"

    @property
    def tip(self) -> int:
        return self.base_height + len(self.blocks) - 1

    def height_of(self, index: int) -> int:
        return self.base_height + index

    def mine(self, *txs: CTransaction, at: int | None = None) -> CBlock:
        """A block on top (its time `at`, default now) holding a coinbase and `txs`."""
        height = self.base_height + len(self.blocks)
        parent = lx(b2lx(self.blocks[-1].GetHash())) if self.blocks else lx(GENESIS_PARENT)
        vtx = [coinbase(height, self.miner), *txs]
        draft = CBlock(
            nVersion=0x20000000, hashPrevBlock=parent, nTime=at or int(time.time()), nBits=0x17034219, vtx=vtx
        )
        block = CBlock(
            nVersion=draft.nVersion,
            hashPrevBlock=parent,
            hashMerkleRoot=draft.calc_merkle_root(),
            nTime=draft.nTime,
            nBits=draft.nBits,
            nNonce=height,
            vtx=vtx,
        )
        self.blocks.append(block)
        self._publish(block, height)
        self.esplora.tip_height = self.tip
        return block

    def reorg(self, depth: int, *branch: list[CTransaction]) -> None:
        """Drop the top `depth` blocks (their txs leave the chain) and mine `branch` blocks instead."""
        for block in self.blocks[-depth:]:
            for tx in block.vtx:
                self.esplora.forget(b2lx(tx.GetTxid()))
        del self.blocks[-depth:]
        for txs in branch:
            self.mine(*txs)

    def _publish(self, block: CBlock, height: int) -> None:
        status = {"confirmed": True, "block_height": height, "block_hash": b2lx(block.GetHash()),
                  "block_time": block.nTime}  # fmt: skip
        for tx in block.vtx[1:]:
            self.esplora.publish(
                {
                    "txid": b2lx(tx.GetTxid()),
                    "vin": [
                        {
                            "txid": b2lx(i.prevout.hash),
                            "vout": i.prevout.n,
                            "is_coinbase": False,
                            "sequence": i.nSequence,
                        }
                        for i in tx.vin
                    ],  # fmt: skip
                    "vout": [{"scriptpubkey": bytes(o.scriptPubKey).hex(), "value": o.nValue} for o in tx.vout],
                    "fee": 1_000,
                    "status": status,
                }
            )

    def _by_hash(self, block_hash: str) -> CBlock | None:
        return next((b for b in self.blocks if b2lx(b.GetHash()) == block_hash), None)

    # Esplora ---------------------------------------------------------------------------------
    def serve_esplora(self, mock: responses.RequestsMock, base: str) -> None:
        prefix = re.escape(base.rstrip("/"))
        mock.add_callback(responses.GET, re.compile(prefix + r"/block-height/(\d+)$"), callback=self._height)
        mock.add_callback(responses.GET, re.compile(prefix + r"/blocks/(\d+)$"), callback=self._listing)
        mock.add_callback(responses.GET, re.compile(prefix + r"/block/([0-9a-f]{64})/raw$"), callback=self._raw)

    def _height(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.requests["block-height"] += 1
        index = int(request.url.rsplit("/", 1)[1]) - self.base_height
        if not 0 <= index < len(self.blocks):
            return 404, {}, "Block not found"
        return 200, {"Content-Type": "text/plain"}, b2lx(self.blocks[index].GetHash())

    def _listing(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.requests["blocks"] += 1
        top = min(int(request.url.rsplit("/", 1)[1]), self.tip) - self.base_height
        items = [
            {"id": b2lx(self.blocks[i].GetHash()), "height": self.height_of(i),
             "previousblockhash": b2lx(self.blocks[i].hashPrevBlock)}
            for i in range(top, max(-1, top - 10), -1)
        ]  # fmt: skip
        return 200, {"Content-Type": "application/json"}, json.dumps(items)

    def _raw(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        self.requests["raw"] += 1
        block = self._by_hash(request.url.split("/")[-2])
        if block is None:
            return 404, {}, b"Block not found"
        return 200, {"Content-Type": "application/octet-stream"}, block.serialize()

    # Bitcoin Core -----------------------------------------------------------------------------
    def serve_core(self, mock: responses.RequestsMock, url: str) -> None:
        mock.add_callback(responses.POST, url, callback=self._rpc)

    def _rpc(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.requests["rpc"] += 1
        calls = json.loads(request.body)
        answers = [self._call(call) for call in (calls if isinstance(calls, list) else [calls])]
        return 200, {"Content-Type": "application/json"}, json.dumps(answers if isinstance(calls, list) else answers[0])

    def _call(self, call: dict[str, Any]) -> dict[str, Any]:
        method, params = call["method"], call.get("params", [])
        answer: dict[str, Any] = {"id": call["id"], "error": None, "result": None}
        if method == "getblockcount":
            answer["result"] = self.tip
        elif method == "getblockhash":
            index = params[0] - self.base_height
            if 0 <= index < len(self.blocks):
                answer["result"] = b2lx(self.blocks[index].GetHash())
            else:
                answer["error"] = {"code": -8, "message": "Block height out of range"}
        elif method == "getblock" and params[1] == 0:
            block = self._by_hash(params[0])
            if block is None:
                answer["error"] = {"code": -5, "message": "Block not found"}
            else:
                answer["result"] = block.serialize().hex()
        else:
            answer["error"] = {"code": -32601, "message": "Method not found"}
        return answer
