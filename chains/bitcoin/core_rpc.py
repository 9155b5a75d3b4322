"""Bitcoin Core JSON-RPC adapter (`bitcoincore:http://user:pass@host:8332`).

One lookup is one HTTP request: a batch of ``getrawtransaction`` (verbosity 2, which v25+
answers with each input's prevout), ``getblockcount`` and ``getindexinfo``. Amounts come as
JSON numbers in BTC; they are parsed as Decimal and must be whole satoshis. A node without
``-txindex`` only knows mempool and wallet transactions: its "No such transaction" (-5) is a
limitation, never a "not found".
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from chains import http
from chains.base import (
    Chain,
    ChainTx,
    Outpoint,
    ProviderBadResponse,
    ProviderLimitation,
    ProviderUnavailable,
    Spend,
    Transfer,
    TxStatus,
)
from chains.bitcoin.addresses import address_from_script
from chains.history import HistoryPage, HistoryUnsupported

_NO_SUCH_TX = -5
_WARMING_UP = -28
_METHOD_NOT_FOUND = -32601
_SATS = Decimal(100_000_000)
_FINAL_SEQUENCE = 0xFFFFFFFE


class BitcoinCoreAdapter:
    chain = Chain.BTC

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        session: requests.Session | None = None,
        timeout: Any = http.DEFAULT_TIMEOUT,
    ) -> None:
        parts = urlsplit(url)
        # Credentials travel as HTTP basic auth, never as part of a URL that could be logged.
        self.url = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 8332}", parts.path or "/", "", ""))
        self.auth = (parts.username or "", parts.password or "") if parts.username else None
        self.name = name or f"bitcoincore@{parts.hostname}"
        self.session = http.protect(session or http.new_session(), self.url)
        self.timeout = timeout

    def get_tx(self, tx_hash: str) -> ChainTx:
        raw, count, indexes = self._batch(
            [("getrawtransaction", [tx_hash, 2]), ("getblockcount", []), ("getindexinfo", [])]
        )
        tip = self._result(count)
        if "error" in raw and raw["error"]:
            code = raw["error"].get("code")
            if code == _NO_SUCH_TX:
                if _has_txindex(indexes):
                    return ChainTx(chain=Chain.BTC, tx_hash=tx_hash, status=TxStatus.NOT_FOUND, providers=[self.name])
                raise ProviderLimitation(
                    f"{self.name}: node without -txindex cannot say a confirmed tx is unknown", provider=self.name
                )
            raise self._rpc_error(raw["error"])
        try:
            return self._parse(tx_hash, raw["result"], tip)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ProviderBadResponse(
                f"{self.name}: getrawtransaction answer is missing or mistyped fields ({exc!r})", provider=self.name
            ) from exc

    def tip_height(self) -> int:
        (count,) = self._batch([("getblockcount", [])])
        return int(self._result(count))

    def spend_of(self, outpoint: Outpoint) -> Spend:
        """Mempool spender by gettxspendingprevout (v24+); a missing UTXO means spent in a block."""
        spending, utxo = self._batch(
            [
                ("gettxspendingprevout", [[{"txid": outpoint.txid, "vout": outpoint.vout}]]),
                ("gettxout", [outpoint.txid, outpoint.vout, True]),
            ]
        )
        if not spending.get("error"):
            spender = (self._result(spending) or [{}])[0].get("spendingtxid")
            if spender:
                return Spend(outpoint, spent=True, spending_txid=spender, confirmed=False)
        if utxo.get("error"):
            raise self._rpc_error(utxo["error"])
        spent = utxo.get("result") is None
        return Spend(outpoint, spent=spent, spending_txid=None, confirmed=spent)

    def block_in_main_chain(self, block_hash: str, height: int | None = None) -> bool:
        (header,) = self._batch([("getblockheader", [block_hash, True])])
        if header.get("error"):
            if header["error"].get("code") == _NO_SUCH_TX:
                return False
            raise self._rpc_error(header["error"])
        return int(self._result(header)["confirmations"]) >= 0

    def address_txs(self, address: str, cursor: str | None = None) -> HistoryPage:
        """Bitcoin Core keeps no address index (only a wallet's own): it cannot list, it says so."""
        raise HistoryUnsupported(
            f"{self.name}: Bitcoin Core cannot list an address's transactions without a wallet", provider=self.name
        )

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        payload = [
            {"jsonrpc": "1.0", "id": index, "method": method, "params": params}
            for index, (method, params) in enumerate(calls)
        ]
        try:
            response = self.session.post(self.url, json=payload, auth=self.auth, timeout=self.timeout)
        except requests.Timeout as exc:
            raise ProviderUnavailable(f"{self.name}: timed out", provider=self.name) from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{self.name}: connection failed", provider=self.name) from exc
        if response.status_code == 401:
            raise ProviderBadResponse(f"{self.name}: RPC credentials refused (HTTP 401)", provider=self.name)
        if response.status_code == 429 or response.status_code >= 502:
            raise ProviderUnavailable(
                f"{self.name}: HTTP {response.status_code}",
                provider=self.name,
                retry_after=http.retry_after(response.headers.get("Retry-After")),
            )
        # Bitcoin Core answers RPC errors with HTTP 500 and a JSON body: read it either way.
        body = http.parse_json(response, provider=self.name)
        if isinstance(body, dict):
            raise self._rpc_error(body.get("error") or {"code": None})
        answers = {item.get("id"): item for item in body if isinstance(item, dict)} if isinstance(body, list) else {}
        if sorted(answers) != list(range(len(calls))):
            raise ProviderBadResponse(f"{self.name}: batch answer does not match the calls", provider=self.name)
        return [answers[index] for index in range(len(calls))]

    def _result(self, answer: dict[str, Any]) -> Any:
        if answer.get("error"):
            raise self._rpc_error(answer["error"])
        return answer.get("result")

    def _rpc_error(self, error: dict[str, Any]) -> ProviderUnavailable | ProviderBadResponse:
        code = error.get("code") if isinstance(error, dict) else None
        if code == _WARMING_UP:
            return ProviderUnavailable(f"{self.name}: node is starting (RPC -28)", provider=self.name, raw=error)
        return ProviderBadResponse(f"{self.name}: RPC error {code}", provider=self.name, raw=error)

    def _parse(self, tx_hash: str, raw: dict[str, Any], tip: int) -> ChainTx:
        if raw["txid"] != tx_hash:
            raise ProviderBadResponse(f"{self.name}: answered for another txid", provider=self.name)
        senders: list[str] = []
        inputs: list[Outpoint] = []
        rbf = False
        input_total = 0
        for vin in raw["vin"]:
            if "coinbase" in vin:
                continue
            inputs.append(Outpoint(vin["txid"], int(vin["vout"])))
            rbf = rbf or int(vin.get("sequence", 0xFFFFFFFF)) < _FINAL_SEQUENCE
            prevout = vin.get("prevout")
            if prevout:
                input_total += _sats(prevout["value"])
                address = self._address(prevout["scriptPubKey"])
                if address and address not in senders:
                    senders.append(address)
        transfers = [
            Transfer("BTC", tuple(senders), self._address(vout["scriptPubKey"]), _sats(vout["value"]), int(vout["n"]))
            for vout in raw["vout"]
        ]
        confirmations = int(raw.get("confirmations") or 0)
        confirmed = bool(raw.get("blockhash")) and confirmations > 0
        fee = _sats(raw["fee"]) if raw.get("fee") is not None else None
        return ChainTx(
            chain=Chain.BTC,
            tx_hash=tx_hash,
            status=TxStatus.CONFIRMED if confirmed else TxStatus.MEMPOOL,
            providers=[self.name],
            block_height=tip - confirmations + 1 if confirmed else None,
            block_hash=raw.get("blockhash") if confirmed else None,
            confirmations=confirmations if confirmed else 0,
            timestamp=datetime.fromtimestamp(int(raw["blocktime"]), tz=UTC)
            if confirmed and raw.get("blocktime")
            else None,
            fee=fee,
            rbf_signalled=rbf,
            transfers=transfers,
            inputs=inputs,
        )

    def _address(self, script_pubkey: dict[str, Any]) -> str | None:
        derived = address_from_script(script_pubkey["hex"])
        claimed = script_pubkey.get("address") or (script_pubkey.get("addresses") or [None])[0]
        if claimed is not None and claimed != derived:
            raise ProviderBadResponse(f"{self.name}: output address does not match its script", provider=self.name)
        return derived


def _sats(value: Any) -> int:
    """BTC as a JSON number (parsed as Decimal or int) to satoshis; anything not whole is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"amount {value!r} is not a number")
    sats = Decimal(value) * _SATS
    if sats != sats.to_integral_value() or sats < 0:
        raise ValueError(f"amount {value!r} is not a whole number of satoshis")
    return int(sats)


def _has_txindex(indexes: dict[str, Any]) -> bool:
    """Whether getindexinfo reports a synced txindex (an error or an old node: assume not)."""
    if indexes.get("error") or not isinstance(indexes.get("result"), dict):
        return False
    txindex = indexes["result"].get("txindex") or {}
    return bool(txindex.get("synced"))
