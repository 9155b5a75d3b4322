"""Address history over JSON-RPC, mixed into `EthereumRpcAdapter`.

- ERC-20 payments: one ``eth_getLogs`` for every configured token contract and every address at
  once (the Transfer topic, the addresses as padded ``to`` topics). Providers cap the block range
  or the result count and say so in their own words; those answers become `RangeTooLarge`.
- ETH value: plain JSON-RPC has no index of it. Otterscan's ``ots_searchTransactionsBefore``
  (Erigon, Reth, anvil) lists every tx touching an address, contract-forwarded ETH included;
  a node without it answers "method not found", which becomes `HistoryUnsupported`.
- Block timestamps, for mapping a time window to heights.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from chains.base import Chain, ChainError, ChainTx, ProviderBadResponse, Transfer, TransferKind, TxStatus
from chains.history import AddressTx, HistoryPage, HistoryUnsupported, Payment, RangeTooLarge

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
OTS_PAGE_SIZE = 25
# How providers word "ask for fewer blocks" (geth/Infura, Alchemy, QuickNode, Ankr, publicnode,
# Cloudflare, BlastAPI, Chainstack…): one list, matched only on eth_getLogs answers.
_RANGE_WORDINGS = re.compile(
    r"range (is )?too (large|wide|big)|block range|exceed(s|ed)? (the )?max|more than \d+ (results|logs)|"
    r"too many (results|logs|blocks)|response size (exceeded|is larger)|limit exceeded|query timeout|"
    r"max(imum)? (block )?range|returned more than|log response size|result window",
    re.IGNORECASE,
)
_METHOD_NOT_FOUND = -32601


def padded(address: str) -> str:
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


class RpcHistory:
    """History methods; needs the adapter's `_batch`, `_result`, `_token_symbol`, `name`."""

    name: str

    def block_timestamp(self, height: int) -> int:
        (answer,) = self._batch([("eth_getBlockByNumber", [hex(height), False])])  # type: ignore[attr-defined]
        block = self._result(answer)  # type: ignore[attr-defined]
        if not isinstance(block, dict) or not isinstance(block.get("timestamp"), str):
            raise ProviderBadResponse(f"{self.name}: no block {height} with a timestamp", provider=self.name)
        return int(block["timestamp"], 16)

    def transfer_logs(
        self, addresses: list[str], contracts: list[str], from_block: int, to_block: int
    ) -> list[AddressTx]:
        """Token Transfer logs paying any of `addresses` from any of `contracts` in [from_block, to_block]."""
        wanted = {a.lower() for a in addresses}
        query = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": [c.lower() for c in contracts],
            "topics": [TRANSFER_TOPIC, None, [padded(a) for a in sorted(wanted)]],
        }
        (answer,) = self._batch([("eth_getLogs", [query])])  # type: ignore[attr-defined]
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            if _RANGE_WORDINGS.search(str(error.get("message", ""))):
                raise RangeTooLarge(
                    f"{self.name}: refused {to_block - from_block + 1} blocks of logs", provider=self.name, raw=error
                )
        logs = self._result(answer)  # type: ignore[attr-defined]
        if not isinstance(logs, list):
            raise ProviderBadResponse(f"{self.name}: eth_getLogs answer is not a list", provider=self.name)
        found = []
        for log in logs:
            topics = [t.lower() for t in log.get("topics", [])]
            data = log.get("data") or "0x"
            if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or log.get("removed") or len(data) != 66:
                continue
            to = "0x" + topics[2][-40:]
            if to not in wanted:
                continue
            symbol = self._token_symbol(log["address"])  # type: ignore[attr-defined]
            stamp = log.get("blockTimestamp")
            when = datetime.fromtimestamp(int(stamp, 16), tz=UTC) if stamp else None
            tx_hash, height = log["transactionHash"].lower(), int(log["blockNumber"], 16)
            listed = AddressTx(
                self.chain,  # type: ignore[attr-defined]
                tx_hash,
                to,
                height,
                when,
                [Payment(symbol, int(data, 16), "token")],
                {"token"},
            )
            # A log exists only for a tx that succeeded (a reverted one leaves none), in its block:
            # what it moved to us is all the verdict needs; confirmations are counted by the search.
            transfer = Transfer(
                symbol, ("0x" + topics[1][-40:],), to, int(data, 16), int(log["logIndex"], 16), TransferKind.TOKEN
            )
            listed.tx = ChainTx(
                self.chain,  # type: ignore[attr-defined]
                tx_hash,
                TxStatus.CONFIRMED,
                [self.name],
                block_height=height,
                block_hash=str(log.get("blockHash") or "").lower() or None,
                timestamp=when,
                transfers=[transfer],
                contract_call=True,
                network=self.network,  # type: ignore[attr-defined]
            )
            listed.provider, listed.partial = self.name, True
            found.append(listed)
        return found

    def head_and_finality(self) -> tuple[int, int, int | None]:
        """The head, its timestamp and the finalized block's height (None if the node has no such
        tag), in one request."""
        latest, final = self._batch(  # type: ignore[attr-defined]
            [("eth_getBlockByNumber", ["latest", False]), ("eth_getBlockByNumber", [self.final_tag, False])]  # type: ignore[attr-defined]
        )
        block = self._result(latest)  # type: ignore[attr-defined]
        if not isinstance(block, dict) or not isinstance(block.get("number"), str):
            raise ProviderBadResponse(f"{self.name}: no latest block", provider=self.name)
        stamp = int(block["timestamp"], 16) if isinstance(block.get("timestamp"), str) else None
        final_block = final.get("result") if "error" not in final else None
        finalized = (
            int(final_block["number"], 16) if isinstance(final_block, dict) and final_block.get("number") else None
        )
        return int(block["number"], 16), stamp, finalized

    def block_timestamps(self, heights: list[int]) -> dict[int, int]:
        """The timestamps of several blocks, in one batch."""
        answers = self._batch([("eth_getBlockByNumber", [hex(h), False]) for h in heights])  # type: ignore[attr-defined]
        stamps = {}
        for height, answer in zip(heights, answers, strict=True):
            block = self._result(answer)  # type: ignore[attr-defined]
            if not isinstance(block, dict) or not isinstance(block.get("timestamp"), str):
                raise ProviderBadResponse(f"{self.name}: no block {height} with a timestamp", provider=self.name)
            stamps[height] = int(block["timestamp"], 16)
        return stamps

    def get_txs(self, tx_hashes: list[str]) -> dict[str, ChainTx]:
        """Several lookups in one batch (each as `get_tx` would answer it, from one head); a tx
        whose answer is an error or malformed is left out (the caller looks it up alone)."""
        calls: list[tuple[str, list[Any]]] = [
            ("eth_blockNumber", []),
            ("eth_getBlockByNumber", [self.final_tag, False]),
        ]  # type: ignore[attr-defined]
        for tx_hash in tx_hashes:
            calls += [("eth_getTransactionByHash", [tx_hash]), ("eth_getTransactionReceipt", [tx_hash])]
        answers = self._batch(calls)  # type: ignore[attr-defined]
        head = int(self._result(answers[0]), 16)  # type: ignore[attr-defined]
        final = answers[1].get("result") if "error" not in answers[1] else None
        finalized = int(final["number"], 16) if isinstance(final, dict) and final.get("number") else None
        found = {}
        for position, tx_hash in enumerate(tx_hashes):
            tx_answer, receipt_answer = answers[2 + 2 * position], answers[3 + 2 * position]
            try:
                tx, receipt = self._result(tx_answer), self._result(receipt_answer)  # type: ignore[attr-defined]
                found[tx_hash] = self._parse(tx_hash, tx, receipt, head, finalized)  # type: ignore[attr-defined]
            except (ChainError, KeyError, TypeError, ValueError, AttributeError):
                continue
        return found

    def native_txs(self, address: str, from_block: int, cursor: int) -> HistoryPage:
        """Txs touching `address` at or below block `cursor` (newest first), by Otterscan's index;
        the next cursor is the block below this page, None once below `from_block`."""
        (answer,) = self._batch(  # type: ignore[attr-defined]
            [("ots_searchTransactionsBefore", [address, cursor + 1, OTS_PAGE_SIZE])]
        )
        error = answer.get("error")
        if isinstance(error, dict) and error.get("code") == _METHOD_NOT_FOUND:
            raise HistoryUnsupported(f"{self.name}: no Otterscan (ots_) API to list ETH payments", provider=self.name)
        body = self._result(answer)  # type: ignore[attr-defined]
        if not isinstance(body, dict) or not isinstance(body.get("txs"), list):
            raise ProviderBadResponse(f"{self.name}: malformed ots_searchTransactionsBefore answer", provider=self.name)
        receipts = {str(r.get("transactionHash", "")).lower(): r for r in body.get("receipts") or []}
        found, lowest = [], cursor + 1
        for tx in body["txs"]:
            height = int(tx["blockNumber"], 16)
            lowest = min(lowest, height)
            if height < from_block or height > cursor:
                continue
            receipt = receipts.get(tx["hash"].lower())
            item = _touching(tx, address, receipt, self.chain, self.native_symbol)  # type: ignore[attr-defined]
            if item is None:
                continue
            if receipt is not None and isinstance(receipt.get("logs"), list):
                # Otterscan lists the tx with its receipt: the lookup's own answer, but for the head.
                try:
                    item.tx = self._parse(item.tx_hash, tx, receipt, height, None)  # type: ignore[attr-defined]
                    item.provider = self.name
                except (ChainError, KeyError, TypeError, ValueError, AttributeError):
                    item.tx = None
            found.append(item)
        done = bool(body.get("lastPage")) or not body["txs"] or lowest <= from_block
        return HistoryPage(found, None if done else str(lowest - 1), covers=("native", "internal"))


def _touching(
    tx: dict[str, Any], address: str, receipt: dict[str, Any] | None, chain: Chain = Chain.ETH, native: str = "ETH"
) -> AddressTx | None:
    """A listed tx as a possible payment to `address`: its ETH value when sent to it, or a
    contract call that may have forwarded ETH to it (the amount comes with the investigation)."""
    sender, to = str(tx.get("from", "")).lower(), str(tx.get("to") or "").lower()
    if sender == address:
        return None  # the address paying out (a sweep), not a payment to it
    value = int(tx.get("value") or "0x0", 16)
    stamp = (receipt or {}).get("timestamp") or tx.get("blockTimestamp")
    when = datetime.fromtimestamp(int(stamp, 16), tz=UTC) if isinstance(stamp, str) else None
    height = int(tx["blockNumber"], 16)
    if to == address:
        paid = [Payment(native, value, "native")] if value else []
        return AddressTx(chain, tx["hash"].lower(), address, height, when, paid, {"native"})
    return AddressTx(chain, tx["hash"].lower(), address, height, when, [], {"internal"})
