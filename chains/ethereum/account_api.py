"""Etherscan-compatible account API (Etherscan, Blockscout, Routescan…): address history only.

``module=account&action=txlist`` lists txs sent to or from an address (ETH sent directly);
``action=txlistinternal`` lists value moved to it inside contract calls. Both page back by block:
the cursor is the highest block still to list (inclusive). Configured by ``ETH_HISTORY_PROVIDERS``
as the API's base URL with its query (``https://api.etherscan.io/v2/api?chainid=1&apikey=KEY``);
the key is part of the URL and never shown: the provider's name is its host.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from chains import http
from chains.base import Chain, ProviderBadResponse, ProviderUnavailable
from chains.history import AddressTx, HistoryPage, Payment

PAGE_SIZE = 1000
_EMPTY = ("no transactions found", "no records found", "no internal transactions found")
_BUSY = ("rate limit", "timeout", "too many", "busy", "try again")


class AccountApiAdapter:
    chain = Chain.ETH

    def __init__(self, url: str, *, name: str | None = None, session: requests.Session | None = None,
                 timeout: Any = http.DEFAULT_TIMEOUT) -> None:  # fmt: skip
        self.url = url
        self.name = name or f"{http.host_of(url)} account API"
        self.session = http.protect(session or http.new_session(), url)
        self.timeout = timeout

    def native_txs(self, address: str, from_block: int, cursor: int) -> HistoryPage:
        """ETH sent directly to `address` in [from_block, cursor], newest first."""
        rows, more = self._rows("txlist", address, from_block, cursor)
        mine = [
            r for r in rows if str(r.get("to", "")).lower() == address and str(r.get("from", "")).lower() != address
        ]
        return HistoryPage(_address_txs(mine, address, "native"), more, covers=("native",))

    def internal_txs(self, address: str, from_block: int, cursor: int) -> HistoryPage:
        """ETH forwarded to `address` by contracts in [from_block, cursor], newest first."""
        rows, more = self._rows("txlistinternal", address, from_block, cursor)
        mine = [r for r in rows if str(r.get("to", "")).lower() == address and str(r.get("isError", "0")) == "0"]
        return HistoryPage(_address_txs(mine, address, "internal"), more, covers=("internal",))

    def _rows(self, action: str, address: str, from_block: int, cursor: int) -> tuple[list[dict[str, Any]], str | None]:
        query = {
            "module": "account",
            "action": action,
            "address": address,
            "startblock": from_block,
            "endblock": cursor,
            "page": 1,
            "offset": PAGE_SIZE,
            "sort": "desc",
        }
        joiner = "&" if urlsplit(self.url).query else "?"
        response = http.get(self.session, f"{self.url}{joiner}{urlencode(query)}", provider=self.name,
                            timeout=self.timeout)  # fmt: skip
        body = http.parse_json(response, provider=self.name)
        if response.status_code != 200 or not isinstance(body, dict):
            raise ProviderBadResponse(f"{self.name}: HTTP {response.status_code} for {action}", provider=self.name)
        result, message = body.get("result"), str(body.get("message", ""))
        if str(body.get("status")) != "1":
            said = f"{message} {result if isinstance(result, str) else ''}".lower()
            if any(word in said for word in _EMPTY) and not result:
                return [], None
            kind = ProviderUnavailable if any(word in said for word in _BUSY) else ProviderBadResponse
            # The API's own words, never the URL: it carries the key.
            raise kind(f"{self.name}: {action} refused ({said.strip()[:80]})", provider=self.name)
        if not isinstance(result, list):
            raise ProviderBadResponse(f"{self.name}: {action} result is not a list", provider=self.name)
        try:
            lowest = min((int(row["blockNumber"]) for row in result), default=from_block)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderBadResponse(f"{self.name}: {action} rows without block numbers", provider=self.name) from exc
        # A full page may have cut a block in two: the next page starts at that block again.
        more = str(lowest) if len(result) >= PAGE_SIZE and from_block < lowest < cursor else None
        return result, more


def _time(row: dict[str, Any]) -> datetime | None:
    stamp = row.get("timeStamp")
    return datetime.fromtimestamp(int(stamp), tz=UTC) if str(stamp or "").isdigit() else None


def _address_txs(rows: list[dict[str, Any]], address: str, kind: str) -> list[AddressTx]:
    """The account API's rows paying `address` as address-history entries of one kind of payment."""
    return [
        AddressTx(
            Chain.ETH,
            row["hash"].lower(),
            address,
            int(row["blockNumber"]),
            _time(row),
            [Payment("ETH", int(row["value"]), kind)] if int(row["value"]) else [],
            {kind},
        )
        for row in rows
    ]
