"""The no-hash search on a real Ethereum node (anvil, behind a proxy that plays a hosted provider's
eth_getLogs cap): native ETH, an ERC-20 payment and ETH forwarded by a contract to a player's
addresses, among unrelated traffic over more blocks than one log query may span."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from web3 import Web3

from app.wiring import build_investigator
from chains.assets import Asset
from chains.base import Chain
from investigations.search import SearchQuery, search
from tests.investigations.test_anvil import _hex, anvil, contracts, deploy, node, send_eth, w3  # noqa: F401
from tests.support.ledger import add_addresses_on, add_deposit_on
from tests.support.rpc_proxy import RpcProxy

pytestmark = pytest.mark.anvil
P1, P2, P3 = ("0x" + "a1" * 20, "0x" + "a2" * 20, "0x" + "a3" * 20)
STRANGER = "0x" + "5e" * 20


@pytest.fixture
def proxy(node) -> Iterator[RpcProxy]:  # noqa: F811
    served = RpcProxy(node.url, max_log_blocks=5)
    yield served
    served.stop()


@pytest.fixture
def deposits(session):
    add_addresses_on(session, "eth", (P1, "p-1"), (P2, "p-1"), (P3, "p-1"), (STRANGER, "p-2"))


def chain_now(w3: Web3) -> datetime:  # noqa: F811
    return datetime.fromtimestamp(w3.eth.get_block("latest")["timestamp"], tz=UTC)


@pytest.fixture
def payments(node, w3, contracts, deposits, session):  # noqa: F811
    """An old payment (ten days ago), then native ETH, a token payment and a forwarded payment
    to the player's three addresses, spread over ~40 blocks of unrelated traffic."""
    old = send_eth(w3, P1, 7 * 10**17)
    node.rpc("evm_increaseTime", hex(10 * 86400))
    node.rpc("evm_mine")
    token = deploy(w3, contracts, "TestToken", "Test Dollar", "TUSD", 6)
    forwarder = deploy(w3, contracts, "Forwarder")
    sender = w3.eth.accounts[2]
    token.functions.mint(sender, 10_000 * 10**6).transact({"from": sender})
    found = {"old": old, "token_address": token.address.lower()}
    for block in range(36):
        send_eth(w3, STRANGER, 10**15 + block, sender=3)  # unrelated traffic, one tx per block
        if block == 3:
            found["native"] = send_eth(w3, P1, 5 * 10**17)
        if block == 14:
            transfer = token.functions.transfer(Web3.to_checksum_address(P2), 250 * 10**6)
            found["token"] = _hex(transfer.transact({"from": sender}))
        if block == 15:
            token.functions.transfer(Web3.to_checksum_address(STRANGER), 99 * 10**6).transact({"from": sender})
        if block == 27:
            call = forwarder.functions.forward(Web3.to_checksum_address(P3))
            found["forwarded"] = _hex(call.transact({"from": w3.eth.accounts[4], "value": 3 * 10**17}))
    node.rpc("anvil_mine", hex(12))
    add_deposit_on(session, "eth", found["native"], P1, "ETH", "0.5", "p-1")
    return found


def _investigator(settings, proxy, payments, w3, **update):  # noqa: F811
    configured = settings.model_copy(
        update={
            "eth_providers": [proxy.url],
            "eth_tokens": [Asset("TUSD", Chain.ETH, 6, payments["token_address"])],
            "min_deposits": {"TUSD": 10_000_000, "ETH": 10**15},
            "eth_log_span": 16,
            **update,
        }
    )
    investigator = build_investigator(configured)
    now = chain_now(w3)
    investigator.clock = lambda: now  # the node's clock runs ten days ahead of ours
    return investigator


def test_native_token_and_forwarded_payments_are_found_and_ranked(settings, proxy, payments, w3, session):  # noqa: F811
    investigator = _investigator(settings, proxy, payments, w3)

    result = search(session, investigator, SearchQuery(player_ref="p-1", asset=None, amount="250"))

    by_hash = {c.tx_hash: c for c in result.candidates}
    assert set(by_hash) == {payments["token"], payments["forwarded"], payments["native"]}  # not the old one
    assert [c.tx_hash for c in result.candidates] == [payments["token"], payments["forwarded"], payments["native"]]
    assert [c.code for c in result.candidates] == ["confirmed_not_credited", "confirmed_not_credited", "credited"]
    assert by_hash[payments["forwarded"]].evidence["paid"][0]["amount"] == "0.3"
    assert result.searched == {"eth": ["token", "native", "internal"]} and result.complete
    assert result.not_searched == {}
    assert proxy.refusals >= 2 and proxy.calls["eth_getLogs"] > proxy.refusals + 4  # halved, then many ranges


def test_without_a_provider_that_lists_eth_the_answer_says_so(settings, proxy, payments, w3, session):  # noqa: F811
    proxy.missing_methods = {"ots_searchTransactionsBefore"}
    investigator = _investigator(settings, proxy, payments, w3)

    result = search(session, investigator, SearchQuery(player_ref="p-1"))

    assert [c.tx_hash for c in result.candidates] == [payments["token"]]
    assert not result.complete and result.searched == {"eth": ["token"]}
    assert set(result.not_searched["eth"]) == {"native", "internal"}
    assert "no configured provider can list" in result.not_searched["eth"]["native"]
    only_tokens = search(session, investigator, SearchQuery(player_ref="p-1", asset="TUSD"))
    assert only_tokens.complete and only_tokens.searched == {"eth": ["token"]}  # ETH was not asked for


def test_a_window_maps_to_blocks_by_their_timestamps(settings, proxy, payments, w3, session):  # noqa: F811
    investigator = _investigator(settings, proxy, payments, w3)
    now = investigator.clock()

    result = search(session, investigator, SearchQuery(player_ref="p-1", since=now - timedelta(days=12)))

    assert payments["old"] in {c.tx_hash for c in result.candidates}
    assert proxy.calls["eth_getBlockByNumber"] > 0
