"""Everything that paid a set of Ethereum addresses in a time window, through the provider pool.

The window becomes block heights by a search on block timestamps (cached per pool). ERC-20
payments come from ``eth_getLogs`` in block ranges starting at `log_span` blocks, newest first,
doubled after each answer until a provider first refuses one, halved on every refusal; ETH value from the first provider that can list it
(Otterscan on the node, else an account API), for direct and contract-forwarded payments apart.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from chains.base import ChainError, ProviderLimitation
from chains.history import Listing, RangeTooLarge
from chains.providers import ProviderPool

DEFAULT_LOG_SPAN = 2_000
MAX_LOG_SPAN = 100_000  # the range doubles from the configured span until a provider first refuses
NO_ETH_INDEX = (
    "no configured provider can list it: plain JSON-RPC has no index of ETH value; it needs a node with "
    "the Otterscan API (Erigon, Reth) or an Etherscan-compatible account API"
)
MAX_PAGES = 40  # per address and kind: a listing stops (truncated) rather than running on


class BlockClock:
    """Block heights for times: first block at or after a time, by a search on block timestamps.
    Timestamps never change below the head (short of a reorg of seconds), so they are cached."""

    def __init__(self, pool: ProviderPool, *, block_seconds: int = 12, size: int = 4096) -> None:
        self.pool = pool
        self.block_seconds = block_seconds
        self.size = size
        self.cache: OrderedDict[int, int] = OrderedDict()
        self.lock = threading.Lock()

    def timestamp(self, height: int) -> int:
        with self.lock:
            if height in self.cache:
                self.cache.move_to_end(height)
                return self.cache[height]
        stamp, _provider = self.pool.ask("block_timestamp", height)
        with self.lock:
            self.cache[height] = int(stamp)
            while len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return int(stamp)

    def first_at_or_after(self, when: datetime, head: int) -> int:
        """The lowest height whose timestamp is >= `when` (head + 1 when none is yet)."""
        target = int(when.timestamp())
        if self.timestamp(head) < target:
            return head + 1
        if self.timestamp(0) >= target:
            return 0
        # Invariant: timestamp(low) < target <= timestamp(high). Start near the estimate, widen, halve.
        guess = max(0, min(head, head - (self.timestamp(head) - target) // self.block_seconds))
        step, low, high = 64, 0, head
        if self.timestamp(guess) >= target:
            high = guess
            while high - step > 0 and self.timestamp(high - step) >= target:
                high, step = high - step, step * 2
            low = max(0, high - step) if high - step > 0 else 0
        else:
            low = guess
            while low + step < head and self.timestamp(low + step) < target:
                low, step = low + step, step * 2
            high = min(head, low + step)
        while high - low > 1:
            middle = (low + high) // 2
            if self.timestamp(middle) >= target:
                high = middle
            else:
                low = middle
        return high


def list_eth(
    pool: ProviderPool,
    clock: BlockClock,
    addresses: list[str],
    token_contracts: list[str],
    since: datetime,
    until: datetime,
    *,
    log_span: int = DEFAULT_LOG_SPAN,
    max_txs: int = 500,
    kinds: tuple[str, ...] = ("token", "native", "internal"),
) -> Listing:
    """What paid `addresses` in the window; only `kinds` are searched (an ETH-only search skips logs)."""
    listing = Listing()
    try:
        head, _provider = pool.ask("tip_height")
        from_block = clock.first_at_or_after(since, head)
        to_block = min(head, clock.first_at_or_after(until + timedelta(seconds=1), head) - 1)
    except ChainError as exc:
        for kind in kinds:
            listing.missing(kind, f"the window could not be mapped to blocks ({exc.user_message})")
        return listing
    if "token" in kinds and token_contracts:
        _tokens(pool, listing, addresses, token_contracts, from_block, to_block, log_span, max_txs)
    elif "token" in kinds:
        listing.missing("token", "no token contracts are configured")
    if "native" in kinds:
        _native(pool, listing, addresses, from_block, to_block, max_txs)
    return listing


def _tokens(
    pool: ProviderPool,
    listing: Listing,
    addresses: list[str],
    contracts: list[str],
    from_block: int,
    to_block: int,
    span: int,
    max_txs: int,
) -> None:
    high, provider, refused = to_block, "", False
    while high >= from_block:
        low = max(from_block, high - span + 1)
        try:
            found, provider = pool.ask("transfer_logs", addresses, contracts, low, high)
        except RangeTooLarge:
            if span == 1:
                listing.missing("token", "every provider refused even a single block of logs")
                return
            span, refused = max(1, span // 2), True
            continue
        except ChainError as exc:
            listing.missing("token", f"providers failed listing token logs ({exc.user_message})")
            return
        for tx in found:
            listing.add(tx)
        high = low - 1
        if not refused:
            span = min(span * 2, MAX_LOG_SPAN)  # a provider that has not refused yet may allow more
        if len(listing.txs) >= max_txs and high >= from_block:
            listing.truncated = True
            break
    listing.covered("token", provider or "none needed")


def _native(pool: ProviderPool, listing: Listing, addresses: list[str], from_block: int, to_block: int,
            max_txs: int) -> None:  # fmt: skip
    """ETH sent directly and ETH forwarded by contracts, each from the first provider that lists it."""
    for kind, method in (("native", "native_txs"), ("internal", "internal_txs")):
        if kind in listing.searched:
            continue  # already covered by a provider that lists both (Otterscan)
        provider, covers, failed = "", (kind,), None
        for address in addresses:
            cursor: int | None = to_block
            for _page in range(MAX_PAGES):
                if cursor is None or cursor < from_block:
                    break
                try:
                    page, provider = pool.ask(method, address, from_block, cursor)
                except ProviderLimitation:
                    failed = NO_ETH_INDEX
                    break
                except ChainError as exc:
                    failed = f"providers failed listing it ({exc.user_message})"
                    break
                covers = page.covers or covers
                for tx in page.txs:
                    listing.add(tx)
                cursor = int(page.cursor) if page.cursor is not None else None
                if len(listing.txs) >= max_txs and cursor is not None:
                    listing.truncated, cursor = True, None
            else:
                listing.truncated = True
            if failed:
                break
        for covered in covers:
            if failed:
                listing.missing(covered, failed)
            else:
                listing.covered(covered, provider)
