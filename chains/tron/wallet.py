"""TRON over the java-tron HTTP API (``/wallet`` and ``/walletsolidity``), from TronGrid or a full node.

One lookup is one round trip: ``POST /wallet/gettransactionbyid`` and
``/wallet/gettransactioninfobyid`` side by side (2 requests). Confirmed means solidified: the
tx's block is at or below the node's solidified block, read from ``/wallet/getnodeinfo`` (its
``block`` and ``solidityBlock``) and kept for one block (3 s); when that is older it is asked in
the same round trip (a third request). Before solidification the tx is confirming, with its
confirmations counted against the head block.

What a tx moved: a ``TransferContract`` its TRX (in sun), a ``TriggerSmartContract`` every
``Transfer`` log of its receipt (several in one tx each count), a ``TransferAssetContract``
(TRC-10) the token named ``trc10:<id>``, which no deposit address accepts. A receipt whose result
is not ``SUCCESS`` is failed, with the reason in plain words; a tx without a receipt yet is not,
and neither is a plain TRX transfer, whose info has no ``receipt.result`` at all.

``TRON_API_KEY`` goes in the ``TRON-PRO-API-KEY`` header of the session: the recorded exchanges
keep no request headers, and no message here ever names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
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
    ProviderLimitation,
    ProviderUnavailable,
    Spend,
    Transfer,
    TransferKind,
    TxStatus,
)
from chains.tron.addresses import normalize_address
from chains.tron.history import TronGridListing
from chains.tron.tokens import decode_transfer_call, decode_transfer_log

BLOCK_SECONDS = 3
SOLIDIFY_BLOCKS = 19  # a block is solidified once 2/3 of the 27 super representatives built on it
API_KEY_HEADER = "TRON-PRO-API-KEY"

# receipt.result values, in the words a support agent can pass on (java-tron's contractResult).
FAILURE_WORDS = {
    "OUT_OF_ENERGY": "the sender's wallet did not have enough energy; nothing was sent, the fee was burnt",
    "REVERT": "the token contract refused the transfer (reverted); nothing was sent, the fee was burnt",
    "OUT_OF_TIME": "the contract ran out of time; nothing was sent, the fee was burnt",
    "TRANSFER_FAILED": "the transfer inside the contract failed; nothing was sent, the fee was burnt",
    "BAD_JUMP_DESTINATION": "the contract failed while running; nothing was sent, the fee was burnt",
    "ILLEGAL_OPERATION": "the contract failed while running; nothing was sent, the fee was burnt",
}
GENERIC_FAILURE = "the contract call failed ({result}); nothing was sent, the fee was burnt"


def failure_words(result: str) -> str:
    return FAILURE_WORDS.get(result, GENERIC_FAILURE.format(result=result))


@dataclass(frozen=True)
class Heads:
    head: int
    solid: int


class TronHttpAdapter(TronGridListing):
    """One java-tron HTTP provider; ``kind`` is ``trongrid`` (also has the /v1 listing API) or ``fullnode``."""

    chain = Chain.TRON

    def __init__(
        self,
        base_url: str,
        *,
        assets: AssetRegistry,
        kind: str = "fullnode",
        api_key: str | None = None,
        name: str | None = None,
        session: requests.Session | None = None,
        timeout: Any = http.DEFAULT_TIMEOUT,
        head_ttl: float = BLOCK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kind = kind
        self.name = name or http.host_of(self.base_url)
        self.assets = assets
        self.session = session or http.new_session()
        if api_key:
            self.session.headers[API_KEY_HEADER] = api_key
        self.timeout = timeout
        self.head_ttl = head_ttl
        self.clock = clock
        self._heads: tuple[Heads, float] | None = None
        self.tokens = {a.contract: a.symbol for a in assets.on_chain(Chain.TRON) if a.contract}

    # ---- HTTP ---------------------------------------------------------------------------------

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST a java-tron call; transport failures, 429 and 5xx are ProviderUnavailable."""
        try:
            response = self.session.post(self.base_url + path, json=body, timeout=self.timeout)
        except requests.Timeout as exc:
            raise ProviderUnavailable(f"{self.name}: timed out", provider=self.name) from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{self.name}: connection failed", provider=self.name) from exc
        return self._answer(response, path)

    def get(self, path: str) -> Any:
        response = http.get(self.session, self.base_url + path, provider=self.name, timeout=self.timeout)
        return self._answer(response, path.split("?")[0])

    def _answer(self, response: requests.Response, what: str) -> Any:
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(
                f"{self.name}: HTTP {response.status_code} for {what}",
                provider=self.name,
                retry_after=http.retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code != 200:
            raise ProviderBadResponse(
                f"{self.name}: HTTP {response.status_code} for {what}", provider=self.name, raw=response.text[:200]
            )
        answer = http.parse_json(response, provider=self.name)
        if isinstance(answer, dict) and "Error" in answer:  # java-tron's answer to a malformed call
            raise ProviderBadResponse(f"{self.name}: {what} refused: {str(answer['Error'])[:120]}", provider=self.name)
        return answer

    # ---- heads ----------------------------------------------------------------------------------

    def heads(self) -> Heads:
        """The head and the solidified block numbers (``/wallet/getnodeinfo``)."""
        info = self.post("/wallet/getnodeinfo", {})
        try:
            heads = Heads(_num(info["block"]), _num(info["solidityBlock"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderBadResponse(f"{self.name}: node info without block numbers", provider=self.name) from exc
        if heads.solid > heads.head:
            raise ProviderBadResponse(f"{self.name}: solidified block above its head", provider=self.name)
        self._heads = (heads, self.clock())
        return heads

    def _fresh_heads(self) -> Heads | None:
        if self._heads is not None and self.clock() - self._heads[1] < self.head_ttl:
            return self._heads[0]
        return None

    def tip_height(self) -> int:
        return self.heads().head

    def solid_height(self) -> int:
        return self.heads().solid

    # ---- lookups --------------------------------------------------------------------------------

    def get_tx(self, tx_hash: str) -> ChainTx:
        heads_known = self._fresh_heads()
        heads_future = http.side_by_side(self.heads) if heads_known is None else None
        info_future = http.side_by_side(lambda: self.post("/wallet/gettransactioninfobyid", {"value": tx_hash}))
        tx = self.post("/wallet/gettransactionbyid", {"value": tx_hash})
        info = self._wait(info_future, "transaction info")
        heads = heads_known or self._wait(heads_future, "node info")
        try:
            return self.parse(tx_hash, tx, info, heads)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ProviderBadResponse(
                f"{self.name}: transaction or its info is missing or mistyped fields ({exc!r})",
                provider=self.name,
                raw=str(tx)[:200],
            ) from exc

    def _wait(self, future: Any, what: str) -> Any:
        parts = self.timeout if isinstance(self.timeout, tuple) else (self.timeout, self.timeout)
        try:
            return future.result(timeout=float(sum(parts)) + 1.0)
        except FutureTimeout:
            raise ProviderUnavailable(f"{self.name}: no {what} in time", provider=self.name) from None

    def spend_of(self, outpoint: Outpoint) -> Spend:
        raise ProviderBadResponse(f"{self.name}: TRON has no outpoints", provider=self.name)

    def block_in_main_chain(self, block_hash: str, height: int | None = None) -> bool:
        """Whether the block is still in the main chain. A tx's info names its block by number only:
        without a hash, a solidified block is (it cannot be reorged away), a newer one cannot be told."""
        if height is None:
            raise ProviderBadResponse(f"{self.name}: a block height is needed", provider=self.name)
        if not block_hash:
            if height <= self.heads().solid:
                return True
            raise ProviderLimitation(
                f"{self.name}: block {height} is not solidified and its hash is unknown", provider=self.name
            )
        block = self.post("/wallet/getblockbynum", {"num": height})
        return isinstance(block, dict) and str(block.get("blockID", "")).lower() == block_hash.lower()

    # ---- parsing (shared with the block reader) -------------------------------------------------

    def parse(self, tx_hash: str, tx: Any, info: Any, heads: Heads) -> ChainTx:
        base: dict[str, Any] = {"chain": Chain.TRON, "tx_hash": tx_hash, "providers": [self.name]}
        tx = tx if isinstance(tx, dict) and tx else None
        info = info if isinstance(info, dict) and info else None
        if tx is None and info is None:
            return ChainTx(status=TxStatus.NOT_FOUND, **base)
        if tx is None:
            raise ProviderUnavailable(f"{self.name}: transaction info without the transaction", provider=self.name)
        if str(tx.get("txID", "")).lower() != tx_hash or (
            info is not None and str(info.get("id", "")).lower() != tx_hash
        ):
            raise ProviderBadResponse(f"{self.name}: answered for another transaction", provider=self.name)
        contract = tx["raw_data"]["contract"][0]
        value = contract["parameter"]["value"]
        signer = normalize_address(value["owner_address"])
        call = contract["type"] == "TriggerSmartContract"
        common = {**base, "signer": signer, "contract_call": call}
        if info is None or info.get("blockNumber") is None:
            transfers = self.contract_transfers(contract, signer, TransferKind.INTENDED if call else None)
            return ChainTx(status=TxStatus.MEMPOOL, transfers=transfers, **common)
        height = int(info["blockNumber"])
        receipt = info.get("receipt") or {}
        result = receipt.get("result")
        failed = (result is not None and result != "SUCCESS") or info.get("result") == "FAILED"
        if call:
            transfers = self.log_transfers(info, signer)
            if failed:
                transfers = self.contract_transfers(contract, signer, TransferKind.INTENDED)
        else:
            transfers = self.contract_transfers(contract, signer, TransferKind.INTENDED if failed else None)
        timestamp = info.get("blockTimeStamp")
        return ChainTx(
            status=TxStatus.FAILED if failed else TxStatus.CONFIRMED,
            block_height=height,
            confirmations=max(1, heads.head - height + 1),
            finalized=height <= heads.solid,
            timestamp=datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC) if timestamp else None,
            fee=int(info.get("fee") or 0),
            transfers=transfers,
            failure=(failure_words(str(result or "FAILED")) if failed else None),
            resources=_resources(info),
            **common,
        )

    def contract_transfers(self, contract: dict[str, Any], signer: str, kind: TransferKind | None) -> list[Transfer]:
        """What the tx's own contract moves (or, for a call, tries to move with ``transfer()``)."""
        value = contract["parameter"]["value"]
        kind_of = contract["type"]
        if kind_of == "TransferContract":
            to = normalize_address(value["to_address"])
            return [Transfer("TRX", (signer,), to, int(value["amount"]), 0, kind or TransferKind.NATIVE)]
        if kind_of == "TransferAssetContract":
            to = normalize_address(value["to_address"])
            token = "trc10:" + _asset_name(value.get("asset_name", ""))
            return [Transfer(token, (signer,), to, int(value["amount"]), 0, kind or TransferKind.NATIVE)]
        if kind_of == "TriggerSmartContract":
            transfers = []
            if int(value.get("call_value") or 0):
                to = normalize_address(value["contract_address"])
                transfers.append(
                    Transfer("TRX", (signer,), to, int(value["call_value"]), 0, kind or TransferKind.NATIVE)
                )
            decoded = decode_transfer_call(value.get("data"))
            if decoded is not None:
                token = self.token_symbol(normalize_address(value["contract_address"]))
                transfers.append(Transfer(token, (signer,), decoded[0], decoded[1], 0, TransferKind.INTENDED))
            return transfers
        return []

    def log_transfers(self, info: dict[str, Any], signer: str) -> list[Transfer]:
        transfers = []
        for position, log in enumerate(info.get("log") or []):
            decoded = decode_transfer_log(log)
            if decoded is None:
                continue
            senders = (decoded.sender,) if decoded.sender == signer else (decoded.sender, signer)
            transfers.append(
                Transfer(
                    self.token_symbol(decoded.contract),
                    senders,
                    decoded.recipient,
                    decoded.amount,
                    position,
                    TransferKind.TOKEN,
                )
            )
        return transfers

    def token_symbol(self, contract: str) -> str:
        return self.tokens.get(contract) or f"trc20:{contract}"


def _resources(info: dict[str, Any]) -> dict[str, int]:
    receipt = info.get("receipt") or {}
    return {
        "energy_used": int(receipt.get("energy_usage_total") or 0),
        "bandwidth_used": int(receipt.get("net_usage") or 0),
        "fee_burnt_sun": int(info.get("fee") or 0),
        "energy_fee_sun": int(receipt.get("energy_fee") or 0),
        "bandwidth_fee_sun": int(receipt.get("net_fee") or 0),
    }


def _asset_name(raw: str) -> str:
    """TRC-10 asset names come hex-encoded (the token id's digits) unless the call asked visible=true."""
    try:
        text = bytes.fromhex(raw).decode("ascii")
    except ValueError:
        text = raw
    return text if text.isalnum() else raw


def _num(value: str) -> int:
    """``"Num:53170105,ID:000…"`` -> 53170105."""
    head = str(value).split(",")[0]
    key, _, number = head.partition(":")
    if key.strip() != "Num":
        raise ValueError(f"not a block reference: {value!r}")
    return int(number)
