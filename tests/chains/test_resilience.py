"""Retries, Retry-After, rate limits, the circuit breaker and the lookup budget, on a fake clock."""

from __future__ import annotations

import time

import pytest

from chains.base import Chain, ChainTx, ProviderBadResponse, ProviderUnavailable, TxStatus
from chains.providers import Outcome, ProviderPool, ProviderSettings
from chains.resilience import CircuitBreaker, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedAdapter:
    """Answers get_tx from a script of results and exceptions, one per call."""

    chain = Chain.BTC

    def __init__(self, name: str, *script) -> None:
        self.name = name
        self.script = list(script)
        self.calls = 0

    def get_tx(self, tx_hash: str) -> ChainTx:
        self.calls += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return ChainTx(
            chain=Chain.BTC,
            tx_hash=tx_hash,
            status=step,
            providers=[self.name],
            confirmations=3 if step is TxStatus.CONFIRMED else 0,
            block_height=1,
        )


def unavailable(name: str, retry_after: float | None = None) -> ProviderUnavailable:
    return ProviderUnavailable(f"{name}: HTTP 429", provider=name, retry_after=retry_after)


def pool(*adapters, clock: FakeClock, **settings) -> ProviderPool:
    return ProviderPool(list(adapters), ProviderSettings(**settings), clock=clock, sleep=clock.sleep)


def test_transient_failures_are_retried_with_growing_backoff():
    clock = FakeClock()
    flaky = ScriptedAdapter("a", unavailable("a"), unavailable("a"), TxStatus.CONFIRMED)
    lookup = pool(flaky, ScriptedAdapter("b", TxStatus.CONFIRMED), clock=clock, retries=2, backoff_initial=0.5).lookup(
        "ab" * 32
    )
    assert lookup.outcome is Outcome.FOUND and flaky.calls == 3
    assert len(clock.sleeps) == 2 and clock.sleeps[1] >= clock.sleeps[0] * 0.5 and clock.sleeps[0] >= 0.5


def test_retry_after_is_honoured():
    clock = FakeClock()
    limited = ScriptedAdapter("a", unavailable("a", retry_after=3.0), TxStatus.MEMPOOL)
    lookup = pool(limited, clock=clock).lookup("ab" * 32)
    assert lookup.outcome is Outcome.FOUND and clock.sleeps == [3.0]


def test_a_retry_after_beyond_the_budget_moves_on_to_the_next_provider():
    clock = FakeClock()
    limited = ScriptedAdapter("a", unavailable("a", retry_after=120.0))
    healthy = ScriptedAdapter("b", TxStatus.CONFIRMED)
    lookup = pool(limited, healthy, clock=clock, budget_seconds=20).lookup("ab" * 32)
    assert lookup.tx is not None and lookup.tx.providers == ["b"]
    assert clock.sleeps == [] and limited.calls == 1


def test_bad_answers_are_not_retried_but_fail_over():
    clock = FakeClock()
    garbage = ScriptedAdapter("a", ProviderBadResponse("a: not JSON", provider="a"))
    lookup = pool(garbage, ScriptedAdapter("b", TxStatus.CONFIRMED), clock=clock).lookup("ab" * 32)
    assert garbage.calls == 1 and [a.answer for a in lookup.answers] == ["error", "confirmed"]


def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_good_trial():
    clock = FakeClock()
    broken = ScriptedAdapter("a", unavailable("a"))
    healthy = ScriptedAdapter("b", TxStatus.CONFIRMED)
    providers = pool(broken, healthy, clock=clock, retries=0, breaker_threshold=3, breaker_cooldown=30)
    for _ in range(3):
        providers.lookup("ab" * 32)
    assert broken.calls == 3
    skipped = providers.lookup("ab" * 32)
    assert broken.calls == 3 and skipped.answers[0].answer == "skipped"
    clock.now += 31
    broken.script = [TxStatus.CONFIRMED]
    assert providers.lookup("ab" * 32).answers[0].answer == "confirmed"
    assert broken.calls == 4 and not providers.providers[0].breaker.is_open


def test_rate_limit_spaces_requests():
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock)
    waits = [limiter.reserve() for _ in range(4)]
    assert waits[0] == 0 and waits[1] == 0 and waits[2] == pytest.approx(0.5) and waits[3] == pytest.approx(1.0)
    clock.now += 10
    assert limiter.reserve() == 0


def test_rate_limited_provider_is_spaced_by_sleeping():
    clock = FakeClock()
    adapter = ScriptedAdapter("a", TxStatus.MEMPOOL)
    providers = pool(adapter, clock=clock, rate_limit=1.0)
    for _ in range(3):
        providers.lookup("ab" * 32)
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


def test_half_open_breaker_lets_one_trial_through():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    breaker.failed()
    assert not breaker.allow()
    clock.now += 6
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.failed()
    assert not breaker.allow()


class Hanging:
    chain = Chain.BTC

    def __init__(self, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds

    def get_tx(self, tx_hash: str) -> ChainTx:
        time.sleep(self.seconds)
        raise AssertionError("should have been abandoned")


def test_a_lookup_with_every_provider_hanging_ends_within_its_budget():
    providers = ProviderPool([Hanging("a", 3), Hanging("b", 3)], ProviderSettings(budget_seconds=0.6))
    started = time.monotonic()
    lookup = providers.lookup("ab" * 32)
    assert time.monotonic() - started < 1.2
    assert lookup.outcome is Outcome.UNAVAILABLE
