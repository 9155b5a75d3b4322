"""Ethereum blocks for the deposit auditor: a range of blocks in one JSON-RPC batch.

The batch holds ``eth_getBlockByNumber(n, true)`` per block (native value of each tx), one
``eth_getLogs`` over the range for ERC-20 ``Transfer`` logs (every contract's: a token we do
not accept sent to our address is a finding too), and a call trace per block for value moved by
contracts: ``debug_traceBlockByNumber`` with callTracer (geth) or ``trace_block`` (parity,
erigon, anvil). Which one the provider has is learned on the first batch; a provider with
neither is remembered, and its blocks say internal transfers were not covered.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from chains.base import ProviderBadResponse, Transfer, TransferKind
from chains.blocks import Block, BlockTransfer, check_consecutive
from chains.ethereum.jsonrpc import TRANSFER_TOPIC, EthereumRpcAdapter, _geth_internal, _parity_internal, _quantity

GETH, PARITY, NONE = "debug_traceBlockByNumber", "trace_block", "none"
UNTRACED = "internal transfers (value moved by contracts): the provider cannot trace calls"


class EthereumBlocks(EthereumRpcAdapter):
    trace_method: str | None = None  # learned on the first batch

    def block_hash(self, height: int) -> str | None:
        (answer,) = self._batch([("eth_getBlockByNumber", [hex(height), False])])
        block = self._result(answer)
        return str(block["hash"]).lower() if block else None

    def blocks(self, start: int, count: int) -> list[Block]:
        heights = list(range(start, start + count))
        calls: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", [hex(h), True]) for h in heights]
        calls.append(
            ("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(heights[-1]), "topics": [TRANSFER_TOPIC]}])
        )
        methods = [GETH, PARITY] if self.trace_method is None else [m for m in [self.trace_method] if m != NONE]
        for method in methods:
            params: list[Any] = [[hex(h), {"tracer": "callTracer"}] if method == GETH else [hex(h)] for h in heights]
            calls += [(method, p) for p in params]
        answers = self._batch(calls)
        raw_blocks = [self._result(a) for a in answers[:count]]
        if any(b is None for b in raw_blocks):
            raise ProviderBadResponse(f"{self.name}: a block of {start}..{heights[-1]} is unknown", provider=self.name)
        try:
            blocks = [self._block(raw) for raw in raw_blocks]
            self._add_logs(blocks, self._result(answers[count]))
            self._add_traces(blocks, raw_blocks, methods, answers[count + 1 :])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderBadResponse(f"{self.name}: malformed block data ({exc!r})", provider=self.name) from exc
        check_consecutive(blocks, self.name)
        return blocks

    def _block(self, raw: dict[str, Any]) -> Block:
        transfers = []
        for tx in raw["transactions"]:
            value = _quantity(tx.get("value", "0x0"), "value")
            if value and tx.get("to"):
                transfer = Transfer(
                    self.native_symbol, (tx["from"].lower(),), tx["to"].lower(), value, 0, TransferKind.NATIVE
                )
                transfers.append(BlockTransfer(tx["hash"].lower(), transfer))
        return Block(
            chain=self.chain,
            height=_quantity(raw["number"], "number"),
            block_hash=raw["hash"].lower(),
            parent_hash=raw["parentHash"].lower(),
            timestamp=datetime.fromtimestamp(_quantity(raw["timestamp"], "timestamp"), tz=UTC),
            transfers=transfers,
            provider=self.name,
        )

    def _add_logs(self, blocks: list[Block], logs: list[dict[str, Any]]) -> None:
        by_height = {block.height: block for block in blocks}
        for log in logs:
            topics = [t.lower() for t in log.get("topics", [])]
            data = log.get("data") or "0x"
            if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or log.get("removed") or len(data) != 66:
                continue  # ERC-721 transfers index the token id: no amount to credit
            block = by_height.get(_quantity(log["blockNumber"], "blockNumber"))
            if block is None or str(log["blockHash"]).lower() != block.block_hash:
                raise ProviderBadResponse(f"{self.name}: logs from another block than the batch's", provider=self.name)
            transfer = Transfer(
                self._token_symbol(log["address"]),
                ("0x" + topics[1][-40:],),
                "0x" + topics[2][-40:],
                int(data, 16),
                _quantity(log["logIndex"], "logIndex"),
                TransferKind.TOKEN,
            )
            block.transfers.append(BlockTransfer(log["transactionHash"].lower(), transfer))

    def _add_traces(
        self, blocks: list[Block], raw: list[dict[str, Any]], methods: list[str], answers: list[dict[str, Any]]
    ) -> None:
        per_method = {method: answers[i * len(blocks) : (i + 1) * len(blocks)] for i, method in enumerate(methods)}
        if self.trace_method is None:
            working = [m for m in methods if all("error" not in a for a in per_method[m])]
            self.trace_method = working[0] if working else NONE
        if self.trace_method == NONE:
            for block in blocks:
                block.uncovered.append(UNTRACED)
            return
        for block, raw_block, answer in zip(blocks, raw, per_method[self.trace_method], strict=True):
            if "error" in answer or not isinstance(answer.get("result"), list):
                block.uncovered.append(UNTRACED)
                continue
            if self.trace_method == GETH:
                hashes = [tx["hash"].lower() for tx in raw_block["transactions"]]
                for position, item in enumerate(answer["result"]):
                    tx_hash = str(item.get("txHash") or hashes[position]).lower()
                    for transfer in _geth_internal(item.get("result") or {}, self.native_symbol):
                        block.transfers.append(BlockTransfer(tx_hash, transfer))
            else:
                grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
                for trace in answer["result"]:
                    if trace.get("transactionHash"):
                        grouped[trace["transactionHash"].lower()].append(trace)
                for tx_hash, traces in grouped.items():
                    for transfer in _parity_internal(traces, self.native_symbol):
                        block.transfers.append(BlockTransfer(tx_hash, transfer))
