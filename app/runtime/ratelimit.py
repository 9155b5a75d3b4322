"""Request limits per key (client IP, status token) for the status link and sign-in.

A moving window from the `limits` library: never more than the limit in any one minute. With
`REDIS_URL` every API process counts in the same Redis window; without it each process counts
on its own (so N processes allow N times the limit). If Redis fails, the process falls back to
its own count rather than refusing everyone or letting everyone through.
"""

from __future__ import annotations

import logging

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


class KeyedRateLimit:
    def __init__(self, per_minute: float, *, name: str, redis_url: str = "", prefix: str = "depositdesk") -> None:
        self.item = RateLimitItemPerMinute(max(1, round(per_minute)))
        self.name = name
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared = (
            MovingWindowRateLimiter(RedisStorage(redis_url, key_prefix=f"{prefix}:limits", wrap_exceptions=True))
            if redis_url
            else None
        )

    def allow(self, key: str) -> bool:
        """Count one request for `key`; False when it is over the limit."""
        if self.shared is not None:
            try:
                return self.shared.hit(self.item, self.name, key)
            except StorageError as exc:
                log.warning("rate limit %s: Redis unavailable (%s), counting in this process", self.name, exc)
        return self.local.hit(self.item, self.name, key)
