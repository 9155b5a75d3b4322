"""The pool's failover and retries, and the rate buckets and breakers, in process memory and in
Redis (each Redis test under a key prefix of its own)."""

from __future__ import annotations

import secrets
import threading
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

    def __init__(self, name: str, *script, delay: float = 0.0, hold: threading.Event | None = None) -> None:
        self.name = name
        self.script = list(script)
        self.calls = 0
        self.called_at: list[float] = []  # time.monotonic of each call
        self.delay = delay
        self.hold = hold  # answers only once set

    def get_tx(self, tx_hash: str) -> ChainTx:
        self.calls += 1
        self.called_at.append(time.monotonic())
        if self.hold is not None:
            self.hold.wait(GUARD)
        time.sleep(self.delay)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        confirmations = 3 if step is TxStatus.CONFIRMED else 0
        return ChainTx(Chain.BTC, tx_hash, step, [self.name], confirmations=confirmations, block_height=1)


GUARD = 60.0  # only against a hung test


def in_thread(action):
    """Run `action` in a thread; (finished, its result) once it ended or GUARD passed."""
    results: list = []
    thread = threading.Thread(target=lambda: results.append(action()), daemon=True)
    thread.start()
    thread.join(GUARD)
    return not thread.is_alive(), results[0] if results else None


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
    lookup = pool(limited).lookup("ab" * 32)
    assert lookup.outcome is Outcome.FOUND and limited.calls == 2
    assert limited.called_at[1] - limited.called_at[0] >= 0.2  # never before its Retry-After


def test_a_retry_after_beyond_the_budget_is_not_waited_for():
    # A budget far longer than the test would wait: waiting for the retry would spend it all.
    limited = ScriptedAdapter("a", unavailable("a", retry_after=1200.0))
    finished, lookup = in_thread(lambda: pool(limited, budget_seconds=600).lookup("ab" * 32))
    assert finished and lookup.outcome is Outcome.UNAVAILABLE and limited.calls == 1


def test_bad_answers_are_not_retried_but_fail_over():
    garbage = ScriptedAdapter("a", ProviderBadResponse("a: not JSON", provider="a"))
    lookup = pool(garbage, ScriptedAdapter("b", TxStatus.CONFIRMED, delay=0.05)).lookup("ab" * 32)
    assert garbage.calls == 1 and [a.answer for a in lookup.answers] == ["error", "confirmed"]


def test_the_circuit_opens_after_repeated_failures_and_the_healthy_one_stays_closed():
    broken = ScriptedAdapter("a", unavailable("a"))
    healthy = ScriptedAdapter("b", TxStatus.CONFIRMED, delay=0.02)
    providers = pool(broken, healthy, retries=0, breaker_threshold=3)
    clock = FakeClock()  # the cooldown ends when the test says, not when a slow lookup outlasted it
    providers.providers[0].breaker = LocalBreaker(threshold=3, cooldown=30, clock=clock)
    for _ in range(3):
        assert providers.lookup("ab" * 32).outcome is Outcome.FOUND
    assert broken.calls == 3 and providers.providers[0].breaker.is_open
    skipped = providers.lookup("ab" * 32)
    assert broken.calls == 3 and skipped.answers[0].answer == "skipped"
    assert not providers.providers[1].breaker.is_open
    clock.now += 31
    broken.script = [TxStatus.CONFIRMED]
    providers.lookup("ab" * 32)
    assert broken.calls == 4 and not providers.providers[0].breaker.is_open


def test_a_lookup_with_every_provider_hanging_ends_within_its_budget():
    release = threading.Event()  # the providers answer only after the lookup ended
    hanging = [ScriptedAdapter(name, TxStatus.CONFIRMED, hold=release) for name in ("a", "b")]
    providers = pool(*hanging, budget_seconds=0.6)
    try:
        finished, lookup = in_thread(lambda: providers.lookup("ab" * 32))
    finally:
        release.set()
    assert finished and lookup.outcome is Outcome.UNAVAILABLE
    assert [a.answer for a in lookup.answers] == ["error", "error"]  # each charged by its deadline
    assert [p.breaker.failures for p in providers.providers] == [1, 1]


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
    # One slot per 100 s: the few milliseconds between reservations do not show in the waits.
    first, second = (RedisBucket(shared, "btc:a", rate=0.01, burst=2) for _ in range(2))  # two processes
    waits = [bucket.reserve(1_000) for _ in range(3) for bucket in (first, second)]
    assert waits[:2] == [0, 0]  # the burst of two
    # then one slot per 1/rate, whichever process asks
    assert waits[2:] == [pytest.approx(100 * n, abs=5) for n in (1, 2, 3, 4)]
    assert first.reserve(1) is None


def test_a_buckets_room_is_what_may_go_now_and_taking_it_is_not_implied(shared):
    clock = FakeClock()
    for bucket in (LocalBucket(0.01, burst=2, clock=clock), RedisBucket(shared, "btc:room", rate=0.01, burst=2)):
        assert bucket.room() == 2 and bucket.room() == 2  # looking takes nothing
        assert bucket.reserve(1) == 0 and bucket.room() == 1
        assert bucket.reserve(1) == 0 and bucket.room() == 0
    assert LocalBucket(0, clock=clock).room() >= 1_000  # no limit


def test_a_redis_breaker_is_shared_and_lets_one_trial_through(shared):
    # A cooldown no stall outlasts; the test ends it itself, as Redis's clock would have.
    here, there = (RedisBreaker(shared, "btc:a", threshold=2, cooldown=60) for _ in range(2))
    here.failed()
    assert there.allow()
    there.failed()
    assert here.is_open and not here.allow() and not there.allow()
    shared.redis.hset(here.state_key, "opened_until", 1)  # long past: the cooldown is over
    assert [here.allow(), there.allow()] == [True, False]  # one trial, whichever process asks first
    here.succeeded()
    assert not there.is_open and there.allow()


def test_without_redis_the_limits_fall_back_to_this_process():
    unreachable = Shared(redis_client("redis://127.0.0.1:1/0"), "dd-test-down", pause_after_failure=600)
    bucket, breaker = RedisBucket(unreachable, "x", rate=0.01, burst=1), RedisBreaker(unreachable, "x", threshold=1)
    assert bucket.reserve(1_000) == 0 and bucket.reserve(1_000) == pytest.approx(100, abs=5)
    assert unreachable.down_until > time.monotonic()  # not tried again for a while
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


# A first call may import its codec first (seconds on a busy machine: 10 s ran out), and the next
# slot is 100 s away, beyond the call's deadline, so the second lookup is refused, not waited for.
PATIENT = {"call_deadline": 60, "budget_seconds": 120}


@pytest.fixture
def stub() -> Iterator[StubProvider]:
    provider = StubProvider(latency=0.01)
    yield provider
    provider.stop()


def test_an_esplora_lookup_takes_one_token_per_http_request(stub):
    # One slot per 100 s with a burst of 2: the tx and the tip go at once; the next lookup has no slot
    # in its budget.
    providers = ProviderPool(
        [EsploraAdapter(stub.url + "/api")], ProviderSettings(rate_limit=0.01, rate_burst=2, **PATIENT)
    )
    assert providers.lookup("ab" * 32).outcome is Outcome.FOUND and stub.requests == 2
    refused = providers.lookup("ab" * 32)
    assert refused.outcome is Outcome.UNAVAILABLE and refused.answers[0].answer == "skipped"
    assert stub.requests == 2 and not providers.providers[0].breaker.is_open  # our limit, not its fault


def test_a_json_rpc_batch_takes_one_token(stub):
    adapter = EthereumRpcAdapter(stub.url, assets=DEFAULT_ASSETS)
    providers = ProviderPool([adapter], ProviderSettings(rate_limit=0.01, rate_burst=1, **PATIENT))
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

    def __init__(self, name: str, hold: threading.Event | None = None) -> None:
        self.name, self.hold, self.calls = name, hold, 0
        self.called_at: list[float] = []

    def spend_of(self, outpoint):
        self.calls += 1
        self.called_at.append(time.monotonic())
        if self.hold is not None:
            self.hold.wait(GUARD)
        return f"{self.name} says"


def test_a_question_for_one_provider_asks_the_next_after_the_hedge_delay():
    release = threading.Event()  # the first provider answers only after the question was answered
    hanging, healthy = SpendAdapter("a", release), SpendAdapter("b")
    providers = pool(hanging, healthy, hedge_min=0.05, hedge_max=0.2, budget_seconds=30)
    asked_at = time.monotonic()
    try:
        assert providers.spend_of(None) == "b says"
    finally:
        release.set()
    # asked once the hedge delay (no history: its maximum) had passed, not before
    assert healthy.called_at[0] - asked_at >= 0.2
    assert healthy.calls == 1 and not providers.providers[0].breaker.is_open  # abandoned, not blamed (yet)
