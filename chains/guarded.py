"""One provider behind its protections: a circuit breaker, a rate-limit bucket metering each HTTP
request, a deadline per call, a cap on calls in flight, and the latencies its hedge delay comes from.

A call runs in a thread of its own and settles the breaker exactly once: success when it answers
by its deadline; failure when it fails, answers late, or is still running when its deadline has
passed (charged by the lookup that ran out of budget, or by the next call that looks). Calls a
lookup abandoned because another provider answered first are judged the same way, later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from chains import http
from chains.base import ChainAdapter, ChainError, OwnRateLimit, ProviderBadResponse, ProviderLimitation
from chains.breakers import make_breaker
from chains.resilience import Shared, make_bucket

log = logging.getLogger(__name__)
MAX_IN_FLIGHT = 16  # calls to one provider at once per process; more are skipped, not queued


@dataclass(frozen=True)
class GuardSettings:
    rate_limit: float = 0.0  # HTTP requests per second per provider; 0: no limit
    rate_burst: int = 2  # requests that may go at once (Esplora sends a tx and the tip together)
    call_deadline: float = 10.0  # one call to one provider, its rate-limit wait included
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0
    hedge_min: float = 0.1  # the hedge delay is the provider's recent p95 latency, within these bounds
    hedge_max: float = 1.5


@dataclass(eq=False)
class Call:
    provider: Guarded
    started: float
    deadline: float
    future: Future[Any] = field(default_factory=Future)
    settled: bool = False
    hedged: bool = False  # already made the pool ask another provider
    sent: float | None = None  # when its first request left (after our own rate-limit wait), if it has

    def sends(self, at: float) -> None:
        if self.sent is None:
            self.sent = at

    def hedge_at(self, now: float) -> float:
        """When to ask another provider beside this one: its hedge delay after its first request was
        sent; not while it waits for our own rate-limit slot (another provider would only wait too)."""
        return (self.sent if self.sent is not None else now) + self.provider.hedge_delay()

    def blame(self, reason: str) -> None:
        """Charge the provider for a call that did not answer by its deadline (once)."""
        if self.provider.settle(self, ok=False):
            log.warning("provider %s: %s", self.provider.name, reason)


class Guarded:
    def __init__(self, adapter: ChainAdapter, settings: GuardSettings, shared: Shared | None = None) -> None:
        self.adapter = adapter
        self.name = adapter.name
        self.settings = settings
        key = f"{adapter.chain}:{adapter.name}"
        self.breaker = make_breaker(key, settings.breaker_threshold, settings.breaker_cooldown, shared)
        self.bucket = make_bucket(key, settings.rate_limit, settings.rate_burst, shared)
        session = getattr(adapter, "session", None)
        self.metered = session is not None  # its requests say when they leave (see Call.sent)
        if session is not None:
            http.meter(session, self.bucket, self.name)
        self.latencies: deque[float] = deque(maxlen=50)
        self.in_flight: set[Call] = set()
        self.lock = threading.Lock()

    def hedge_delay(self) -> float:
        """How long to wait for this provider before asking another one too: its recent p95 latency."""
        with self.lock:
            recent = sorted(self.latencies)
        if len(recent) < 5:
            return self.settings.hedge_max
        p95 = recent[min(len(recent) - 1, round(0.95 * (len(recent) - 1)))]
        return min(self.settings.hedge_max, max(self.settings.hedge_min, p95))

    def room(self) -> int:
        """Requests its rate budget lets go now without waiting (a large number without a limit)."""
        return self.bucket.room()

    def start(self, method: str, args: tuple[Any, ...], *, deadline: float) -> Call | None:
        """Begin a call, or None when the breaker is open or too many calls are in flight."""
        now = time.monotonic()
        with self.lock:
            overdue = [c for c in self.in_flight if c.deadline <= now]
        for call in overdue:
            call.blame("a call overran its deadline")
        with self.lock:
            busy = len(self.in_flight) >= MAX_IN_FLIGHT
        if busy or not self.breaker.allow():
            return None
        call = Call(self, now, min(deadline, now + self.settings.call_deadline))
        if not self.metered:
            call.sent = now  # nothing here waits for a rate-limit slot
        with self.lock:
            self.in_flight.add(call)
        http.PARALLEL.submit(self._run, call, method, args)
        return call

    def settle(self, call: Call, *, ok: bool | None, latency: float | None = None) -> bool:
        """Record a call's outcome on the breaker once; ok None: neither (not the provider's doing)."""
        with self.lock:
            if call.settled:
                return False
            call.settled = True
            self.in_flight.discard(call)
            if latency is not None:
                self.latencies.append(latency)
        if ok is True:
            self.breaker.succeeded()
        elif ok is False:
            self.breaker.failed()
        else:
            self.breaker.release()
        return True

    def _run(self, call: Call, method: str, args: tuple[Any, ...]) -> None:
        token = http.CALL_DEADLINE.set(call.deadline)
        sends = http.CALL_SENDS.set(call.sends)
        try:
            with http.RUNNING:
                result = getattr(self.adapter, method)(*args)
        except OwnRateLimit as exc:
            self.settle(call, ok=None)
            call.future.set_exception(exc)
        except ProviderLimitation as exc:
            self.settle(call, ok=True)  # healthy, just unable to answer this question
            call.future.set_exception(exc)
        except ChainError as exc:
            self.settle(call, ok=False)
            call.future.set_exception(exc)
        except Exception as exc:  # noqa: BLE001 - an adapter error left unmapped is still a bad answer
            log.exception("provider %s: unmapped error in %s", self.name, method)
            self.settle(call, ok=False)
            error = ProviderBadResponse(f"{self.name}: unexpected {type(exc).__name__}", provider=self.name)
            call.future.set_exception(error)
        else:
            finished = time.monotonic()
            on_time = finished <= call.deadline
            begun = call.sent if call.sent is not None else call.started
            self.settle(call, ok=on_time, latency=max(0.0, finished - begun) if on_time else None)
            call.future.set_result(result)
        finally:
            http.CALL_DEADLINE.reset(token)
            http.CALL_SENDS.reset(sends)
