"""A second provider is asked beside the first only while its rate budget has room to spare;
otherwise only after a "not found", a failure or the hedge delay. The budgets run on a fake clock."""

from __future__ import annotations

import threading

from chains.base import Chain, ChainTx, TxStatus
from chains.providers import Outcome, ProviderPool, ProviderSettings
from chains.resilience import LocalBucket

GUARD = 60.0  # only against a hung test


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Provider:
    chain = Chain.BTC

    def __init__(self, name: str, status: TxStatus, hold: threading.Event | None = None) -> None:
        self.name, self.status, self.hold = name, status, hold
        self.calls = 0
        self.asked = threading.Event()

    def get_tx(self, tx_hash: str) -> ChainTx:
        self.calls += 1
        self.asked.set()
        if self.hold is not None:
            assert self.hold.wait(GUARD)
        if self.status is TxStatus.NOT_FOUND:
            return ChainTx(Chain.BTC, tx_hash, self.status, [self.name])
        return ChainTx(Chain.BTC, tx_hash, self.status, [self.name], block_height=1, block_hash="00", confirmations=10)


def pool_of(*providers: Provider, room: list[int], hedge: float = 60) -> ProviderPool:
    """Budgets of 1 request/s, burst 2, with `room` requests free now in each."""
    pool = ProviderPool(list(providers), ProviderSettings(rate_limit=1, rate_burst=2, hedge_min=hedge, hedge_max=hedge))
    clock = FakeClock()
    for guarded, free in zip(pool.providers, room, strict=True):
        guarded.bucket = LocalBucket(1, burst=2, clock=clock)
        for _ in range(2 - free):
            assert guarded.bucket.reserve(10) == 0
        assert guarded.room() == free
    return pool


def test_with_room_to_spare_both_providers_are_asked_at_once():
    two = Provider("two", TxStatus.CONFIRMED)
    one = Provider("one", TxStatus.CONFIRMED, hold=two.asked)  # answers only once the second was asked too
    lookup = pool_of(one, two, room=[2, 2]).lookup("ab" * 32)
    assert lookup.outcome is Outcome.FOUND and (one.calls, two.calls) == (1, 1)


def test_a_known_tx_costs_one_provider_when_the_second_has_no_room_to_spare():
    one, two = Provider("one", TxStatus.CONFIRMED), Provider("two", TxStatus.CONFIRMED)
    lookup = pool_of(one, two, room=[2, 1]).lookup("ab" * 32)
    assert lookup.outcome is Outcome.FOUND and (one.calls, two.calls) == (1, 0)
    assert [a.answer for a in lookup.answers] == ["confirmed"]


def test_an_unknown_tx_asks_the_second_after_the_first_says_not_found():
    one, two = Provider("one", TxStatus.NOT_FOUND), Provider("two", TxStatus.NOT_FOUND)
    lookup = pool_of(one, two, room=[2, 0]).lookup("ee" * 32)
    assert lookup.outcome is Outcome.NOT_FOUND and (one.calls, two.calls) == (1, 1)


def test_a_provider_without_room_yields_the_first_ask_to_one_that_has_it():
    one, two = Provider("one", TxStatus.CONFIRMED), Provider("two", TxStatus.CONFIRMED)
    lookup = pool_of(one, two, room=[0, 1]).lookup("ab" * 32)
    assert lookup.tx.providers == ["two"] and (one.calls, two.calls) == (0, 1)


def test_a_silent_first_provider_has_the_second_asked_after_the_hedge_delay_even_without_room():
    release = threading.Event()
    one, two = Provider("one", TxStatus.CONFIRMED, hold=release), Provider("two", TxStatus.CONFIRMED)
    pool = pool_of(one, two, room=[2, 0], hedge=0.01)
    lookups = []
    looking = threading.Thread(target=lambda: lookups.append(pool.lookup("ab" * 32)))
    looking.start()
    try:
        assert two.asked.wait(GUARD)  # the first is still silent: only the hedge can have asked it
    finally:
        release.set()
        looking.join(GUARD)
    assert lookups[0].outcome is Outcome.FOUND and (one.calls, two.calls) == (1, 1)


def test_a_call_waiting_for_our_own_rate_limit_slot_is_not_hedged_until_it_was_sent():
    from chains.guarded import Call

    pool = ProviderPool([Provider("one", TxStatus.CONFIRMED)], ProviderSettings(hedge_min=0.5, hedge_max=0.5))
    call = Call(pool.providers[0], started=100.0, deadline=110.0)
    assert call.hedge_at(now=103.0) == 103.5  # not sent yet: never due while it waits (re-checked later)
    call.sends(104.0)  # its request leaves at 104 (after our limiter's wait)
    call.sends(105.0)  # a later request of the same call changes nothing
    assert call.hedge_at(now=104.2) == 104.5
