"""What a lookup costs in provider requests, counted at stub providers (never timed): an EVM lookup
of a known tx is one JSON-RPC batch, a hash with no network given is one batch per provider of every
configured network (the chain id asked once per provider, not per lookup), and at a demand the
providers' limits cannot serve twice over no second provider is asked beside the first."""

from __future__ import annotations

import threading
from concurrent.futures import wait
from pathlib import Path

import pytest
from sqlmodel import Session

from app.runtime.db import make_engine, migrate
from app.settings import Settings
from app.wiring import build_investigator
from bench.stub_providers import ETH_ADDRESS, StubProvider
from chains import http
from chains.assets import DEFAULT_ASSETS, AssetRegistry
from chains.base import TxStatus
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from chains.ethereum.networks import BUILTIN
from chains.providers import Outcome, ProviderPool, ProviderSettings
from investigations.ledger import DepositAddressRecord, upsert_deposit_addresses
from investigations.service import InvestigationRequest

NEVER = 600.0  # a hedge delay no test reaches: a second provider asked must be asked for another reason
TX_BATCH = ["eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_blockNumber", "eth_getBlockByNumber"]


class Roomy:
    """A rate-limit bucket that always has room: whether a second provider is asked then depends
    on the pool's demand alone."""

    def reserve(self, max_wait: float) -> float:
        return 0.0

    def room(self) -> int:
        return 2


@pytest.fixture
def stubs():
    made = [StubProvider(latency=0.0) for _ in range(7)]
    yield made
    for stub in made:
        stub.stop()


def _settled(pool: ProviderPool) -> None:
    """Wait until every call the pool started has ended, abandoned ones too: a request counts at the
    stub when it arrives, and one still on its way must not be counted in the next phase instead."""
    calls = [call.future for guarded in pool.providers for call in list(guarded.in_flight)]
    wait(calls, timeout=120)


def _tx_hash(i: int) -> str:
    return "0x" + f"{i + 1:064x}"


def test_a_known_eth_tx_costs_one_batch_once_demand_fills_the_providers_limits(stubs):
    one, two = stubs[:2]
    assets = AssetRegistry(DEFAULT_ASSETS)
    adapters = [EthereumRpcAdapter(s.url, assets=assets, name=f"p{i}") for i, s in enumerate((one, two))]
    settings = ProviderSettings(rate_limit=10, rate_burst=2, hedge_min=NEVER, hedge_max=NEVER)
    pool = ProviderPool(adapters, settings, clock=lambda: 1000.0)  # every lookup within one second
    for guarded in pool.providers:
        guarded.bucket = Roomy()
        http.meter(guarded.adapter.session, guarded.bucket, guarded.name)
    capacity = 2 * 10  # two providers at 10 requests/s: ten lookups a second may ask both
    for i in range(capacity // 2):
        assert pool.lookup(_tx_hash(i)).outcome is Outcome.FOUND
    _settled(pool)
    assert (one.requests, two.requests) == (capacity // 2, capacity // 2)  # both asked each time
    before = one.requests + two.requests
    for i in range(10):
        lookup = pool.lookup(_tx_hash(100 + i))
        assert lookup.outcome is Outcome.FOUND and lookup.tx.status is TxStatus.CONFIRMED
    _settled(pool)
    assert one.requests + two.requests - before == 10
    assert all(methods == TX_BATCH for methods in (one.posts + two.posts)[-10:])


def test_a_single_lookup_with_room_to_spare_still_asks_both_at_once(stubs):
    one, two = stubs[:2]
    assets = AssetRegistry(DEFAULT_ASSETS)
    adapters = [EthereumRpcAdapter(s.url, assets=assets, name=f"p{i}") for i, s in enumerate((one, two))]
    settings = ProviderSettings(rate_limit=10, rate_burst=2, hedge_min=NEVER, hedge_max=NEVER)
    pool = ProviderPool(adapters, settings, clock=lambda: 1000.0)
    for guarded in pool.providers:
        guarded.bucket = Roomy()
    one.behaviour = "held"  # the first answers only once the second was asked too
    lookup = []
    looking = threading.Thread(target=lambda: lookup.append(pool.lookup("0xee" + "00" * 31)))
    looking.start()
    try:
        assert two.wait_for_requests(1) and one.wait_for_requests(1)  # both asked before either answered
    finally:
        one.release.set()
        looking.join(60)
    assert lookup[0].outcome is Outcome.NOT_FOUND and (one.requests, two.requests) == (1, 1)


def test_a_hash_with_no_network_given_is_one_batch_per_provider_and_the_chain_id_is_asked_once(stubs, tmp_path: Path):
    eth, others = stubs[:2], dict(zip(("bsc", "polygon", "arbitrum", "base", "optimism"), stubs[2:], strict=True))
    for stub in eth:
        stub.knows_nothing = True
    for name, stub in others.items():
        stub.chain_id, stub.knows_nothing = BUILTIN[name].chain_id, name != "bsc"
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'networks.db'}",
        btc_rate_limit=0,
        eth_rate_limit=0,
        eth_providers=[s.url for s in eth],
        evm_networks={name: stub.url for name, stub in others.items()},
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    investigator = build_investigator(settings)
    lookups = 4
    with Session(engine) as session:
        upsert_deposit_addresses(
            session, [DepositAddressRecord(chain="eth", address=ETH_ADDRESS, player_ref="p")], DEFAULT_ASSETS
        )
        session.commit()
        for i in range(lookups):
            record = investigator.investigate(session, InvestigationRequest(_tx_hash(i), chain="eth"))
            assert record.code == "wrong_network" and record.chain == "bsc"
    engine.dispose()
    for stub in stubs:
        batches = [methods for methods in stub.posts if methods != ["eth_chainId"]]
        assert batches == [TX_BATCH] * lookups  # one batch per lookup: tx, receipt, head and finality together
    for stub in others.values():
        assert stub.posts.count(["eth_chainId"]) <= 1  # checked before its first answer, then cached
    assert sum(s.requests for s in stubs) - sum(s.posts.count(["eth_chainId"]) for s in stubs) == 7 * lookups
