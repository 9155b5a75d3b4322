"""Everything that paid a set of Bitcoin addresses in a time window, through the provider pool.

Esplora lists an address's mempool txs and then its confirmed ones, newest first, in pages;
paging stops at the first page that reaches below the window. The addresses are listed side by
side (each address's pages in turn), so three addresses cost one round trip, not three. Bitcoin
Core cannot list (no address index): the pool asks the next provider, and with none left the
answer says so.
"""

from __future__ import annotations

from datetime import datetime

from chains.base import ChainError, ProviderLimitation
from chains.history import AddressTx, Listing, side_by_side
from chains.providers import ProviderPool

MAX_PAGES = 40  # per address: a listing stops (truncated) rather than running on


def list_btc(
    pool: ProviderPool, addresses: list[str], since: datetime, until: datetime, *, max_txs: int = 500
) -> Listing:
    listing = Listing()
    answers = side_by_side([lambda a=a: _list_address(pool, a, since, until, max_txs) for a in addresses])
    provider, failed = "", None
    for found, truncated, answered_by, why in answers:  # in the addresses' order, whoever answered first
        for tx in found:
            listing.add(tx)
        listing.truncated = listing.truncated or truncated
        provider = answered_by or provider
        failed = failed or why
    if len(listing.txs) > max_txs:
        listing.txs, listing.truncated = listing.txs[:max_txs], True
    if failed:
        listing.missing("output", failed)
    else:
        listing.covered("output", provider)
    return listing


def _list_address(
    pool: ProviderPool, address: str, since: datetime, until: datetime, max_txs: int
) -> tuple[list[AddressTx], bool, str, str | None]:
    """(txs in the window, truncated, provider, why it failed) for one address, page after page."""
    found: list[AddressTx] = []
    cursor: str | None = None
    provider = ""
    for _page in range(MAX_PAGES):
        try:
            page, provider = pool.ask("address_txs", address, cursor)
        except ProviderLimitation as exc:
            return found, False, provider, f"no configured provider can list Bitcoin addresses ({exc})"
        except ChainError as exc:
            return found, False, provider, f"providers failed listing {address} ({exc.user_message})"
        older = False
        for tx in page.txs:
            if tx.timestamp is not None and tx.timestamp > until:
                continue
            if tx.timestamp is not None and tx.timestamp < since:
                older = True
                continue
            found.append(tx)
        if older or page.cursor is None:
            return found, False, provider, None
        if len(found) >= max_txs:
            return found, True, provider, None
        cursor = page.cursor
    return found, True, provider, None
