"""Everything that paid a set of Bitcoin addresses in a time window, through the provider pool.

Esplora lists an address's mempool txs and then its confirmed ones, newest first, in pages;
paging stops at the first page that reaches below the window. Bitcoin Core cannot list (no
address index): the pool asks the next provider, and with none left the answer says so.
"""

from __future__ import annotations

from datetime import datetime

from chains.base import ChainError, ProviderLimitation
from chains.history import Listing
from chains.providers import ProviderPool

MAX_PAGES = 40  # per address: a listing stops (truncated) rather than running on


def list_btc(
    pool: ProviderPool, addresses: list[str], since: datetime, until: datetime, *, max_txs: int = 500
) -> Listing:
    listing = Listing()
    provider, failed = "", None
    for address in addresses:
        cursor: str | None = None
        for _page in range(MAX_PAGES):
            try:
                page, provider = pool.ask("address_txs", address, cursor)
            except ProviderLimitation as exc:
                failed = f"no configured provider can list Bitcoin addresses ({exc})"
                break
            except ChainError as exc:
                failed = f"providers failed listing {address} ({exc.user_message})"
                break
            older = False
            for tx in page.txs:
                if tx.timestamp is not None and tx.timestamp > until:
                    continue
                if tx.timestamp is not None and tx.timestamp < since:
                    older = True
                    continue
                listing.add(tx)
            if older or page.cursor is None:
                break
            if len(listing.txs) >= max_txs:
                listing.truncated = True
                break
            cursor = page.cursor
        else:
            listing.truncated = True
        if failed:
            break
    if failed:
        listing.missing("output", failed)
    else:
        listing.covered("output", provider)
    return listing
