"""Request rate limits per key (client IP, status token), in process memory, bounded in size."""

from __future__ import annotations

import threading
from collections import OrderedDict

from chains.resilience import RateLimiter


class KeyedRateLimit:
    def __init__(self, per_minute: float, *, burst: float | None = None, max_keys: int = 50_000) -> None:
        self.rate = per_minute / 60
        self.burst = burst if burst is not None else max(1.0, per_minute / 4)
        self.max_keys = max_keys
        self.limiters: OrderedDict[str, RateLimiter] = OrderedDict()
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        with self.lock:
            limiter = self.limiters.get(key)
            if limiter is None:
                limiter = self.limiters[key] = RateLimiter(self.rate, burst=self.burst)
                if len(self.limiters) > self.max_keys:
                    self.limiters.popitem(last=False)
            else:
                self.limiters.move_to_end(key)
        return limiter.try_acquire()
