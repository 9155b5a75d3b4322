"""Everything that paid a set of Ethereum addresses in a time window, through the provider pool.

The window becomes block heights by a search on block timestamps (cached per pool). ERC-20
payments come from ``eth_getLogs`` in block ranges starting at `log_span` blocks, newest first,
each next range twice as long until a provider first refuses one, a refused range asked again in
halves, several ranges side by side; ETH value from the first provider that can list it
(Otterscan on the node, else an account API), for direct and contract-forwarded payments apart,
the addresses side by side.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from chains.base import ChainError, ProviderLimitation
from chains.history import MAX_SIDE_BY_SIDE, AddressTx, Listing, RangeTooLarge, side_by_side
from chains.providers import ProviderPool

DEFAULT_LOG_SPAN = 2_000
MAX_LOG_SPAN = 100_000  # the range doubles from the configured span until a provider first refuses
NO_ETH_INDEX = (
    "no configured provider can list it: plain JSON-RPC has no index of ETH value; it needs a node with "
    "the Otterscan API (Erigon, Reth) or an Etherscan-compatible account API"
)
MAX_PAGES = 40  # per address and kind: a listing stops (truncated) rather than running on
# The log span a pool's providers accepted last, and whether one refused: the next search starts there.
_SPANS: WeakKeyDictionary[ProviderPool, int] = WeakKeyDictionary()
_REFUSED: WeakKeyDictionary[ProviderPool, bool] = WeakKeyDictionary()


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
    """What paid `addresses` in the window; only `kinds` are searched (an ETH-only search skips logs).
    Token logs and each address's ETH listing run side by side; the head and the finalized block
    come in one request and stay on the listing (the candidates' confirmations count from them)."""
    listing = Listing()
    try:
        head, listing.finalized = _head(pool)
        from_block = clock.first_at_or_after(since, head)
        to_block = min(head, clock.first_at_or_after(until + timedelta(seconds=1), head) - 1)
    except ChainError as exc:
        for kind in kinds:
            listing.missing(kind, f"the window could not be mapped to blocks ({exc.user_message})")
        return listing
    listing.head = head
    parts: list[Listing] = []
    calls = []
    if "token" in kinds and token_contracts:
        calls.append(lambda: _tokens(pool, addresses, token_contracts, from_block, to_block, log_span, max_txs))
    elif "token" in kinds:
        listing.missing("token", "no token contracts are configured")
    if "native" in kinds:
        calls.append(lambda: _native(pool, addresses, from_block, to_block, max_txs))
    parts = side_by_side(calls)
    for part in parts:  # tokens first, then ETH value: the same order whoever answered first
        for tx in part.txs:
            listing.add(tx)
        listing.truncated = listing.truncated or part.truncated
        for kind in part.searched:
            listing.covered(kind, part.providers[0] if part.providers else "none needed")
        for kind, why in part.not_searched.items():
            listing.missing(kind, why)
    return listing


def _head(pool: ProviderPool) -> tuple[int, int | None]:
    """The head and the finalized block's height (None when unknown), one request where the node can."""
    try:
        (head, finalized), _provider = pool.ask("head_and_finality")
        return int(head), finalized
    except ProviderLimitation:
        height, _provider = pool.ask("tip_height")
        return int(height), None


def _tokens(
    pool: ProviderPool, addresses: list[str], contracts: list[str], from_block: int, to_block: int, span: int,
    max_txs: int,
) -> Listing:  # fmt: skip
    """Log ranges newest first, several side by side: the first `span` blocks long, each next one
    twice as long until a provider first refuses one (up to MAX_LOG_SPAN); a refused range is asked
    again in halves. The span reached is remembered per pool for the next search."""
    listing = Listing()
    span = max(span, _SPANS.get(pool, 0))
    high, provider, refused = to_block, "", _REFUSED.get(pool, False)
    todo: list[tuple[int, int]] = []
    while high >= from_block or todo:
        while high >= from_block and len(todo) < MAX_SIDE_BY_SIDE:
            low = max(from_block, high - span + 1)
            todo.append((low, high))
            high = low - 1
            if not refused:  # each older range of a round twice as long: a week in one round trip
                span = min(span * 2, MAX_LOG_SPAN)
        answers = side_by_side([lambda r=r: _logs(pool, addresses, contracts, *r) for r in todo])
        retry: list[tuple[int, int]] = []
        for (low, high_of_range), (found, answered_by, error) in zip(todo, answers, strict=True):
            if isinstance(error, RangeTooLarge):
                if low == high_of_range:
                    listing.missing("token", "every provider refused even a single block of logs")
                    return listing
                middle = (low + high_of_range) // 2
                retry += [(middle + 1, high_of_range), (low, middle)]
                span, refused = max(1, min(span, (high_of_range - low + 1) // 2)), True
                continue
            if error is not None:
                listing.missing("token", f"providers failed listing token logs ({error.user_message})")
                return listing
            provider = answered_by or provider
            for tx in found:
                listing.add(tx)
        todo = retry
        if len(listing.txs) >= max_txs and (high >= from_block or todo):
            listing.truncated = True
            break
    _SPANS[pool], _REFUSED[pool] = span, refused
    listing.covered("token", provider or "none needed")
    return listing


def _logs(
    pool: ProviderPool, addresses: list[str], contracts: list[str], low: int, high: int
) -> tuple[list[AddressTx], str, ChainError | None]:
    try:
        found, provider = pool.ask("transfer_logs", addresses, contracts, low, high)
    except ChainError as exc:
        return [], "", exc
    return found, provider, None


def _native(pool: ProviderPool, addresses: list[str], from_block: int, to_block: int, max_txs: int) -> Listing:
    """ETH sent directly and ETH forwarded by contracts, each from the first provider that lists it;
    the addresses side by side, each address's pages in turn."""
    listing = Listing()
    for kind, method in (("native", "native_txs"), ("internal", "internal_txs")):
        if kind in listing.searched:
            continue  # already covered by a provider that lists both (Otterscan)
        answers = side_by_side(
            [lambda a=a, m=method: _native_pages(pool, m, a, from_block, to_block, max_txs) for a in addresses]
        )
        provider, covers, failed = "", (kind,), None
        for found, truncated, answered_by, page_covers, why in answers:
            for tx in found:
                listing.add(tx)
            listing.truncated = listing.truncated or truncated
            provider, covers = answered_by or provider, page_covers or covers
            failed = failed or why
        for covered in covers:
            if failed:
                listing.missing(covered, failed)
            else:
                listing.covered(covered, provider)
    return listing


def _native_pages(
    pool: ProviderPool, method: str, address: str, from_block: int, to_block: int, max_txs: int
) -> tuple[list[AddressTx], bool, str, tuple[str, ...], str | None]:
    found: list[AddressTx] = []
    provider, covers = "", ()
    cursor: int | None = to_block
    for _page in range(MAX_PAGES):
        if cursor is None or cursor < from_block:
            return found, False, provider, covers, None
        try:
            page, provider = pool.ask(method, address, from_block, cursor)
        except ProviderLimitation:
            return found, False, provider, covers, NO_ETH_INDEX
        except ChainError as exc:
            return found, False, provider, covers, f"providers failed listing it ({exc.user_message})"
        covers = page.covers or covers
        found += page.txs
        cursor = int(page.cursor) if page.cursor is not None else None
        if len(found) >= max_txs and cursor is not None:
            return found, True, provider, covers, None
    return found, cursor is not None and cursor >= from_block, provider, covers, None
