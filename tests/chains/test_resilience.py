"""The pool's failover and retries, and the rate buckets and breakers, in process memory and in
Redis (each Redis test under a key prefix of its own)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from bench.stub_providers import StubProvider
from chains.assets import DEFAULT_ASSETS
from chains.base import Chain, ChainTx, ProviderBadResponse, ProviderUnavailable, TxStatus
from chains.bitcoin.esplora import EsploraAdapter
from chains.breakers import LocalBreaker, RedisBreaker
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from chains.providers import Outcome, ProviderPool, ProviderSettings
from chains.resilience import LocalBucket, RedisBucket, Shared, redis_client
from tests.conftest import require


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ScriptedAdapter:
    """Answers get_tx from a script of statuses and exceptions, one per call (the last repeats)."""

    chain = Chain.BTC

    def __init__(self, name: str, *script, delay: float = 0.0) -> None:
        self.name = name
        self.script = list(script)
        self.calls = 0
        self.delay = delay

    def get_tx(self, tx_hash: str) -> ChainTx:
        self.calls += 1
        time.sleep(self.delay)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        confirmations = 3 if step is TxStatus.CONFIRMED else 0
        return ChainTx(Chain.BTC, tx_hash, step, [self.name], confirmations=confirmations, block_height=1)


def unavailable(name: str, retry_after: float | None = None) -> ProviderUnavailable:
    return ProviderUnavailable(f"{name}: HTTP 429", provider=name, retry_after=retry_after)


def pool(*adapters, **settings) -> ProviderPool:
    return ProviderPool(list(adapters), ProviderSettings(**{"backoff_initial": 0.01, **settings}))


@pytest.fixture
def shared() -> Iterator[Shared]:
    client = redis_client("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        require(False, f"Redis not reachable at 127.0.0.1:6379: {type(exc).__name__}")
    prefix = f"dd-test-{secrets.token_hex(4)}"
    yield Shared(client, prefix)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_a_transient_failure_fails_over_at_once_and_is_not_retried_when_another_answers():
    flaky = ScriptedAdapter("a", unavailable("a"), TxStatus.CONFIRMED)
    lookup = pool(flaky, ScriptedAdapter("b", TxStatus.CONFIRMED, delay=0.05)).lookup("ab" * 32)
    assert lookup.outcome is Outcome.FOUND and lookup.tx.providers == ["b"] and flaky.calls == 1


def test_a_lone_provider_is_asked_again_after_its_retry_after():
    limited = ScriptedAdapter("a", unavailable("a", retry_after=0.2), TxStatus.MEMPOOL)
    started = time.monotonic()
    lookup = pool(limited).lookup("ab" * 32)
    assert lookup.outcome is Outcome.FOUND and limited.calls == 2
    assert 0.2 <= time.monotonic() - started < 0.5


def test_a_retry_after_beyond_the_budget_is_not_waited_for():
    limited = ScriptedAdapter("a", unavailable("a", retry_after=120.0))
    started = time.monotonic()
    lookup = pool(limited, budget_seconds=2).lookup("ab" * 32)
    assert lookup.outcome is Outcome.UNAVAILABLE and limited.calls == 1 and time.monotonic() - started < 0.5


def test_bad_answers_are_not_retried_but_fail_over():
    garbage = ScriptedAdapter("a", ProviderBadResponse("a: not JSON", provider="a"))
    lookup = pool(garbage, ScriptedAdapter("b", TxStatus.CONFIRMED, delay=0.05)).lookup("ab" * 32)
    assert garbage.calls == 1 and [a.answer for a in lookup.answers] == ["error", "confirmed"]


def test_the_circuit_opens_after_repeated_failures_and_the_healthy_one_stays_closed():
    broken = ScriptedAdapter("a", unavailable("a"))
    healthy = ScriptedAdapter("b", TxStatus.CONFIRMED, delay=0.02)
    providers = pool(broken, healthy, retries=0, breaker_threshold=3, breaker_cooldown=0.3)
    for _ in range(3):
        assert providers.lookup("ab" * 32).outcome is Outcome.FOUND
    assert broken.calls == 3 and providers.providers[0].breaker.is_open
    skipped = providers.lookup("ab" * 32)
    assert broken.calls == 3 and skipped.answers[0].answer == "skipped"
    assert not providers.providers[1].breaker.is_open
    time.sleep(0.35)
    broken.script = [TxStatus.CONFIRMED]
    providers.lookup("ab" * 32)
    assert broken.calls == 4 and not providers.providers[0].breaker.is_open


def test_a_lookup_with_every_provider_hanging_ends_within_its_budget():
    hanging = [ScriptedAdapter(name, TxStatus.CONFIRMED, delay=3) for name in ("a", "b")]
    started = time.monotonic()
    lookup = pool(*hanging, budget_seconds=0.6).lookup("ab" * 32)
    assert time.monotonic() - started < 1.0 and lookup.outcome is Outcome.UNAVAILABLE


def test_a_gcra_bucket_lets_a_burst_through_then_spaces_requests():
    clock = FakeClock()
    bucket = LocalBucket(5.0, burst=2, clock=clock)
    assert [bucket.reserve(10) for _ in range(4)] == [0, 0, pytest.approx(0.2), pytest.approx(0.4)]
    assert bucket.reserve(0.5) is None  # would wait 0.6 s: nothing taken
    assert bucket.reserve(0.61) == pytest.approx(0.6)


def _most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def test_a_bucket_never_sends_more_than_rate_plus_burst_in_any_second():
    clock = FakeClock()
    bucket = LocalBucket(5.0, burst=2, clock=clock)
    sent = []
    for step in range(200):
        clock.now = 1000 + step * 0.037  # callers arriving faster than the rate
        sent.append(clock.now + bucket.reserve(60))
    assert _most_in_one_second(sent) <= 5 + 2


def test_a_redis_bucket_is_one_bucket_for_every_process(shared):
    first, second = (RedisBucket(shared, "btc:a", rate=5, burst=2) for _ in range(2))  # two processes
    sends = [time.monotonic() + bucket.reserve(10) for _ in range(3) for bucket in (first, second)]
    gaps = [later - earlier for earlier, later in zip(sends, sends[1:], strict=False)]
    assert gaps[0] == pytest.approx(0, abs=0.05)  # the burst of two
    assert gaps[1:] == [pytest.approx(0.2, abs=0.05)] * 4  # then one slot per 1/rate, whichever process asks
    assert first.reserve(0.1) is None


def test_a_redis_breaker_is_shared_and_lets_one_trial_through(shared):
    here, there = (RedisBreaker(shared, "btc:a", threshold=2, cooldown=0.2) for _ in range(2))
    here.failed()
    assert there.allow()
    there.failed()
    assert here.is_open and not here.allow() and not there.allow()
    time.sleep(0.25)
    assert [here.allow(), there.allow()] == [True, False]  # one trial, whichever process asks first
    here.succeeded()
    assert not there.is_open and there.allow()


def test_without_redis_the_limits_fall_back_to_this_process():
    unreachable = Shared(redis_client("redis://127.0.0.1:1/0"), "dd-test-down")
    bucket, breaker = RedisBucket(unreachable, "x", rate=5, burst=1), RedisBreaker(unreachable, "x", threshold=1)
    assert bucket.reserve(1) == 0 and bucket.reserve(1) == pytest.approx(0.2, abs=0.05)
    assert unreachable.down_until > time.monotonic()  # not tried again for a few seconds
    breaker.failed()
    assert not breaker.allow() and breaker.is_open


def test_the_local_breaker_half_opens_for_one_trial():
    clock = FakeClock()
    breaker = LocalBreaker(threshold=1, cooldown=5, clock=clock)
    breaker.failed()
    assert not breaker.allow()
    clock.now += 6
    assert breaker.allow() and not breaker.allow()
    breaker.failed()
    assert not breaker.allow()


@pytest.fixture
def stub() -> Iterator[StubProvider]:
    provider = StubProvider(latency=0.01)
    yield provider
    provider.stop()


def test_an_esplora_lookup_takes_one_token_per_http_request(stub):
    # Rate 1/s with a burst of 2: the tx and the tip go at once; the next lookup has no slot in its budget.
    providers = ProviderPool(
        [EsploraAdapter(stub.url + "/api")], ProviderSettings(rate_limit=1, rate_burst=2, budget_seconds=0.5)
    )
    assert providers.lookup("ab" * 32).outcome is Outcome.FOUND and stub.requests == 2
    refused = providers.lookup("ab" * 32)
    assert refused.outcome is Outcome.UNAVAILABLE and refused.answers[0].answer == "skipped"
    assert stub.requests == 2 and not providers.providers[0].breaker.is_open  # our limit, not its fault


def test_a_json_rpc_batch_takes_one_token(stub):
    adapter = EthereumRpcAdapter(stub.url, assets=DEFAULT_ASSETS)
    providers = ProviderPool([adapter], ProviderSettings(rate_limit=1, rate_burst=1, budget_seconds=0.5))
    assert providers.lookup("0x" + "ab" * 32).outcome is Outcome.FOUND and stub.requests == 1
    assert providers.lookup("0x" + "ab" * 32).answers[0].answer == "skipped" and stub.requests == 1


def test_a_provider_tripped_in_one_process_is_skipped_by_another(shared):
    settings = ProviderSettings(retries=0, breaker_threshold=2, backoff_initial=0.01)
    broken, healthy = ScriptedAdapter("a", unavailable("a")), ScriptedAdapter("b", TxStatus.CONFIRMED, delay=0.02)
    here = ProviderPool([broken, healthy], settings, shared=shared)
    there = ProviderPool([ScriptedAdapter("a", TxStatus.CONFIRMED), healthy], settings, shared=shared)
    for _ in range(2):
        here.lookup("ab" * 32)
    lookup = there.lookup("ab" * 32)
    assert lookup.answers[0].answer == "skipped" and lookup.tx.providers == ["b"]
    assert not there.providers[1].breaker.is_open


class SpendAdapter:
    chain = Chain.BTC

    def __init__(self, name: str, delay: float) -> None:
        self.name, self.delay, self.calls = name, delay, 0

    def spend_of(self, outpoint):
        self.calls += 1
        time.sleep(self.delay)
        return f"{self.name} says"


def test_a_question_for_one_provider_asks_the_next_after_the_hedge_delay():
    hanging, healthy = SpendAdapter("a", 5), SpendAdapter("b", 0.02)
    providers = pool(hanging, healthy, hedge_min=0.05, hedge_max=0.2, budget_seconds=3)
    started = time.monotonic()
    assert providers.spend_of(None) == "b says"
    assert 0.2 <= time.monotonic() - started < 0.2 + 0.25  # the hedge delay (no history: its maximum) + a round trip
    assert healthy.calls == 1 and not providers.providers[0].breaker.is_open  # abandoned, not blamed (yet)
