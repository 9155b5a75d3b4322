"""Per-provider protections: a token-bucket rate limit and a circuit breaker.

Both are thread-safe (lookups run in the API's worker threads) and take a clock, so tests can
drive time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]


class RateLimiter:
    """At most `rate` requests per second on average, bursts up to `burst`; rate 0 means no limit."""

    def __init__(self, rate: float, *, burst: float | None = None, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.updated = clock()
        self.lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token; returns how long to wait before using it (0 when one was available)."""
        if self.rate <= 0:
            return 0.0
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def try_acquire(self) -> bool:
        """Take a token if one is there now; never waits (for refusing requests with a 429)."""
        if self.rate <= 0:
            return True
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class CircuitBreaker:
    """Opens after `threshold` consecutive failures and stays open for `cooldown` seconds; then one
    trial call is let through (half-open): success closes it, failure opens it again."""

    def __init__(self, *, threshold: int = 3, cooldown: float = 30.0, clock: Clock = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial_running = False
        self.lock = threading.Lock()

    def allow(self) -> bool:
        with self.lock:
            if self.opened_at is None:
                return True
            if self.clock() - self.opened_at < self.cooldown or self.trial_running:
                return False
            self.trial_running = True
            return True

    def succeeded(self) -> None:
        with self.lock:
            self.failures = 0
            self.opened_at = None
            self.trial_running = False

    def failed(self) -> None:
        with self.lock:
            self.failures += 1
            self.trial_running = False
            if self.failures >= self.threshold or self.opened_at is not None:
                self.opened_at = self.clock()

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None
