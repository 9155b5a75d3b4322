"""Several providers per chain: ask in order, fail over, and never call a tx unknown on the
word of a single provider: "not found" needs two providers that agree.

Each provider call goes through a guard: the circuit breaker may skip a provider that keeps
failing, the rate limiter spaces requests, transient failures (timeouts, 5xx, 429) are
retried with exponential backoff and jitter or after the provider's Retry-After, and the whole
lookup — every provider, every retry — ends by its deadline.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from chains import http
from chains.base import (
    ChainAdapter,
    ChainError,
    ChainTx,
    Outpoint,
    ProviderBadResponse,
    ProviderLimitation,
    ProviderUnavailable,
    Spend,
    Transfer,
    TxStatus,
)
from chains.history import RangeTooLarge
from chains.resilience import CircuitBreaker, RateLimiter

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ProviderAnswer:
    provider: str
    answer: str  # "confirmed", "mempool", "failed", "not_found", "error", "cannot_tell", "skipped", "cache"
    detail: str = ""


@dataclass
class Lookup:
    outcome: Outcome
    tx: ChainTx | None
    answers: list[ProviderAnswer] = field(default_factory=list)
    disputed: bool = False  # a provider did not know a recently confirmed tx that another one found
    cached: bool = False  # settled facts from our own cache: no provider was asked


@dataclass(frozen=True)
class ProviderSettings:
    rate_limit: float = 0.0  # requests per second per provider; 0: no limit
    retries: int = 2  # extra attempts after a transient failure
    backoff_initial: float = 0.25
    backoff_max: float = 4.0
    budget_seconds: float = 20.0  # one lookup, every provider and retry included
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0
    settled_depth: int = 6  # confirmations past which a provider not knowing the tx is just behind
    log_span: int = 2_000  # eth_getLogs blocks per request at first (halved when a provider refuses)


class CircuitOpen(ProviderUnavailable):
    """The provider failed repeatedly and is skipped for a while."""


class Guarded:
    """One provider behind its rate limiter, circuit breaker and retry policy."""

    def __init__(
        self,
        adapter: ChainAdapter,
        settings: ProviderSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.adapter = adapter
        self.name = adapter.name
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.limiter = RateLimiter(settings.rate_limit, clock=clock)
        self.breaker = CircuitBreaker(
            threshold=settings.breaker_threshold, cooldown=settings.breaker_cooldown, clock=clock
        )

    def call(self, method: str, *args: Any, deadline: float) -> Any:
        if not self.breaker.allow():
            raise CircuitOpen(f"{self.name}: skipped, failing repeatedly (circuit open)", provider=self.name)
        retrying = Retrying(
            retry=retry_if_exception_type(ProviderUnavailable),
            wait=self._wait,
            stop=lambda state: (
                state.attempt_number > self.settings.retries or self.clock() + (state.upcoming_sleep or 0) >= deadline
            ),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            result = retrying(self._attempt, method, args, deadline)
        except ProviderLimitation:
            self.breaker.succeeded()  # healthy, just unable to answer this question
            raise
        except (ProviderUnavailable, ProviderBadResponse):
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return result

    def _attempt(self, method: str, args: tuple[Any, ...], deadline: float) -> Any:
        delay = self.limiter.reserve()
        if self.clock() + delay >= deadline:
            raise ProviderUnavailable(f"{self.name}: rate limit leaves no time in the budget", provider=self.name)
        if delay:
            self.sleep(delay)
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise ProviderUnavailable(f"{self.name}: lookup budget exhausted", provider=self.name)
        future = http.PARALLEL.submit(getattr(self.adapter, method), *args)
        try:
            return future.result(timeout=remaining)
        except FutureTimeout:
            raise ProviderUnavailable(f"{self.name}: no answer within the lookup budget", provider=self.name) from None
        except ChainError:
            raise
        except Exception as exc:  # noqa: BLE001 - an adapter error left unmapped is still a bad answer
            log.exception("provider %s: unmapped error in %s", self.name, method)
            raise ProviderBadResponse(f"{self.name}: unexpected {type(exc).__name__}", provider=self.name) from exc

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        # Exponential backoff with full jitter on top, capped.
        initial = self.settings.backoff_initial
        backoff = min(self.settings.backoff_max, initial * 2 ** (state.attempt_number - 1))
        return backoff + random.uniform(0, initial)


class ProviderPool:
    """An ordered list of providers for one chain."""

    def __init__(
        self,
        adapters: list[ChainAdapter],
        settings: ProviderSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not adapters:
            raise ValueError("a provider pool needs at least one provider")
        self.settings = settings or ProviderSettings()
        self.providers = [Guarded(a, self.settings, clock=clock, sleep=sleep) for a in adapters]
        self.chain = adapters[0].chain
        self.clock = clock
        self.sleep = sleep
        self.history_providers: list[Guarded] = []  # list address histories only; never asked for a tx
        # "Not found" is only believed when two providers say so: one may lag, prune old txs, or lie.
        self.not_found_quorum = 2

    @property
    def adapters(self) -> list[ChainAdapter]:
        return [p.adapter for p in self.providers]

    def deadline(self) -> float:
        return self.clock() + self.settings.budget_seconds

    def lookup(self, tx_hash: str) -> Lookup:
        deadline = self.deadline()
        answers: list[ProviderAnswer] = []
        for provider in self.providers:
            try:
                tx = provider.call("get_tx", tx_hash, deadline=deadline)
            except CircuitOpen as exc:
                answers.append(ProviderAnswer(provider.name, "skipped", str(exc)))
                continue
            except ProviderLimitation as exc:
                answers.append(ProviderAnswer(provider.name, "cannot_tell", str(exc)))
                continue
            except ChainError as exc:
                log.warning("provider %s failed for %s: %s", provider.name, tx_hash, exc)
                answers.append(ProviderAnswer(provider.name, "error", str(exc)))
                continue
            answers.append(ProviderAnswer(provider.name, str(tx.status)))
            if tx.status is not TxStatus.NOT_FOUND:
                return Lookup(Outcome.FOUND, tx, answers, disputed=self._disputed(tx, answers))
        not_found = sum(1 for a in answers if a.answer == TxStatus.NOT_FOUND)
        if not_found >= self.not_found_quorum:
            return Lookup(Outcome.NOT_FOUND, None, answers)
        return Lookup(Outcome.UNAVAILABLE, None, answers)

    def _disputed(self, tx: ChainTx, answers: list[ProviderAnswer]) -> bool:
        """A provider that does not know a tx another one sees in a recent block may be on another
        fork; one that does not know a deep tx is only behind (or pruned its index)."""
        recent = tx.status is not TxStatus.MEMPOOL and tx.confirmations < self.settings.settled_depth
        return recent and any(a.answer == TxStatus.NOT_FOUND for a in answers)

    def spend_of(self, outpoint: Outpoint) -> Spend | None:
        """Who spent an outpoint, from the first provider that can say; None if none can."""
        return self._first("spend_of", outpoint)

    def block_in_main_chain(self, block_hash: str, height: int | None) -> bool | None:
        """Whether a block is still in the main chain; None if no provider can say."""
        return self._first("block_in_main_chain", block_hash, height)

    def trace(self, tx_hash: str) -> list[Transfer] | None:
        """Internal transfers from the first provider that can trace; None if none can."""
        found = self._first("trace", tx_hash)
        return list(found) if found is not None else None

    def add_history_providers(self, adapters: list[Any]) -> None:
        """Providers that only list address histories (an Etherscan-compatible account API)."""
        self.history_providers += [Guarded(a, self.settings, clock=self.clock, sleep=self.sleep) for a in adapters]

    def ask(self, method: str, *args: Any) -> tuple[Any, str]:
        """(answer, provider) from the first provider, nodes first, that has `method` and can answer.

        When none can: RangeTooLarge if one refused the range (the caller halves it), else
        ProviderUnavailable if one failed, else ProviderLimitation (nobody here can list this)."""
        deadline = self.deadline()
        refused: list[ChainError] = []
        for provider in [*self.providers, *self.history_providers]:
            if not hasattr(provider.adapter, method):
                continue
            try:
                return provider.call(method, *args, deadline=deadline), provider.name
            except ChainError as exc:
                log.info("provider %s cannot answer %s: %s", provider.name, method, exc)
                refused.append(exc)
        for kind in (RangeTooLarge, (ProviderUnavailable, ProviderBadResponse)):
            first = next((e for e in refused if isinstance(e, kind)), None)
            if first is not None:
                raise first
        reasons = "; ".join(str(e) for e in refused) or f"no configured provider offers {method}"
        raise ProviderLimitation(reasons, provider="pool")

    def _first(self, method: str, *args: Any) -> Any:
        deadline = self.deadline()
        for provider in self.providers:
            if not hasattr(provider.adapter, method):
                continue
            try:
                return provider.call(method, *args, deadline=deadline)
            except ChainError as exc:
                log.info("provider %s cannot answer %s: %s", provider.name, method, exc)
        return None
