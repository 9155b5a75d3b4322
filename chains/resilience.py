"""Per-provider rate limits: one token per HTTP request, a small burst, shared across processes.

A bucket is a GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp):
each request reserves the next free slot, slots are 1/rate apart, and up to `burst` slots may
be taken at once. So in any one-second window a provider sees at most rate + burst requests,
and a reservation is only taken when it fits the caller's deadline.

`LocalBucket` holds the timestamp in process memory (one process: SQLite, the embedded default).
`RedisBucket` holds it in Redis and reserves with one Lua script, on Redis's own clock, so every
process of a deployment draws from the same bucket. Why not the `limits` library here: its
windows are whole seconds or more and it only answers "allowed now?"; a provider limit needs
sub-second slots, reservations a caller may wait for, and a burst smaller than the rate
(`limits` does serve the per-minute status-link and sign-in limits in app/runtime/ratelimit.py).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from redis import Redis, RedisError

Clock = Callable[[], float]
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(eq=False)
class Shared:
    """Where state shared by every process lives: a Redis client and this deployment's key prefix."""

    redis: Redis
    prefix: str = "depositdesk"
    pause_after_failure: float = 5.0  # seconds of local limits before Redis is tried again
    down_until: float = 0.0

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def call(self, action: Callable[[], T], fallback: Callable[[], T], what: str) -> T:
        """Run a Redis action; while Redis fails (and a few seconds after), the process-local fallback,
        so a Redis outage costs each request one failed attempt at most every few seconds."""
        if time.monotonic() < self.down_until:
            return fallback()
        try:
            return action()
        except RedisError as exc:
            self.down_until = time.monotonic() + self.pause_after_failure
            log.warning("%s: Redis unavailable (%s); limits are per process for a while", what, exc)
            return fallback()


UNLIMITED = 1_000_000  # the room of a bucket without a limit


class Bucket(Protocol):
    def reserve(self, max_wait: float) -> float | None:
        """Reserve a slot: seconds to wait before sending, or None (nothing taken) if over max_wait."""
        ...

    def room(self) -> int:
        """How many requests could be sent now without waiting (at most the burst); takes nothing."""
        ...


class LocalBucket:
    """A GCRA bucket in process memory; rate 0 means no limit."""

    def __init__(self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.tolerance = max(0, burst - 1) * self.interval
        self.clock = clock
        self.next_free = 0.0  # the theoretical arrival time of the next request
        self.lock = threading.Lock()

    def reserve(self, max_wait: float) -> float | None:
        if not self.interval:
            return 0.0
        with self.lock:
            now = self.clock()
            tat = max(self.next_free, now)
            wait = max(0.0, tat - self.tolerance - now)
            if wait > max_wait:
                return None
            self.next_free = tat + self.interval
            return wait

    def room(self) -> int:
        if not self.interval:
            return UNLIMITED
        with self.lock:
            now = self.clock()
            tat = max(self.next_free, now)
            return max(0, math.floor((now + self.tolerance - tat) / self.interval + 1e-9) + 1)


# KEYS[1] bucket; ARGV: interval µs, tolerance µs, max wait µs. Returns the wait in µs, or -1.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval, tolerance, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > max_wait then return -1 end
local next_free = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_free), 'PX', math.ceil((next_free - now) / 1000) + 1000)
return wait
"""


# KEYS[1] bucket; ARGV: interval µs, tolerance µs. Returns the requests that could go now.
_ROOM = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local room = math.floor((now + tolerance - tat) / interval) + 1
if room < 0 then room = 0 end
return room
"""


class RedisBucket:
    """The same GCRA bucket held in Redis for every process; falls back to a local one if Redis fails."""

    def __init__(self, shared: Shared, name: str, rate: float, burst: int = 1) -> None:
        self.shared = shared
        self.key = shared.key("bucket", name)
        self.interval_us = round(1_000_000 / rate) if rate > 0 else 0
        self.tolerance_us = max(0, burst - 1) * self.interval_us
        self.script = shared.redis.register_script(_RESERVE)
        self.room_script = shared.redis.register_script(_ROOM)
        self.fallback = LocalBucket(rate, burst)

    def reserve(self, max_wait: float) -> float | None:
        if not self.interval_us:
            return 0.0
        return self.shared.call(lambda: self._reserve(max_wait), lambda: self.fallback.reserve(max_wait), self.key)

    def room(self) -> int:
        if not self.interval_us:
            return UNLIMITED
        return self.shared.call(lambda: int(self.script_room()), self.fallback.room, self.key)

    def script_room(self) -> Any:
        return self.room_script(keys=[self.key], args=[self.interval_us, self.tolerance_us])

    def _reserve(self, max_wait: float) -> float | None:
        wait_us = int(self.script(keys=[self.key], args=[self.interval_us, self.tolerance_us, int(max_wait * 1e6)]))
        return None if wait_us < 0 else wait_us / 1_000_000


def make_bucket(name: str, rate: float, burst: int, shared: Shared | None) -> Bucket:
    return RedisBucket(shared, name, rate, burst) if shared is not None else LocalBucket(rate, burst)


class RateLimiter:
    """At most `rate` requests per second on average, bursts up to `burst`; rate 0 means no limit.
    (In-process; the helpdesk clients use it for their plan limits.)"""

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


def redis_client(url: str) -> Any:
    """A Redis client with short timeouts: a slow Redis must not stall a lookup for long."""
    return Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
