"""Ethereum (and other EVM networks) over standard JSON-RPC 2.0 batches on the provider session.

One lookup is one HTTP round trip: a batch of ``eth_getTransactionByHash``,
``eth_getTransactionReceipt``, ``eth_blockNumber`` and ``eth_getBlockByNumber("finalized")``.
The batch's answers are put back in order by id; a batch answered by a single error object, a missing
answer or a JSON-RPC error becomes a `ChainError` here. Internal transfers come from a second,
optional batch asking for both a geth-style and a parity-style trace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import requests

from chains import http
from chains.assets import AssetRegistry
from chains.base import (
    Chain,
    ChainTx,
    Outpoint,
    ProviderBadResponse,
    ProviderUnavailable,
    Spend,
    TraceUnsupported,
    Transfer,
    TransferKind,
    TxStatus,
)
from chains.ethereum.rpc_history import RpcHistory
from chains.fees import FeeMarket

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SELECTOR = "0xa9059cbb"
PLAIN_GAS = 21_000  # intrinsic gas of a transfer that runs no code
# JSON-RPC error codes that mean "ask again later" rather than "this answer is wrong".
_TRANSIENT_RPC_CODES = {-32000, -32005, -32603, 429}
_METHOD_NOT_FOUND = -32601


class EthereumRpcAdapter(RpcHistory):
    chain = Chain.ETH

    def __init__(
        self,
        url: str,
        *,
        assets: AssetRegistry,
        name: str | None = None,
        network: str | None = None,
        native_symbol: str = "ETH",
        tokens: dict[str, str] | None = None,
        session: requests.Session | None = None,
        timeout: Any = http.DEFAULT_TIMEOUT,
        chain: Chain = Chain.ETH,
        final_tag: str = "finalized",
    ) -> None:
        self.chain = chain  # an EVM network a casino issues addresses for: Chain.BSC, Chain.BASE…
        self.final_tag = final_tag  # "safe" where the network's finality rule is the safe block tag
        self.url = url
        self.name = name or http.host_of(url)
        self.network = network  # None: Ethereum mainnet, whose token list applies
        self.native_symbol = native_symbol
        self.tokens = {c.lower(): symbol for c, symbol in (tokens or {}).items()}  # another network's list
        self.assets = assets
        self.session = http.protect(session or http.new_session(), url)  # the pool meters its requests
        self.timeout = timeout

    def get_tx(self, tx_hash: str) -> ChainTx:
        tx_answer, receipt_answer, head_answer, finalized_answer = self._batch(
            [
                ("eth_getTransactionByHash", [tx_hash]),
                ("eth_getTransactionReceipt", [tx_hash]),
                ("eth_blockNumber", []),
                ("eth_getBlockByNumber", [self.final_tag, False]),
            ]
        )
        tx, receipt = self._result(tx_answer), self._result(receipt_answer)
        head = _quantity(self._result(head_answer), "block number")
        finalized_block = finalized_answer.get("result") if "error" not in finalized_answer else None
        finalized_height = _quantity(finalized_block["number"], "finalized") if finalized_block else None
        try:
            return self._parse(tx_hash, tx, receipt, head, finalized_height)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderBadResponse(
                f"{self.name}: transaction or receipt is missing or mistyped fields ({exc!r})",
                provider=self.name,
                raw=str(tx)[:200],
            ) from exc

    def trace(self, tx_hash: str) -> list[Transfer]:
        """Value moved inside the call tree (not the top-level value); TraceUnsupported if untraceable."""
        geth, parity = self._batch(
            [("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}]), ("trace_transaction", [tx_hash])]
        )
        if "error" not in geth and isinstance(geth.get("result"), dict):
            return list(_geth_internal(geth["result"], self.native_symbol))
        if "error" not in parity and isinstance(parity.get("result"), list):
            return list(_parity_internal(parity["result"], self.native_symbol))
        raise TraceUnsupported(
            f"{self.name}: cannot trace calls ({_error_text(geth)}; {_error_text(parity)})", provider=self.name
        )

    def fee_market(self) -> FeeMarket:
        """The base fee of the next block (the pending block's, else the latest's)."""
        pending, latest = self._batch(
            [("eth_getBlockByNumber", ["pending", False]), ("eth_getBlockByNumber", ["latest", False])]
        )
        for answer in (pending, latest):
            block = answer.get("result") if "error" not in answer else None
            if isinstance(block, dict) and block.get("baseFeePerGas") is not None:
                return FeeMarket(Chain.ETH, self.name, base_fee=_quantity(block["baseFeePerGas"], "baseFeePerGas"))
        raise ProviderBadResponse(f"{self.name}: no base fee in the pending or latest block", provider=self.name)

    def mined_nonce(self, sender: str, block: str = "latest") -> int:
        """How many txs of `sender` are mined (the next nonce a block can include); with "pending",
        counting those in the node's mempool too."""
        (answer,) = self._batch([("eth_getTransactionCount", [sender, block])])
        return _quantity(self._result(answer), "nonce")

    def tx_by_sender_and_nonce(self, sender: str, nonce: int) -> str | None:
        """The mined tx of `sender` with `nonce` (Otterscan's index: Erigon, Reth, anvil)."""
        (answer,) = self._batch([("ots_getTransactionBySenderAndNonce", [sender, hex(nonce)])])
        if "error" in answer:
            raise TraceUnsupported(f"{self.name}: no Otterscan index ({_error_text(answer)})", provider=self.name)
        found = answer.get("result")
        return str(found).lower() if found else None

    def block_in_main_chain(self, block_hash: str, height: int | None = None) -> bool:
        """Whether the canonical block at `height` is still `block_hash` (by-hash lookups also find side blocks)."""
        if height is None:
            raise ProviderBadResponse(f"{self.name}: a block height is needed", provider=self.name)
        (answer,) = self._batch([("eth_getBlockByNumber", [hex(height), False])])
        block = self._result(answer)
        return bool(block) and str(block.get("hash", "")).lower() == block_hash.lower()

    def tip_height(self) -> int:
        (answer,) = self._batch([("eth_blockNumber", [])])
        return _quantity(self._result(answer), "block number")

    def spend_of(self, outpoint: Outpoint) -> Spend:
        raise ProviderBadResponse(f"{self.name}: EVM chains have no outpoints", provider=self.name)

    def _post(self, calls: list[tuple[str, list[Any]]]) -> Any:
        """One JSON-RPC 2.0 batch, its answers in the order of `calls` (matched by id where every answer
        has one; the spec lets a node answer in any order), or the node's one error object."""
        batch = [{"jsonrpc": "2.0", "method": m, "params": params, "id": n} for n, (m, params) in enumerate(calls)]
        body = json.dumps(batch, separators=(",", ":")).encode()
        response = http.post_json(self.session, self.url, body, timeout=self.timeout)
        response.raise_for_status()
        answers = json.loads(response.content)
        if isinstance(answers, list) and len(answers) == len(calls):
            by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
            if set(by_id) == set(range(len(calls))):
                return [by_id[n] for n in range(len(calls))]
        return answers

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        try:
            answers = self._post(calls)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429 or status >= 500:
                wait = http.retry_after(exc.response.headers.get("Retry-After")) if exc.response is not None else None
                raise ProviderUnavailable(f"{self.name}: HTTP {status}", provider=self.name, retry_after=wait) from exc
            raise ProviderBadResponse(f"{self.name}: HTTP {status}", provider=self.name) from exc
        except requests.Timeout as exc:
            raise ProviderUnavailable(f"{self.name}: timed out", provider=self.name) from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{self.name}: connection failed", provider=self.name) from exc
        except (ValueError, TypeError) as exc:
            raise ProviderBadResponse(f"{self.name}: answer is not JSON-RPC", provider=self.name) from exc
        if isinstance(answers, dict):
            # One error object for the whole batch (rate limit, batches disabled, bad request).
            raise self._rpc_error(answers, "batch")
        if not isinstance(answers, list) or len(answers) != len(calls) or not all(isinstance(a, dict) for a in answers):
            raise ProviderBadResponse(
                f"{self.name}: batch answer has {len(answers) if isinstance(answers, list) else 'no'} "
                f"items for {len(calls)} calls",
                provider=self.name,
                raw=str(answers)[:200],
            )
        return [dict(a) for a in answers]

    def _result(self, answer: dict[str, Any]) -> Any:
        if "error" in answer:
            raise self._rpc_error(answer, "call")
        if "result" not in answer:
            raise ProviderBadResponse(f"{self.name}: answer without result", provider=self.name, raw=answer)
        return answer["result"]

    def _rpc_error(self, answer: dict[str, Any], what: str) -> ProviderBadResponse | ProviderUnavailable:
        error = answer.get("error") or {}
        code = error.get("code") if isinstance(error, dict) else None
        kind = ProviderUnavailable if code in _TRANSIENT_RPC_CODES else ProviderBadResponse
        return kind(f"{self.name}: JSON-RPC error {code} for the {what}", provider=self.name, raw=error)

    def _parse(
        self,
        tx_hash: str,
        tx: dict[str, Any] | None,
        receipt: dict[str, Any] | None,
        head: int,
        finalized_height: int | None,
    ) -> ChainTx:
        base = {"chain": self.chain, "tx_hash": tx_hash, "providers": [self.name], "network": self.network}
        if tx is None and receipt is None:
            return ChainTx(status=TxStatus.NOT_FOUND, **base)
        if tx is None:
            raise ProviderUnavailable(f"{self.name}: receipt without transaction (index lagging)", provider=self.name)
        if tx["hash"].lower() != tx_hash:
            raise ProviderBadResponse(f"{self.name}: answered for another hash", provider=self.name)
        signer = tx["from"].lower()
        calldata = tx.get("input") or tx.get("data") or "0x"
        common = {**base, "signer": signer, "contract_call": calldata not in ("0x", ""), **_fee_fields(tx)}
        if tx.get("blockNumber") is None:
            # Without a receipt, gas allowed above a plain transfer's is the hint that code may run.
            common["contract_call"] = common["contract_call"] or _quantity(tx.get("gas", "0x0"), "gas") > PLAIN_GAS
            return ChainTx(status=TxStatus.MEMPOOL, transfers=self._transfers(tx, None), **common)
        if receipt is None:
            raise ProviderUnavailable(f"{self.name}: mined transaction without receipt yet", provider=self.name)
        if receipt.get("blockHash") != tx.get("blockHash"):
            raise ProviderUnavailable(f"{self.name}: tx and receipt disagree on the block (reorg?)", provider=self.name)
        height = _quantity(tx["blockNumber"], "blockNumber")
        if head < height:
            raise ProviderBadResponse(
                f"{self.name}: its head {head} is behind the tx's block {height}", provider=self.name
            )
        failed = receipt.get("status") is not None and _quantity(receipt["status"], "status") == 0
        # Value sent without calldata to a contract runs its receive/fallback, which may pass it on:
        # any gas used beyond a plain transfer's means code ran.
        common["contract_call"] = common["contract_call"] or _quantity(receipt["gasUsed"], "gasUsed") > PLAIN_GAS
        price = receipt.get("effectiveGasPrice") or tx.get("gasPrice") or "0x0"
        timestamp = receipt.get("blockTimestamp") or tx.get("blockTimestamp")
        return ChainTx(
            status=TxStatus.FAILED if failed else TxStatus.CONFIRMED,
            block_height=height,
            block_hash=tx["blockHash"],
            confirmations=head - height + 1,
            finalized=None if finalized_height is None else height <= finalized_height,
            timestamp=datetime.fromtimestamp(_quantity(timestamp, "timestamp"), tz=UTC) if timestamp else None,
            fee=_quantity(receipt["gasUsed"], "gasUsed") * _quantity(price, "gas price"),
            transfers=self._intended(tx) if failed else self._transfers(tx, receipt),
            **common,
        )

    def _transfers(self, tx: dict[str, Any], receipt: dict[str, Any] | None) -> list[Transfer]:
        signer = tx["from"].lower()
        transfers = []
        value = _quantity(tx.get("value", "0x0"), "value")
        if value and tx.get("to"):
            transfers.append(Transfer(self.native_symbol, (signer,), tx["to"].lower(), value, 0, TransferKind.NATIVE))
        for log in (receipt or {}).get("logs", []):
            topics = [t.lower() for t in log.get("topics", [])]
            if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or log.get("removed"):
                continue
            data = log.get("data") or "0x"
            if len(data) != 66:  # one 32-byte word: the amount
                continue
            holder = "0x" + topics[1][-40:]
            senders = (holder,) if holder == signer else (holder, signer)
            transfers.append(
                Transfer(
                    self._token_symbol(log["address"]),
                    senders,
                    "0x" + topics[2][-40:],
                    int(data, 16),
                    _quantity(log["logIndex"], "logIndex"),
                    TransferKind.TOKEN,
                )
            )
        return transfers

    def _intended(self, tx: dict[str, Any]) -> list[Transfer]:
        """What a reverted tx tried to move: its value, or an ERC-20 transfer(to, amount) call."""
        intended = [
            Transfer(t.asset, t.from_addresses, t.to_address, t.amount_base_units, t.index, TransferKind.INTENDED)
            for t in self._transfers(tx, None)
        ]
        calldata = (tx.get("input") or "0x").lower()
        if calldata.startswith(TRANSFER_SELECTOR) and len(calldata) == 10 + 128 and tx.get("to"):
            to = "0x" + calldata[10:74][-40:]
            intended.append(
                Transfer(
                    self._token_symbol(tx["to"]),
                    (tx["from"].lower(),),
                    to,
                    int(calldata[74:], 16),
                    0,
                    TransferKind.INTENDED,
                )
            )
        return intended

    def _token_symbol(self, contract: str) -> str:
        if self.network is not None and contract.lower() in self.tokens:
            return self.tokens[contract.lower()]
        token = self.assets.by_contract(self.chain, contract) if self.network is None else None
        return token.symbol if token else f"erc20:{contract.lower()}"


def _geth_internal(frame: dict[str, Any], native: str, depth: int = 0) -> Iterator[Transfer]:
    """Value-carrying calls below the top frame of a callTracer result, skipping reverted subtrees."""
    if frame.get("error"):
        return
    value = _quantity(frame.get("value") or "0x0", "value")
    kind = (frame.get("type") or "").upper()
    if depth > 0 and value and kind in ("CALL", "CREATE", "CREATE2", "SELFDESTRUCT") and frame.get("to"):
        yield Transfer(native, (frame["from"].lower(),), frame["to"].lower(), value, depth, TransferKind.INTERNAL)
    for child in frame.get("calls") or []:
        yield from _geth_internal(child, native, depth + 1)


def _parity_internal(traces: list[dict[str, Any]], native: str) -> Iterator[Transfer]:
    failed: list[list[int]] = [t.get("traceAddress", []) for t in traces if t.get("error")]
    for position, trace in enumerate(traces):
        address = trace.get("traceAddress", [])
        if not address or any(address[: len(f)] == f for f in failed):
            continue
        action, kind = trace.get("action") or {}, trace.get("type")
        if kind == "call" and action.get("callType") == "call":
            source, target, value = action.get("from"), action.get("to"), action.get("value")
        elif kind == "create":
            source, target, value = action.get("from"), (trace.get("result") or {}).get("address"), action.get("value")
        elif kind == "suicide":
            source, target, value = action.get("address"), action.get("refundAddress"), action.get("balance")
        else:
            continue
        amount = _quantity(value or "0x0", "value")
        if amount and source and target:
            yield Transfer(native, (source.lower(),), target.lower(), amount, position, TransferKind.INTERNAL)


def _fee_fields(tx: dict[str, Any]) -> dict[str, Any]:
    """The nonce and the most the tx pays per gas (maxFeePerGas; gasPrice for a legacy tx)."""
    most = tx.get("maxFeePerGas") or tx.get("gasPrice")
    return {
        "nonce": _quantity(tx["nonce"], "nonce") if tx.get("nonce") is not None else None,
        "max_fee_per_gas": _quantity(most, "maxFeePerGas") if most is not None else None,
    }


def _quantity(value: Any, what: str) -> int:
    if isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{what} is not a hex quantity: {value!r}")


def _error_text(answer: dict[str, Any]) -> str:
    error = answer.get("error") or {}
    return f"{error.get('code')}: {error.get('message', '')}"[:120] if isinstance(error, dict) else str(error)[:120]
