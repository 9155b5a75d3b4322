"""A chain's tip height, shared by every provider of a pool, so a lookup of a known tx costs one
request instead of two (the tx, and the tip its confirmations are counted from).

The tip is asked of a provider at most once every `max_age` seconds (one request at a time:
lookups that find it stale together wait for the same answer), and offered by whatever learns it
on the way (the deposit auditor's follower). A tx in a block above the tip we know means a block
arrived since: the tip is asked again, so confirmations are never counted from an older tip than
the tx's own block. Within `max_age` a confirmation may be counted one block late, never early.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

Clock = Callable[[], float]


class Tips:
    def __init__(self, max_age: float = 5.0, *, clock: Clock = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self.height: int | None = None
        self.learned_at = -math.inf
        self.lock = threading.Lock()
        self.asking: Future[int] | None = None  # the tip request in flight, shared by every caller

    def fresh(self, at_least: int = 0) -> int | None:
        """The tip we know, if learned within `max_age` and not below `at_least`; else None."""
        with self.lock:
            if self.height is None or self.clock() - self.learned_at > self.max_age or self.height < at_least:
                return None
            return self.height

    def offer(self, height: int) -> None:
        """A tip learned elsewhere (a provider's answer, the auditor's follower): kept if not older."""
        with self.lock:
            if self.height is None or height >= self.height or self.clock() - self.learned_at > self.max_age:
                self.height, self.learned_at = height, self.clock()

    def ask(self, fetch: Callable[[], int], start: Callable[[Callable[[], int]], Future[int]]) -> Future[int]:
        """The tip request in flight, or a new one (`start` runs `fetch` beside the caller)."""
        with self.lock:
            if self.asking is not None and not self.asking.done():
                return self.asking
            self.asking = future = start(lambda: self._learn(fetch))
            return future

    def _learn(self, fetch: Callable[[], int]) -> int:
        height = fetch()
        with self.lock:  # a provider's own answer replaces a stale or older one
            if self.height is None or height >= self.height or self.clock() - self.learned_at > self.max_age:
                self.height, self.learned_at = height, self.clock()
        return height
