"""What a helpdesk says about its own rate limit, honoured as it comes.

Our client-side `RateLimiter` keeps each helpdesk under the plan's limit we were configured for; the
helpdesk's own headers say where the account really stands (other integrations and agents' apps
spend the same budget, and Freshdesk counts its webhooks against it too):

- a 429 pauses every call of this client for the `Retry-After` it names;
- `X-Rate-Limit-Remaining: 0` (Zendesk), `ratelimit-remaining: 0` or `X-RateLimit-Remaining: 0`
  (Freshdesk) pauses until `ratelimit-reset` / `X-RateLimit-Reset` says the window starts again, or
  for one whole window (a minute, every plan's unit) when the helpdesk does not say;
- an advertised limit (`X-Rate-Limit`, `X-RateLimit-Total`) below our configured rate is logged once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from chains.http import retry_after

log = logging.getLogger(__name__)

REMAINING = ("X-Rate-Limit-Remaining", "ratelimit-remaining", "X-RateLimit-Remaining")
RESET = ("ratelimit-reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset")
LIMIT = ("X-Rate-Limit", "ratelimit-limit", "X-RateLimit-Total", "X-RateLimit-Limit")
WINDOW_SECONDS = 60.0  # every plan limit we know of is per minute
DEFAULT_429_PAUSE = 10.0  # a 429 without Retry-After


def _number(headers: Mapping[str, str], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(str(value).split(",")[0].strip())
        except ValueError:
            continue
    return None


class Throttle:
    """A pause shared by every thread of one helpdesk client, set from the helpdesk's answers."""

    def __init__(self, name: str, per_minute: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.per_minute = per_minute
        self.clock = clock
        self.paused_until = 0.0
        self.warned_limit = False
        self.lock = threading.Lock()

    def wait(self) -> float:
        """Seconds until the helpdesk accepts calls again (0 when it does now)."""
        return max(0.0, self.paused_until - self.clock())

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.paused_until = max(self.paused_until, self.clock() + seconds)

    def observe(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Reads one answer's headers; returns the Retry-After of a 429 (None otherwise)."""
        advertised = _number(headers, LIMIT)
        if advertised is not None and advertised < self.per_minute and not self.warned_limit:
            self.warned_limit = True
            log.warning(
                "%s: the account allows %d requests a minute, our rate limit is set to %.0f; lower %s_RATE_LIMIT",
                self.name,
                advertised,
                self.per_minute,
                self.name.upper(),
            )
        if status == 429:
            wait = retry_after(headers.get("Retry-After"))
            wait = DEFAULT_429_PAUSE if wait is None else wait
            self.pause(wait)
            return wait
        remaining = _number(headers, REMAINING)
        if remaining is not None and remaining <= 0:
            reset = _number(headers, RESET)
            if reset is not None and reset > 1_000_000_000:  # an epoch time, not seconds
                reset = max(0.0, reset - time.time())
            self.pause(WINDOW_SECONDS if reset is None else min(reset, WINDOW_SECONDS))
        return None
