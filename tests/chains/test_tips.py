"""One tip height per chain, shared by every provider's lookups: a known Bitcoin tx costs one
request while the tip is fresh, and confirmations are never counted from a tip below the tx's
own block. Time is a fake clock; concurrent lookups are ordered by a held stub."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bench.stub_providers import BTC_HEIGHT, StubProvider
from chains.bitcoin.esplora import EsploraAdapter
from chains.providers import Outcome, ProviderPool, ProviderSettings

STUB_TIP = BTC_HEIGHT + 10  # what the stub answers for the tip; every tx it knows is in block BTC_HEIGHT


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stub() -> Iterator[StubProvider]:
    provider = StubProvider(latency=0.001)
    yield provider
    provider.stop()


def pool_for(stub: StubProvider, clock: FakeClock, max_age: float = 5.0) -> ProviderPool:
    pool = ProviderPool([EsploraAdapter(stub.url + "/api")], ProviderSettings(tip_max_age=max_age))
    assert pool.tips is not None
    pool.tips.clock = clock
    return pool


def test_a_known_tx_costs_one_request_while_the_tip_is_fresh(stub):
    clock = FakeClock()
    pool = pool_for(stub, clock)
    first = pool.lookup("ab" * 32)
    assert first.outcome is Outcome.FOUND and first.tx.confirmations == STUB_TIP - BTC_HEIGHT + 1
    assert stub.requests == 2  # the tx, and the tip beside it
    clock.now += 4.9
    again = pool.lookup("ab" * 31 + "01")
    assert again.tx.confirmations == STUB_TIP - BTC_HEIGHT + 1
    assert stub.requests == 3  # the tx only
    clock.now += 0.2  # the tip is now older than its five seconds: asked again, beside the tx
    pool.lookup("ab" * 31 + "02")
    assert stub.requests == 5


def test_a_tx_in_a_block_above_the_tip_we_know_has_the_tip_asked_again(stub):
    clock = FakeClock()
    pool = pool_for(stub, clock)
    pool.offer_tip(BTC_HEIGHT - 3)  # fresh, but from before the tx's block arrived
    lookup = pool.lookup("ab" * 32)
    assert lookup.tx.confirmations == STUB_TIP - BTC_HEIGHT + 1  # counted from the provider's tip
    assert stub.requests == 2
    assert pool.tips.fresh() == STUB_TIP


def test_a_tip_offered_by_the_follower_is_used_without_asking(stub):
    clock = FakeClock()
    pool = pool_for(stub, clock)
    pool.offer_tip(BTC_HEIGHT + 20)
    lookup = pool.lookup("ab" * 32)
    assert lookup.tx.confirmations == 21 and stub.requests == 1


def test_lookups_that_find_the_tip_stale_together_share_one_tip_request(stub):
    stub.behaviour = "held"  # nothing answers until every lookup has sent its requests
    pool = pool_for(stub, FakeClock())
    lookups = []
    threads = [
        threading.Thread(target=lambda n=n: lookups.append(pool.lookup("ab" * 31 + f"{n:02x}"))) for n in range(3)
    ]
    for thread in threads:
        thread.start()
    try:
        arrived = stub.wait_for_requests(4)  # three txs and one tip
    finally:
        stub.release.set()
        for thread in threads:
            thread.join(60)
    assert arrived and stub.requests == 4
    assert [lookup.tx.confirmations for lookup in lookups] == [STUB_TIP - BTC_HEIGHT + 1] * 3


def test_without_a_shared_tip_each_lookup_asks_its_provider_for_it(stub):
    pool = ProviderPool([EsploraAdapter(stub.url + "/api")], ProviderSettings(tip_max_age=0))
    assert pool.tips is None
    for _ in range(2):
        pool.lookup("ab" * 32)
    assert stub.requests == 4
