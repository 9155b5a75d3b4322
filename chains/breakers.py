"""Circuit breakers per provider: skip a provider after `threshold` failures in a row for
`cooldown` seconds, then let one trial call through (half-open): success closes, failure re-opens.

`LocalBreaker` keeps the state in process memory; `RedisBreaker` keeps it in Redis, so a
provider that fails for one process is skipped by all, and only one process runs the trial.

Why not `pybreaker` (whose Redis storage we looked at first): its `call()` holds the breaker's
lock for the whole guarded call, so hedged calls to one provider would queue behind a hanging
one; its half-open state lets every caller through, in every process, instead of one trial; its
Redis storage updates the counter and the state in separate commands; and an outcome can only
be recorded through `call()`, while the pool must charge a call after the fact (one abandoned
by a lookup that later overruns its deadline). Here each transition is one Lua script.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from chains.resilience import Shared

Clock = Callable[[], float]


class Breaker(Protocol):
    def allow(self) -> bool: ...

    def succeeded(self) -> None: ...

    def failed(self) -> None: ...

    def release(self) -> None:
        """A call let through that neither succeeded nor failed (e.g. never sent): free the trial."""
        ...

    @property
    def is_open(self) -> bool: ...


class LocalBreaker:
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

    def release(self) -> None:
        with self.lock:
            self.trial_running = False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


CircuitBreaker = LocalBreaker

# KEYS: state hash, trial key. ARGV: cooldown ms. 1: call allowed (closed, or the one trial).
_ALLOW = """
local opened_until = tonumber(redis.call('HGET', KEYS[1], 'opened_until') or '0')
if opened_until == 0 then return 1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < opened_until then return 0 end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
"""
# KEYS: state hash, trial key. ARGV: threshold, cooldown ms. Returns 1 if the breaker is now open.
_FAILED = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local opened_until = tonumber(redis.call('HGET', KEYS[1], 'opened_until') or '0')
redis.call('DEL', KEYS[2])
local cooldown = tonumber(ARGV[2])
if failures >= tonumber(ARGV[1]) or opened_until > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[1], 'opened_until', now + cooldown)
end
redis.call('PEXPIRE', KEYS[1], cooldown * 10)
return (failures >= tonumber(ARGV[1]) or opened_until > 0) and 1 or 0
"""


class RedisBreaker:
    """The breaker's state in Redis, shared by every process; a local one stands in if Redis fails."""

    def __init__(self, shared: Shared, name: str, *, threshold: int = 3, cooldown: float = 30.0) -> None:
        self.shared = shared
        self.redis = shared.redis
        self.state_key = shared.key("breaker", name)
        self.trial_key = shared.key("breaker", name, "trial")
        self.threshold = threshold
        self.cooldown_ms = max(1, round(cooldown * 1000))
        self.allow_script = self.redis.register_script(_ALLOW)
        self.failed_script = self.redis.register_script(_FAILED)
        self.fallback = LocalBreaker(threshold=threshold, cooldown=cooldown)

    def allow(self) -> bool:
        keys = [self.state_key, self.trial_key]
        return self.shared.call(
            lambda: bool(self.allow_script(keys=keys, args=[self.cooldown_ms])), self.fallback.allow, self.state_key
        )

    def succeeded(self) -> None:
        self.shared.call(lambda: self.redis.delete(self.state_key, self.trial_key), self.fallback.succeeded, "breaker")

    def failed(self) -> None:
        keys, args = [self.state_key, self.trial_key], [self.threshold, self.cooldown_ms]
        self.shared.call(lambda: self.failed_script(keys=keys, args=args), self.fallback.failed, self.state_key)

    def release(self) -> None:
        self.shared.call(lambda: self.redis.delete(self.trial_key), self.fallback.release, self.state_key)

    @property
    def is_open(self) -> bool:
        opened = self.shared.call(
            lambda: int(self.redis.hget(self.state_key, "opened_until") or 0) > 0, lambda: None, ""
        )
        return self.fallback.is_open if opened is None else bool(opened)


def make_breaker(name: str, threshold: int, cooldown: float, shared: Shared | None) -> Breaker:
    if shared is None:
        return LocalBreaker(threshold=threshold, cooldown=cooldown)
    return RedisBreaker(shared, name, threshold=threshold, cooldown=cooldown)
