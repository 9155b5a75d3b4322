"""Every way a public provider fails, on real sockets (stub providers on 127.0.0.1), beside a
healthy second provider: the verdict, how many requests each provider was sent, what the evidence
says of each (a provider the lookup did not wait for is "abandoned"), and that the healthy
provider's breaker stayed closed. Nothing here reads the clock: the order of events is held by
the stubs (`held` answers once released) and the lookup's own deadlines."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.wiring import build_investigator, provider_settings
from bench.stub_providers import BTC_ADDRESS, StubProvider, refusing_url
from chains.base import Chain
from chains.bitcoin.esplora import EsploraAdapter
from chains.providers import Outcome, ProviderPool
from investigations.service import InvestigationRequest
from tests.support.ledger import add_addresses

L = 0.02  # the healthy provider's latency
UNKNOWN = "ee" * 32


def known(number: int) -> str:
    """A tx every healthy stub knows (each a new one: a settled tx would come from the cache)."""
    return "ab" * 31 + f"{number:02x}"


@pytest.fixture
def stubs() -> Iterator[list[StubProvider]]:
    started = [StubProvider(latency=L) for _ in range(3)]
    yield started
    for stub in started:
        stub.stop()


@pytest.fixture(autouse=True)
def casino(session):
    add_addresses(session, (BTC_ADDRESS, "p-1"))


PATIENT = {"provider_timeout_seconds": 30.0, "lookup_budget_seconds": 60.0}


def investigator_for(settings, urls: list[str], **update):
    """An investigator whose providers are named by position (the stubs share one host name)."""
    settings = settings.model_copy(
        update={
            "btc_providers": [f"esplora:{url}/api" for url in urls],
            "btc_rate_limit": 0,
            "provider_timeout_seconds": 2.0,
            "lookup_budget_seconds": 4.0,
            "provider_hedge_min_seconds": 0.05,
            "provider_hedge_max_seconds": 0.3,
            **update,
        }
    )
    investigator = build_investigator(settings)
    timeout = (min(3.05, settings.provider_timeout_seconds), settings.provider_timeout_seconds)
    adapters = [EsploraAdapter(f"{url}/api", name=f"provider-{n}", timeout=timeout) for n, url in enumerate(urls)]
    investigator.pools[Chain.BTC] = ProviderPool(adapters, provider_settings(settings, Chain.BTC))
    return investigator


def investigate(investigator, session, tx_hash: str) -> tuple[str, list[str]]:
    """The verdict code, and each provider's answer as the evidence tells it, in configured order."""
    record = investigator.investigate(session, InvestigationRequest(tx_hash, chain="btc"))
    return record.code, [a["answer"] for a in record.evidence["providers"]]


# shape -> (what the evidence may say of the faulty provider for a known tx, the verdict of an
# unknown tx), the faulty provider first. A failure after a round trip may come before or after the
# healthy answer ("abandoned" then); a hanging one is never waited for.
FAILED_OR_ABANDONED = {"error", "abandoned"}
SHAPES = {
    "hang": ({"abandoned"}, "provider_unavailable"),  # for an unknown tx: silent until its deadline, no agreement
    "slow": ({"abandoned", "confirmed"}, "not_found"),  # it answers, late, and agrees
    "refuse": ({"error"}, "provider_unavailable"),
    "server_error": (FAILED_OR_ABANDONED, "provider_unavailable"),
    "rate_limited": (FAILED_OR_ABANDONED, "provider_unavailable"),
    "rate_limited_retry_after": (FAILED_OR_ABANDONED, "provider_unavailable"),  # asked again after Retry-After: 1
    "garbage": (FAILED_OR_ABANDONED, "provider_unavailable"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_failing_first_provider_never_stalls_a_lookup_nor_trips_the_healthy_one(settings, session, stubs, shape):
    faulty, healthy = stubs[0], stubs[1]
    faulty_url = refusing_url() if shape == "refuse" else faulty.url
    faulty.behaviour = "ok" if shape == "refuse" else shape
    urls = [faulty_url, healthy.url]
    # Deadlines far beyond any answer: the healthy provider's word arrives however busy the machine.
    investigator = investigator_for(settings, urls, **PATIENT)
    faulty_answer, unknown_code = SHAPES[shape]
    for number in range(3):  # three in a row: enough to trip a breaker that blamed the wrong provider
        code, answers = investigate(investigator, session, known(number))
        assert code == "confirmed_not_credited"
        assert answers[1] == "confirmed"
        assert answers[0] in faulty_answer
    assert faulty.requests == (0 if shape == "refuse" else 6)  # asked once per lookup (tx and tip): no retry first
    # A hanging provider is silent until its deadline: that one lookup gets a short one. Its verdict
    # is the same whether or not the healthy provider answered in time (one "not found" is no agreement).
    asking = investigator_for(settings, urls) if shape == "hang" else investigator
    code, _answers = investigate(asking, session, UNKNOWN)
    assert code == unknown_code
    pool = investigator.pools[Chain.BTC]
    assert not pool.providers[1].breaker.is_open and pool.providers[1].breaker.failures == 0
    assert investigate(investigator, session, known(3))[0] == "confirmed_not_credited"


def test_one_hanging_provider_costs_at_most_the_hedge_delay_and_a_round_trip(settings, session, stubs):
    # Three providers: the first two are asked at once; the first hangs, so the third is asked
    # once the hedge delay has passed, and its "unknown" agrees with the second's.
    stubs[0].behaviour = "hang"
    # A deadline far beyond the hedge delay: the lookup answers once the third provider agrees, and
    # the hanging one is abandoned, not waited for (its deadline would make it an "error").
    investigator = investigator_for(
        settings, [s.url for s in stubs], provider_timeout_seconds=20, lookup_budget_seconds=40
    )
    for number in range(1, 4):
        code, answers = investigate(investigator, session, UNKNOWN)
        assert code == "not_found"
        assert answers == ["abandoned", "not_found", "not_found"]
        assert [s.requests for s in stubs] == [2 * number] * 3  # the tx and the tip, from each
    assert all(not p.breaker.is_open for p in investigator.pools[Chain.BTC].providers)


def test_an_unknown_tx_costs_one_round_trip_both_providers_asked_at_once(settings, stubs):
    # Neither provider answers until both have been asked: asked one after the other, the second
    # would never be asked while the first is held, and the lookup would be left without agreement.
    for stub in stubs[:2]:
        stub.behaviour = "held"
    investigator = investigator_for(
        settings, [stubs[0].url, stubs[1].url], provider_timeout_seconds=20, lookup_budget_seconds=40
    )
    lookups = []
    looking = threading.Thread(target=lambda: lookups.append(investigator.pools[Chain.BTC].lookup(UNKNOWN)))
    looking.start()
    try:
        asked_at_once = stubs[0].wait_for_requests(2) and stubs[1].wait_for_requests(2)
    finally:
        for stub in stubs[:2]:
            stub.release.set()
        looking.join(60)
    assert asked_at_once  # the tx and the tip, from each, before either answered
    [lookup] = lookups
    assert lookup.outcome is Outcome.NOT_FOUND
    assert stubs[0].requests == 2 and stubs[1].requests == 2


def test_a_lookup_that_runs_out_of_budget_charges_only_the_provider_that_was_slow(settings, session, stubs):
    stubs[0].behaviour = "hang"
    investigator = investigator_for(
        settings, [s.url for s in stubs[:2]], provider_timeout_seconds=12, lookup_budget_seconds=24
    )  # each call 12 s: far beyond the healthy provider's answer, however busy the machine (4 s was not)
    code, answers = investigate(investigator, session, UNKNOWN)
    assert code == "provider_unavailable"
    assert answers == ["error", "not_found"]
    slow, answered = investigator.pools[Chain.BTC].providers
    assert slow.breaker.failures == 1 and answered.breaker.failures == 0
