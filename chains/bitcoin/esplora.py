"""Esplora REST adapter (mempool.space, blockstream.info, self-hosted electrs/mempool).

Endpoints used: ``GET /tx/:txid``, ``GET /blocks/tip/height``,
``GET /tx/:txid/outspend/:vout`` (to tell a replaced deposit from an unknown one), and
``GET /address/:address/txs`` (mempool first, then the newest confirmed) with
``/address/:address/txs/chain/:last_seen_txid`` to page back through an address's history;
``GET /fee-estimates`` and ``GET /mempool`` for the fee market a payout is judged against.
Addresses are re-derived from each scriptPubKey rather than taken on the provider's word.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

import requests

from chains import http
from chains.base import (
    Chain,
    ChainError,
    ChainTx,
    Outpoint,
    ProviderBadResponse,
    ProviderUnavailable,
    Spend,
    Transfer,
    TxStatus,
)
from chains.bitcoin.addresses import address_from_script
from chains.fees import FeeMarket, parse_esplora
from chains.history import AddressTx, HistoryPage, Payment
from chains.tips import Tips

_NOT_FOUND_BODIES = ("transaction not found", "no such mempool or blockchain transaction")
_FINAL_SEQUENCE = 0xFFFFFFFE


class EsploraAdapter:
    chain = Chain.BTC

    def __init__(
        self,
        base_url: str,
        *,
        name: str | None = None,
        session: requests.Session | None = None,
        timeout: Any = http.DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name or http.host_of(self.base_url)
        self.session = http.protect(session or http.new_session(), self.base_url)
        self.timeout = timeout
        self.page_size = 25  # confirmed txs per address page (electrs and mempool.space both send 25)
        self.tips: Tips | None = None  # the pool's shared tip; None: each lookup asks this provider's

    def _get(self, path: str) -> requests.Response:
        return http.get(self.session, self.base_url + path, provider=self.name, timeout=self.timeout)

    def get_tx(self, tx_hash: str) -> ChainTx:
        """The tx and the tip, asked in parallel: one round trip of wall time, two requests. With
        the pool's shared tip (`tips`), one request while the tip is fresh."""
        if self.tips is not None:
            return self._get_tx_shared_tip(tx_hash, self.tips)
        tip = http.side_by_side(self.tip_height)
        try:
            response = self._get(f"/tx/{tx_hash}")
            if response.status_code == 404 and _is_not_found(response):
                return ChainTx(chain=Chain.BTC, tx_hash=tx_hash, status=TxStatus.NOT_FOUND, providers=[self.name])
            if response.status_code != 200:
                raise ProviderBadResponse(
                    f"{self.name}: unexpected HTTP {response.status_code} for a transaction",
                    provider=self.name,
                    raw=response.text[:200],
                )
            tx = self._parse_tx(tx_hash, http.parse_json(response, provider=self.name))
            if tx.status is TxStatus.CONFIRMED:
                assert tx.block_height is not None
                try:
                    tip_height = tip.result(timeout=_tip_wait(self.timeout))
                except FutureTimeout:
                    raise ProviderUnavailable(f"{self.name}: no tip height in time", provider=self.name) from None
                if tip_height < tx.block_height:
                    raise ProviderBadResponse(
                        f"{self.name}: its tip {tip_height} is behind the tx's block {tx.block_height}",
                        provider=self.name,
                    )
                tx.confirmations = tip_height - tx.block_height + 1
            return tx
        finally:
            tip.cancel()

    def _get_tx_shared_tip(self, tx_hash: str, tips: Tips) -> ChainTx:
        # A stale tip is asked beside the tx (one round trip), once for every lookup that needs it.
        asked = None if tips.fresh() is not None else tips.ask(self.tip_height, http.side_by_side)
        tx = self._tx_only(tx_hash)
        if tx.status is not TxStatus.CONFIRMED:
            return tx
        assert tx.block_height is not None
        tip_height = tips.fresh(at_least=tx.block_height)
        if tip_height is None and asked is not None:
            try:
                tip_height = self._wait_tip(asked)
            except ChainError:  # another provider's tip request may have failed: not this one's fault
                tip_height = None
        if tip_height is None or tip_height < tx.block_height:
            # A block arrived since the tip we know, or another provider's tip lags: this one's own.
            tip_height = self._wait_tip(http.side_by_side(self.tip_height))
            tips.offer(tip_height)
        if tip_height < tx.block_height:
            raise ProviderBadResponse(
                f"{self.name}: its tip {tip_height} is behind the tx's block {tx.block_height}", provider=self.name
            )
        tx.confirmations = tip_height - tx.block_height + 1
        return tx

    def _wait_tip(self, tip: Future[int]) -> int:
        try:
            return tip.result(timeout=_tip_wait(self.timeout))
        except FutureTimeout:
            raise ProviderUnavailable(f"{self.name}: no tip height in time", provider=self.name) from None

    def _tx_only(self, tx_hash: str) -> ChainTx:
        response = self._get(f"/tx/{tx_hash}")
        if response.status_code == 404 and _is_not_found(response):
            return ChainTx(chain=Chain.BTC, tx_hash=tx_hash, status=TxStatus.NOT_FOUND, providers=[self.name])
        if response.status_code != 200:
            raise ProviderBadResponse(
                f"{self.name}: unexpected HTTP {response.status_code} for a transaction",
                provider=self.name,
                raw=response.text[:200],
            )
        return self._parse_tx(tx_hash, http.parse_json(response, provider=self.name))

    def block_in_main_chain(self, block_hash: str, height: int | None = None) -> bool:
        response = self._get(f"/block/{block_hash}/status")
        if response.status_code == 404:
            return False
        body = http.parse_json(response, provider=self.name)
        if response.status_code != 200 or not isinstance(body, dict) or "in_best_chain" not in body:
            raise ProviderBadResponse(f"{self.name}: malformed block status", provider=self.name, raw=body)
        return bool(body["in_best_chain"])

    def tip_height(self) -> int:
        response = self._get("/blocks/tip/height")
        text = response.text.strip()
        if response.status_code != 200 or not text.isdigit():
            raise ProviderBadResponse(
                f"{self.name}: tip height answer is not a number", provider=self.name, raw=text[:100]
            )
        return int(text)

    def spend_of(self, outpoint: Outpoint) -> Spend:
        response = self._get(f"/tx/{outpoint.txid}/outspend/{outpoint.vout}")
        if response.status_code != 200:
            raise ProviderBadResponse(
                f"{self.name}: unexpected HTTP {response.status_code} for an outspend",
                provider=self.name,
                raw=response.text[:200],
            )
        body = http.parse_json(response, provider=self.name)
        if not isinstance(body, dict) or not isinstance(body.get("spent"), bool):
            raise ProviderBadResponse(f"{self.name}: malformed outspend", provider=self.name, raw=body)
        status = body.get("status") or {}
        return Spend(
            outpoint=outpoint,
            spent=body["spent"],
            spending_txid=body.get("txid"),
            confirmed=bool(status.get("confirmed")),
        )

    def fee_market(self) -> FeeMarket:
        """`/fee-estimates` and `/mempool`, asked side by side: the fee rates that confirm now."""
        mempool = http.side_by_side(lambda: self._get("/mempool"))
        try:
            estimates = self._get("/fee-estimates")
            try:
                histogram = mempool.result(timeout=_tip_wait(self.timeout))
            except FutureTimeout:
                raise ProviderUnavailable(f"{self.name}: no mempool answer in time", provider=self.name) from None
        finally:
            mempool.cancel()
        bodies = []
        for response in (estimates, histogram):
            if response.status_code != 200:
                raise ProviderBadResponse(
                    f"{self.name}: unexpected HTTP {response.status_code} for the fee market", provider=self.name
                )
            bodies.append(http.parse_json(response, provider=self.name))
        return parse_esplora(self.name, bodies[0], bodies[1])

    def address_txs(self, address: str, cursor: str | None = None) -> HistoryPage:
        """One page of the address's transactions, newest first; the cursor pages back (confirmed only)."""
        path = f"/address/{address}/txs" + (f"/chain/{cursor}" if cursor else "")
        response = self._get(path)
        body = http.parse_json(response, provider=self.name) if response.status_code == 200 else None
        if not isinstance(body, list):
            raise ProviderBadResponse(
                f"{self.name}: unexpected answer (HTTP {response.status_code}) for an address history",
                provider=self.name,
                raw=response.text[:200],
            )
        found, confirmed = [], []
        for item in body:
            tx = self._parse_tx(item.get("txid", "") if isinstance(item, dict) else "", item)
            paid = [Payment("BTC", t.amount_base_units, "output") for t in tx.transfers if t.to_address == address]
            listed = AddressTx(Chain.BTC, tx.tx_hash, address, tx.block_height, tx.timestamp, paid, {"output"})
            listed.tx, listed.provider = tx, self.name
            found.append(listed)
            if tx.status is TxStatus.CONFIRMED:
                confirmed.append(tx.tx_hash)
        more = len(confirmed) >= self.page_size
        return HistoryPage(found, confirmed[-1] if more else None)

    def _parse_tx(self, tx_hash: str, body: Any) -> ChainTx:
        try:
            return _parse_tx(tx_hash, body, self.name)
        except ProviderBadResponse:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderBadResponse(
                f"{self.name}: transaction JSON is missing or mistyped fields ({exc!r})",
                provider=self.name,
                raw=str(body)[:200],
            ) from exc


def _parse_tx(tx_hash: str, body: dict[str, Any], provider: str) -> ChainTx:
    if body["txid"] != tx_hash:
        raise ProviderBadResponse(f"{provider}: answered with txid {body['txid']} for {tx_hash}", provider=provider)
    senders: list[str] = []
    inputs: list[Outpoint] = []
    rbf = False
    for vin in body["vin"]:
        if vin.get("is_coinbase"):
            continue
        inputs.append(Outpoint(txid=vin["txid"], vout=_int(vin["vout"])))
        rbf = rbf or _int(vin.get("sequence", 0xFFFFFFFF)) < _FINAL_SEQUENCE
        prevout = vin.get("prevout") or {}
        if "scriptpubkey" in prevout:
            address = _checked_address(prevout, provider)
            if address and address not in senders:
                senders.append(address)
    transfers = [
        Transfer(
            asset="BTC",
            from_addresses=tuple(senders),
            to_address=_checked_address(vout, provider),
            amount_base_units=_int(vout["value"]),
            index=index,
        )
        for index, vout in enumerate(body["vout"])
    ]
    status = body["status"]
    confirmed = bool(status["confirmed"])
    return ChainTx(
        chain=Chain.BTC,
        tx_hash=tx_hash,
        status=TxStatus.CONFIRMED if confirmed else TxStatus.MEMPOOL,
        providers=[provider],
        block_height=_int(status["block_height"]) if confirmed else None,
        block_hash=status.get("block_hash") if confirmed else None,
        confirmations=0,
        timestamp=(
            datetime.fromtimestamp(_int(status["block_time"]), tz=UTC)
            if confirmed and status.get("block_time") is not None
            else None
        ),
        fee=_int(body["fee"]) if body.get("fee") is not None else None,
        vsize=_vsize(body),
        rbf_signalled=rbf,
        transfers=transfers,
        inputs=inputs,
    )


def _vsize(body: dict[str, Any]) -> int | None:
    """Virtual size: weight / 4 rounded up (Esplora sends `weight`; `size` when there is no witness)."""
    if body.get("weight") is not None:
        return -(-_int(body["weight"]) // 4)
    return _int(body["size"]) if body.get("size") is not None else None


def _checked_address(output: dict[str, Any], provider: str) -> str | None:
    derived = address_from_script(output["scriptpubkey"])
    claimed = output.get("scriptpubkey_address")
    if claimed is not None and claimed != derived:
        raise ProviderBadResponse(f"{provider}: output address {claimed} does not match its script", provider=provider)
    return derived


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _is_not_found(response: requests.Response) -> bool:
    # A 404 from a wrong base URL (a proxy's HTML page) must not read as "tx unknown":
    # only the bodies Esplora and the mempool backend send for an unknown txid count.
    return any(marker in response.text.lower() for marker in _NOT_FOUND_BODIES)


def _tip_wait(timeout: Any) -> float:
    """How long to wait for the tip request: its own connect and read timeouts, and a margin."""
    parts = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return float(sum(parts)) + 1.0
