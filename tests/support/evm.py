"""A small EVM node served as JSON-RPC over HTTP (batches included) by `responses`.

Used with recorded mainnet transactions and receipts from ../shared/fixtures; the real node
tests run against anvil instead (tests/support/anvil.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import responses

METHOD_NOT_FOUND = {"code": -32601, "message": "the method does not exist/is not available"}


@dataclass
class EvmWorld:
    head: int = 20_000_000
    chain_id: int = 1  # what eth_chainId answers (56 for a BSC world)
    finalized: int | None = None
    txs: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    call_traces: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    batch_error: dict[str, Any] | None = None
    reverse_batches: bool = False  # answer batches in reverse order, as JSON-RPC allows
    faults: dict[str, Any] = field(default_factory=dict)  # url -> behaviour(payload) like EsploraWorld.fault

    def add(self, tx: dict[str, Any], receipt: dict[str, Any] | None = None) -> str:
        tx_hash = tx["hash"].lower()
        self.txs[tx_hash] = tx
        if receipt is not None:
            self.receipts[tx_hash] = receipt
        return tx_hash

    def serve(self, mock: responses.RequestsMock, url: str) -> None:
        mock.add_callback(responses.POST, url, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.requests[request.url] += 1
        payload = json.loads(request.body)
        fault = self.faults.get(request.url)
        if fault is not None:
            answer = fault(payload)
            if answer is not None:
                return answer
        if self.batch_error is not None:
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps({"jsonrpc": "2.0", "id": None, "error": self.batch_error}),
            )
        calls = payload if isinstance(payload, list) else [payload]
        answers = [self._call(call) for call in calls]
        if self.reverse_batches:
            answers.reverse()
        body = answers if isinstance(payload, list) else answers[0]
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _call(self, call: dict[str, Any]) -> dict[str, Any]:
        method, params = call["method"], call.get("params", [])
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": call["id"]}
        if method == "eth_getTransactionByHash":
            answer["result"] = self.txs.get(params[0].lower())
        elif method == "eth_getTransactionReceipt":
            answer["result"] = self.receipts.get(params[0].lower())
        elif method == "eth_chainId":
            answer["result"] = hex(self.chain_id)
        elif method == "eth_blockNumber":
            answer["result"] = hex(self.head)
        elif method == "eth_getBlockByNumber" and params[0] == "finalized":
            if self.finalized is None:
                answer["error"] = {"code": -32602, "message": "invalid block tag finalized"}
            else:
                answer["result"] = {"number": hex(self.finalized), "hash": "0x" + "00" * 32}
        elif method == "debug_traceTransaction" and params[0].lower() in self.call_traces:
            answer["result"] = self.call_traces[params[0].lower()]
        else:
            answer["error"] = METHOD_NOT_FOUND
        return answer


def tx_for_receipt(receipt: dict[str, Any], *, value: int = 0, calldata: str = "0x") -> dict[str, Any]:
    """The transaction object a node returns beside a recorded receipt (same hash, block, from, to)."""
    return {
        "hash": receipt["transactionHash"],
        "blockHash": receipt["blockHash"],
        "blockNumber": receipt["blockNumber"],
        "transactionIndex": receipt["transactionIndex"],
        "from": receipt["from"],
        "to": receipt["to"],
        "value": hex(value),
        "input": calldata,
        "gas": receipt["gasUsed"],
        "gasPrice": receipt.get("effectiveGasPrice", "0x1"),
        "nonce": "0x0",
    }
