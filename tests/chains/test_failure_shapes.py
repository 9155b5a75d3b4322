"""Every way a public provider fails, on real sockets (stub providers on 127.0.0.1), beside a
healthy second provider: the verdict, how long the lookup took, and that the healthy provider's
breaker stayed closed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.wiring import build_investigator
from bench.stub_providers import BTC_ADDRESS, StubProvider, refusing_url
from chains.base import Chain
from investigations.service import InvestigationRequest
from tests.support.ledger import add_addresses

L = 0.02  # the healthy provider's latency
UNKNOWN = "ee" * 32


def known(number: int) -> str:
    """A tx every healthy stub knows (each a new one: a settled tx would come from the cache)."""
    return "ab" * 31 + f"{number:02x}"


# A lookup the faulty provider must not slow down: a few round trips and the SQLite write, on a
# busy machine (before, a hanging first provider cost the whole budget, 4 s here).
FAST = 1.5


@pytest.fixture
def stubs() -> Iterator[list[StubProvider]]:
    started = [StubProvider(latency=L) for _ in range(3)]
    yield started
    for stub in started:
        stub.stop()


@pytest.fixture(autouse=True)
def casino(session):
    add_addresses(session, (BTC_ADDRESS, "p-1"))


def investigator_for(settings, urls: list[str]):
    return build_investigator(
        settings.model_copy(
            update={
                "btc_providers": [f"esplora:{url}/api" for url in urls],
                "btc_rate_limit": 0,
                "provider_timeout_seconds": 2.0,
                "lookup_budget_seconds": 4.0,
                "provider_hedge_min_seconds": 0.05,
                "provider_hedge_max_seconds": 0.3,
            }
        )
    )


def timed(investigator, session, tx_hash: str) -> tuple[str, float]:
    started = time.monotonic()
    code = investigator.investigate(session, InvestigationRequest(tx_hash, chain="btc")).code
    return code, time.monotonic() - started


# shape -> (how long an unknown tx may take, its verdict), with the faulty provider first
SHAPES = {
    "hang": (2.0 + FAST, "provider_unavailable"),  # the faulty one is silent until its deadline: no agreement
    "slow": (0.5 + FAST, "not_found"),  # it answers, late, and agrees
    "refuse": (FAST, "provider_unavailable"),
    "server_error": (FAST, "provider_unavailable"),
    "rate_limited": (FAST, "provider_unavailable"),
    "rate_limited_retry_after": (2.0 + FAST, "provider_unavailable"),  # asked again after Retry-After: 1, twice
    "garbage": (FAST, "provider_unavailable"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_failing_first_provider_never_stalls_a_lookup_nor_trips_the_healthy_one(settings, session, stubs, shape):
    faulty, healthy = stubs[0], stubs[1]
    faulty_url = refusing_url() if shape == "refuse" else faulty.url
    faulty.behaviour = "ok" if shape == "refuse" else shape
    investigator = investigator_for(settings, [faulty_url, healthy.url])
    for number in range(3):  # three in a row: enough to trip a breaker that blamed the wrong provider
        code, took = timed(investigator, session, known(number))
        assert code == "confirmed_not_credited"
        assert took < FAST
    assert faulty.requests == (0 if shape == "refuse" else 6)  # asked once per lookup (tx and tip): no retry first
    unknown_bound, unknown_code = SHAPES[shape]
    code, took = timed(investigator, session, UNKNOWN)
    assert code == unknown_code and took < unknown_bound
    pool = investigator.pools[Chain.BTC]
    assert not pool.providers[1].breaker.is_open and pool.providers[1].breaker.failures == 0
    assert timed(investigator, session, known(3))[0] == "confirmed_not_credited"


def test_one_hanging_provider_costs_at_most_the_hedge_delay_and_a_round_trip(settings, session, stubs):
    # Three providers: the first two are asked at once; the first hangs, so the third is asked
    # once the hedge delay has passed, and its "unknown" agrees with the second's.
    stubs[0].behaviour = "hang"
    investigator = investigator_for(settings, [s.url for s in stubs])
    for _ in range(3):
        code, took = timed(investigator, session, UNKNOWN)
        assert code == "not_found"
        assert took < 0.3 + 3 * L + 0.2  # hedge delay (at most 0.3 s) + a round trip, and slack
    assert all(not p.breaker.is_open for p in investigator.pools[Chain.BTC].providers[1:])


def test_an_unknown_tx_costs_one_round_trip_both_providers_asked_at_once(settings, session, stubs):
    for stub in stubs[:2]:
        stub.latency = 0.5
    investigator = investigator_for(settings, [stubs[0].url, stubs[1].url])
    code, took = timed(investigator, session, UNKNOWN)
    assert code == "not_found" and took < 0.5 * 1.6  # asked one after the other, it took two round trips
    assert stubs[0].requests == 2 and stubs[1].requests == 2  # the tx and the tip, from each


def test_a_lookup_that_runs_out_of_budget_charges_only_the_provider_that_was_slow(settings, session, stubs):
    stubs[0].behaviour = "hang"
    investigator = build_investigator(
        settings.model_copy(
            update={
                "btc_providers": [f"esplora:{s.url}/api" for s in stubs[:2]],
                "btc_rate_limit": 0,
                "lookup_budget_seconds": 0.6,
            }
        )
    )
    code, took = timed(investigator, session, UNKNOWN)
    assert code == "provider_unavailable" and took < 0.6 + FAST
    slow, answered = investigator.pools[Chain.BTC].providers
    assert slow.breaker.failures == 1 and answered.breaker.failures == 0
