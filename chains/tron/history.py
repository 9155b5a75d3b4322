"""Everything that paid a set of TRON addresses in a time window, from TronGrid's ``/v1`` listing API.

``GET /v1/accounts/{address}/transactions/trc20`` lists TRC-20 transfers (one per Transfer event,
with the token's contract) and ``/v1/accounts/{address}/transactions`` the account's transactions
(TRX sent directly is their ``TransferContract``). Both are asked with ``only_to=true``,
``min_timestamp``/``max_timestamp`` (ms) for the window and ``only_confirmed=false``, so a deposit
not yet solidified is found too (it is then investigated, and is confirming); pages follow
``meta.fingerprint``. A plain full node (``fullnode:``) has no listing API: the pool then has no
provider that can answer and the search names the kind in ``not_searched``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chains.base import (
    Chain,
    ChainError,
    ChainTx,
    ProviderBadResponse,
    ProviderLimitation,
    Transfer,
    TransferKind,
    TxStatus,
)
from chains.history import AddressTx, HistoryUnsupported, Listing, Payment, side_by_side
from chains.providers import ProviderPool
from chains.tron.addresses import normalize_address

PAGE_SIZE = 200  # TronGrid's largest page
MAX_PAGES = 20  # per address and kind: a listing stops (truncated) rather than running on


class TronGridListing:
    """The ``/v1`` listing calls of one TRON provider (mixed into the adapter)."""

    kind: str
    name: str

    def get(self, path: str) -> Any: ...  # provided by the adapter

    def list_page(self, address: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.kind != "trongrid":
            raise HistoryUnsupported(
                f"{self.name}: a full node cannot list an address's transactions (only TronGrid's /v1 API can)",
                provider=self.name,
            )
        path = f"/v1/accounts/{address}/transactions" + ("/trc20" if kind == "trc20" else "")
        query = "&".join(f"{key}={value}" for key, value in params.items())
        answer = self.get(f"{path}?{query}")
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), list) or answer.get("success") is False:
            raise ProviderBadResponse(f"{self.name}: the listing answer has no data list", provider=self.name)
        return answer


def list_tron(
    pool: ProviderPool,
    addresses: list[str],
    since: datetime,
    until: datetime,
    *,
    tokens: dict[str, str],  # contract (T…) -> symbol of the accepted TRC-20 tokens
    kinds: tuple[str, ...] = ("trx", "trc20"),
    max_txs: int = 500,
) -> Listing:
    if "trx" not in kinds:
        return _list_kinds(pool, addresses, since, until, tokens=tokens, kinds=kinds, max_txs=max_txs)
    listing, heads = side_by_side(
        [lambda: _list_kinds(pool, addresses, since, until, tokens=tokens, kinds=kinds, max_txs=max_txs),
         lambda: _heads(pool)]
    )  # fmt: skip
    for found in listing.txs:
        if found.tx is not None and found.partial:
            found.provider = found.provider or (listing.providers[0] if listing.providers else "trongrid")
            found.tx.providers = [found.provider]
            if heads is None:  # its solidification cannot be told from the listing: it is looked up
                found.tx, found.partial = None, False
    if heads is not None:
        listing.head, listing.finalized = heads
    return listing


def _heads(pool: ProviderPool) -> tuple[int, int] | None:
    """The head and the solidified block (asked beside the listing; the TRX it lists count from them)."""
    try:
        heads, _provider = pool.ask("heads")
    except ChainError:
        return None
    return int(heads.head), int(heads.solid)


def _list_kinds(
    pool: ProviderPool,
    addresses: list[str],
    since: datetime,
    until: datetime,
    *,
    tokens: dict[str, str],
    kinds: tuple[str, ...],
    max_txs: int,
) -> Listing:
    listing = Listing()
    for kind in kinds:
        provider, failed = "", None
        for address in addresses:
            params: dict[str, Any] = {
                "only_to": "true",
                "only_confirmed": "false",
                "limit": PAGE_SIZE,
                "min_timestamp": int(since.timestamp() * 1000),
                "max_timestamp": int(until.timestamp() * 1000),
            }
            for _page in range(MAX_PAGES):
                try:
                    page, provider = pool.ask("list_page", address, kind, params)
                except ProviderLimitation as exc:
                    failed = f"no configured TRON provider can list addresses; add a trongrid: provider ({exc})"
                    break
                except ChainError as exc:
                    failed = f"providers failed listing {address} ({exc.user_message})"
                    break
                for item in page["data"]:
                    found = _trc20(item, address, tokens) if kind == "trc20" else _trx(item, address)
                    if found is not None:
                        listing.add(found)
                fingerprint = (page.get("meta") or {}).get("fingerprint")
                if not fingerprint:
                    break
                if len(listing.txs) >= max_txs:
                    listing.truncated = True
                    break
                params = {**params, "fingerprint": fingerprint}
            else:
                listing.truncated = True
            if failed:
                break
        if failed:
            listing.missing(kind, failed)
        else:
            listing.covered(kind, provider)
    return listing


def _when(item: dict[str, Any]) -> datetime | None:
    stamp = item.get("block_timestamp")
    return datetime.fromtimestamp(int(stamp) / 1000, tz=UTC) if stamp else None


def _trc20(item: dict[str, Any], address: str, tokens: dict[str, str]) -> AddressTx | None:
    try:
        if normalize_address(str(item["to"])) != address or item.get("type", "Transfer") != "Transfer":
            return None
        contract = normalize_address(str((item.get("token_info") or {})["address"]))
        amount = int(item["value"])
        tx_hash = str(item["transaction_id"]).lower()
    except (KeyError, TypeError, ValueError, ChainError):
        return None
    symbol = tokens.get(contract, f"trc20:{contract}")
    return AddressTx(Chain.TRON, tx_hash, address, None, _when(item), [Payment(symbol, amount, "trc20")], {"trc20"})


def _trx(item: dict[str, Any], address: str) -> AddressTx | None:
    try:
        contract = item["raw_data"]["contract"][0]
        if contract["type"] != "TransferContract":
            return None
        value = contract["parameter"]["value"]
        if normalize_address(str(value["to_address"])) != address:
            return None
        amount = int(value["amount"])
        tx_hash = str(item["txID"]).lower()
    except (KeyError, TypeError, ValueError, IndexError, ChainError):
        return None
    height = item.get("blockNumber")
    found = AddressTx(
        Chain.TRON,
        tx_hash,
        address,
        int(height) if height else None,
        _when(item),
        [Payment("TRX", amount, "trx")],
        {"trx"},
    )
    results = [r.get("contractRet") for r in item.get("ret") or [] if isinstance(r, dict)]
    if height and results == ["SUCCESS"]:
        # A TRX transfer in a block that succeeded: its block and amount are all its verdict needs
        # (its fee and bandwidth come with a lookup); solidification is counted by the search.
        try:
            signer = normalize_address(str(value["owner_address"]))
        except (KeyError, ChainError):
            return found
        transfer = Transfer("TRX", (signer,), address, amount, 0, TransferKind.NATIVE)
        found.tx = ChainTx(Chain.TRON, tx_hash, TxStatus.CONFIRMED, [], block_height=int(height),
                           timestamp=_when(item), transfers=[transfer], signer=signer)  # fmt: skip
        found.partial = True
    return found
