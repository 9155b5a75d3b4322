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
from collections.abc import Callable
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
PROBES = 48  # block timestamps asked per round trip when mapping a time to a height
ESTIMATE_MARGIN = 20  # the listing starts 1/20 of the window below the estimated first block
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

    def learn(self, height: int, stamp: int | None) -> None:
        """A timestamp learned on the way (the head's, asked with it)."""
        if stamp is not None:
            with self.lock:
                self.cache[height] = int(stamp)

    def estimate(self, when: datetime, head: int) -> int:
        """Where the first block at or after `when` should be by the head's time and the average
        block time (no request when the head's timestamp is known)."""
        return max(0, min(head, head - (self.timestamp(head) - int(when.timestamp())) // self.block_seconds))

    def first_at_or_after(self, when: datetime, head: int) -> int:
        """The lowest height whose timestamp is >= `when` (head + 1 when none is yet): the estimate
        and heights ever farther from it asked in one batch, then PROBES heights evenly inside the
        bracket found, per round trip, until the bracket closes (cached heights count)."""
        target = int(when.timestamp())
        if self.timestamp(head) < target:
            return head + 1
        guess = self.estimate(when, head)
        spread = [0, *(4**k for k in range(12))]
        self._ask({0, head} | {min(head, max(0, guess + sign * o)) for o in spread for sign in (-1, 1)})
        while True:
            low, high = self._bracket(target, head)  # timestamp(low) < target <= timestamp(high)
            if high - low <= 1:
                return high
            width = high - low
            self._ask({low + width * i // (PROBES + 1) for i in range(1, PROBES + 1)} - {low, high})

    def _bracket(self, target: int, head: int) -> tuple[int, int]:
        with self.lock:
            below = [h for h, stamp in self.cache.items() if stamp < target and h <= head]
            above = [h for h, stamp in self.cache.items() if stamp >= target and h <= head]
        return (max(below) if below else -1), min(above)

    def _ask(self, heights: set[int]) -> None:
        """The timestamps of `heights` not cached yet: one request where the provider batches."""
        with self.lock:
            missing = sorted(h for h in heights if h not in self.cache)
        if len(missing) == 1:
            self.timestamp(missing[0])
        if len(missing) <= 1:
            return
        try:
            stamps, _provider = self.pool.ask("block_timestamps", missing)
        except ProviderLimitation:
            for height in missing:
                self.timestamp(height)
            return
        with self.lock:
            for height, stamp in stamps.items():
                self.cache[int(height)] = int(stamp)
            while len(self.cache) > self.size:
                self.cache.popitem(last=False)


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
        head, head_time, listing.finalized = _head(pool)
        clock.learn(head, head_time)
        to_block = min(head, clock.first_at_or_after(until + timedelta(seconds=1), head) - 1)
        # Listed from an estimate a little below the window's first block while that block is found:
        # what lies below it is dropped once it is known; what the estimate missed is listed after.
        estimate = clock.estimate(since, head)
        listed_from = max(0, estimate - (head - estimate) // ESTIMATE_MARGIN)
    except ChainError as exc:
        for kind in kinds:
            listing.missing(kind, f"the window could not be mapped to blocks ({exc.user_message})")
        return listing
    listing.head = head

    def first_block() -> int | ChainError:
        try:
            return clock.first_at_or_after(since, head)
        except ChainError as exc:
            return exc

    def parts(low: int, high: int) -> list[Listing]:
        calls: list[Callable[[], Listing]] = []
        if "token" in kinds and token_contracts:
            calls.append(lambda: _tokens(pool, addresses, token_contracts, low, high, log_span, max_txs))
        if "native" in kinds:
            calls.append(lambda: _native(pool, addresses, low, high, max_txs))
        return side_by_side(calls)

    found = side_by_side([first_block, lambda: parts(listed_from, to_block)])
    from_block, listed = found[0], found[1]
    if isinstance(from_block, ChainError):
        for kind in kinds:
            listing.missing(kind, f"the window could not be mapped to blocks ({from_block.user_message})")
        return listing
    if from_block < listed_from and from_block <= to_block:  # the estimate was above the window's start
        listed += parts(from_block, min(listed_from - 1, to_block))
    if "token" in kinds and not token_contracts:
        listing.missing("token", "no token contracts are configured")
    for part in listed:  # tokens first, then ETH value: the same order whoever answered first
        for tx in part.txs:
            if tx.block_height is None or from_block <= tx.block_height <= to_block:
                listing.add(tx)
        listing.truncated = listing.truncated or part.truncated
    failed = {kind: why for part in listed for kind, why in part.not_searched.items()}
    for part in listed:  # a kind is searched only if every range of it was
        for kind in part.searched:
            if kind not in failed:
                listing.covered(kind, part.providers[0] if part.providers else "none needed")
    for kind, why in failed.items():
        listing.missing(kind, why)
    return listing


def _head(pool: ProviderPool) -> tuple[int, int | None, int | None]:
    """The head, its timestamp and the finalized block's height (None when unknown), in one request
    where the node can."""
    try:
        (head, stamp, finalized), _provider = pool.ask("head_and_finality")
        return int(head), stamp, finalized
    except ProviderLimitation:
        height, _provider = pool.ask("tip_height")
        return int(height), None, None


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
