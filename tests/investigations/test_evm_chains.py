"""EVM networks as chains (issue 23), without a node: which networks a request is asked on, what an
unconfigured one answers, the one-round-trip lookup, and the registry's per-chain assets."""

from __future__ import annotations

import pytest

from app.wiring import build_investigator
from chains.assets import DEFAULT_ASSETS, Asset, AssetError
from chains.base import Chain
from investigations.service import InvalidInput, InvestigationRequest
from tests.support.evm import EvmWorld

BSC_URL = "https://bsc.test/rpc"


@pytest.fixture
def bsc(http_mock):
    world = EvmWorld(head=40_000_000, chain_id=56)
    world.serve(http_mock, BSC_URL)
    return world


@pytest.fixture
def with_bsc(settings):
    return build_investigator(settings.model_copy(update={"evm_networks": {"bsc": BSC_URL}}))


def test_a_chain_that_is_not_configured_is_refused_naming_it(chain, investigator, session):
    with pytest.raises(InvalidInput, match="no providers are configured for bsc") as error:
        investigator.investigate(session, InvestigationRequest("0x" + "ab" * 32, chain="bsc"))
    assert error.value.field == "chain"
    assert chain.requests == []


def test_an_unknown_chain_lists_the_supported_ones(chain, investigator, session):
    with pytest.raises(InvalidInput, match="'tron2' is not a supported chain .*bsc, polygon, arbitrum"):
        investigator.investigate(session, InvestigationRequest("0x" + "ab" * 32, chain="tron2"))


def test_a_hash_with_a_chain_given_is_still_asked_on_every_evm_network_at_once(chain, evm, bsc, with_bsc, session):
    tickets = with_bsc.tickets_for(InvestigationRequest("0x" + "ab" * 32, chain="bsc"))
    assert [t.chain for t in tickets] == [Chain.BSC, Chain.ETH]  # the given one first: it decides "unknown"
    record = with_bsc.investigate(session, InvestigationRequest("0x" + "ab" * 32, chain="bsc"))
    assert record.chain == "bsc" and record.code in ("not_found", "provider_unavailable")
    assert sum(evm.requests.values()) == 2 and bsc.requests[BSC_URL] == 2  # one batch each (+ BSC's chain id)


def test_an_ethereum_lookup_with_bsc_configured_asks_bsc_in_the_same_round(chain, evm, bsc, with_bsc, session):
    record = with_bsc.investigate(session, InvestigationRequest("0x" + "cd" * 32))
    assert (record.chain, record.code) == ("eth", "not_found")  # Ethereum's two providers agree
    assert bsc.requests[BSC_URL] == 2


def test_the_registry_keeps_one_asset_per_chain_and_symbol():
    bsc_usdt = Asset("USDT", Chain.BSC, 18, "0x" + "55" * 20)
    registry = DEFAULT_ASSETS.with_tokens([bsc_usdt, Asset("BNB", Chain.BSC, 18)])
    assert registry.get("USDT").decimals == 6  # Ethereum's, as before
    assert registry.on(Chain.BSC, "USDT") is bsc_usdt
    assert registry.for_chain(Chain.BSC).format(25 * 10**18, "USDT") == "25"
    assert registry.format(25 * 10**6, "USDT") == "25"
    assert registry.by_contract(Chain.BSC, "0x" + "55" * 20) is bsc_usdt
    assert registry.require("USDT", Chain.BSC) is bsc_usdt
    with pytest.raises(AssetError, match="not accepted on polygon"):
        registry.require("USDT", Chain.POLYGON)
    assert {a.symbol for a in registry.on_chain(Chain.BSC)} == {"USDT", "BNB"}
