"""EVM networks as configuration (chains/ethereum/networks.py): the settings, the built-in
defaults, the checks against the node (chain id, token decimals) on real anvil nodes with chain
ids 1, 56 and 8453, the one-round-trip lookup across networks, and the wrong_network decision."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from chains.ethereum.networks import (
    BUILTIN,
    NetworkCheckError,
    NetworkConfigError,
    check_network,
    http_call,
    locate,
    networks_from_env,
    wrong_network,
)
from tests.conftest import require
from tests.support.anvil import ANVIL, SOLC, Anvil, compile_contracts

PLAYER_ADDRESS = "0x" + "d0" * 20


# ---- configuration ------------------------------------------------------------------------------


def test_nothing_configured_is_ethereum_alone_with_its_defaults():
    networks = networks_from_env({})
    assert list(networks) == ["eth"]
    eth = networks["eth"]
    assert (eth.chain_id, eth.native, eth.confirmations, eth.finality) == (1, "ETH", 12, "confirmations")
    assert eth.token_by_symbol("USDT").decimals == 6


def test_every_named_network_gets_its_builtin_chain_id_native_asset_and_tokens():
    networks = networks_from_env({"EVM_NETWORKS": "bsc,polygon,arbitrum,base,optimism"})
    assert list(networks) == ["eth", "bsc", "polygon", "arbitrum", "base", "optimism"]
    assert {n: (v.chain_id, v.native) for n, v in networks.items()} == {
        "eth": (1, "ETH"),
        "bsc": (56, "BNB"),
        "polygon": (137, "POL"),
        "arbitrum": (42161, "ETH"),
        "base": (8453, "ETH"),
        "optimism": (10, "ETH"),
    }
    bsc_usdt = networks["bsc"].token("0x55d398326f99059ff775485246999027b3197955")
    assert bsc_usdt is not None and bsc_usdt.symbol == "USDT" and bsc_usdt.decimals == 18
    assert networks["polygon"].token_by_symbol("USDT").decimals == 6
    assert [networks[n].finality for n in ("arbitrum", "base", "optimism")] == ["finalized"] * 3
    assert networks["bsc"].finality == "confirmations"
    assert all(network.providers for network in networks.values())


def test_per_network_settings_override_the_defaults():
    networks = networks_from_env(
        {
            "EVM_NETWORKS": "bsc",
            "bsc_providers": "https://a.example/rpc/KEY1, https://b.example/rpc",
            "BSC_TOKENS": "USDT=0x" + "ab" * 20 + ":18,FDUSD=0x" + "cd" * 20 + ":18",
            "BSC_CONFIRMATIONS": "20",
            "BSC_FINALITY": "finalized",
            "BSC_CHAIN_ID": "97",
        }
    )
    bsc = networks["bsc"]
    assert bsc.providers == ("https://a.example/rpc/KEY1", "https://b.example/rpc")
    assert bsc.token_by_symbol("USDT").contract == "0x" + "ab" * 20
    assert bsc.token_by_symbol("FDUSD").decimals == 18
    assert bsc.token_by_symbol("USDC") is not None  # defaults not named stay
    assert (bsc.confirmations, bsc.finality, bsc.chain_id) == (20, "finalized", 97)


def test_the_old_shorthand_names_the_network_and_its_provider():
    networks = networks_from_env({"EVM_NETWORKS": "bsc=https://bsc.test/rpc,polygon"})
    assert networks["bsc"].providers == ("https://bsc.test/rpc",)
    assert networks["bsc"].chain_id == 56
    assert networks["polygon"].providers == BUILTIN["polygon"].providers


def test_eth_keeps_its_old_settings():
    eth = networks_from_env(
        {"ETH_PROVIDERS": "http://127.0.0.1:8545", "ETH_TOKENS": "TUSD=0x" + "11" * 20 + ":6", "ETH_CONFIRMATIONS": "3"}
    )["eth"]
    assert eth.providers == ("http://127.0.0.1:8545",)
    assert eth.token_by_symbol("TUSD").decimals == 6 and eth.confirmations == 3


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"EVM_NETWORKS": "eth"}, "EVM_NETWORKS"),
        ({"EVM_NETWORKS": "bsc=ftp://x"}, "EVM_NETWORKS"),
        ({"EVM_NETWORKS": "mychain"}, "MYCHAIN_CHAIN_ID"),
        ({"EVM_NETWORKS": "bsc", "BSC_TOKENS": "USDT=0x12:18"}, "BSC_TOKENS"),
        ({"EVM_NETWORKS": "bsc", "BSC_TOKENS": "USDT=0x" + "ab" * 20 + ":x"}, "BSC_TOKENS"),
        ({"EVM_NETWORKS": "base", "BASE_FINALITY": "eventually"}, "BASE_FINALITY"),
        ({"EVM_NETWORKS": "base", "BASE_CONFIRMATIONS": "0"}, "BASE_CONFIRMATIONS"),
        ({"EVM_NETWORKS": "bsc", "BSC_PROVIDERS": "not a url"}, "BSC_PROVIDERS"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(env, names):
    with pytest.raises(NetworkConfigError, match=names):
        networks_from_env(env)


def test_an_unknown_network_with_a_chain_id_is_accepted():
    network = networks_from_env(
        {"EVM_NETWORKS": "devnet", "DEVNET_CHAIN_ID": "31337", "DEVNET_PROVIDERS": "http://127.0.0.1:1"}
    )["devnet"]
    assert (network.chain_id, network.native, network.finality) == (31337, "ETH", "confirmations")


def test_explorer_links_name_the_network():
    networks = networks_from_env({"EVM_NETWORKS": "bsc,polygon,arbitrum,base,optimism"})
    h, a, c = "0x" + "ab" * 32, "0x" + "cd" * 20, "0x" + "ef" * 20
    assert networks["eth"].tx_url(h) == f"https://etherscan.io/tx/{h}"
    assert networks["bsc"].address_url(a) == f"https://bscscan.com/address/{a}"
    assert networks["polygon"].token_url(c, a) == f"https://polygonscan.com/token/{c}?a={a}"
    assert networks["arbitrum"].tx_url(h).startswith("https://arbiscan.io/")
    assert networks["base"].tx_url(h).startswith("https://basescan.org/")
    assert networks["optimism"].tx_url(h).startswith("https://optimistic.etherscan.io/")


def test_the_finality_rule_is_said_in_words():
    networks = networks_from_env({"EVM_NETWORKS": "bsc,base"})
    assert networks["bsc"].finality_rule() == "15 confirmations on BSC"
    assert "'finalized' block tag of Base" in networks["base"].finality_rule()


def test_wrong_network_names_both_networks_and_what_finance_can_do():
    networks = networks_from_env({"EVM_NETWORKS": "bsc"})
    assert wrong_network("bsc", "bsc", networks) is None
    decision = wrong_network("eth", "bsc", networks, amounts="25 USDT to " + PLAYER_ADDRESS)
    assert decision is not None and (decision.issued, decision.found) == ("eth", "bsc")
    assert "Sent on BSC" in decision.summary and "issued for Ethereum" in decision.summary
    assert "25 USDT" in decision.summary
    assert "treasury" in decision.action and "same key" in decision.action


# ---- against real nodes: chain ids 1, 56, 8453 -------------------------------------------------


@pytest.fixture(scope="module")
def nodes() -> Iterator[dict[int, Anvil]]:
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    started = {chain_id: Anvil.start(chain_id=chain_id) for chain_id in (1, 56, 8453)}
    yield started
    for node in started.values():
        node.stop()


@pytest.fixture(scope="module")
def usdt(nodes) -> dict[int, str]:
    """A USDT of its own on every node: 6 decimals on 1 and 8453, 18 on 56 (as on BSC)."""
    require(SOLC.exists(), "the solc compiler is not installed: run `npm ci`")
    contract = compile_contracts()["TestToken"]
    deployed = {}
    for chain_id, node in nodes.items():
        w3 = Web3(Web3.HTTPProvider(node.url))
        factory = w3.eth.contract(abi=contract["abi"], bytecode=contract["bytecode"])
        decimals = 18 if chain_id == 56 else 6
        tx = factory.constructor("Tether USD", "USDT", decimals).transact({"from": w3.eth.accounts[0]})
        deployed[chain_id] = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"].lower()
    return deployed


def _env(nodes, usdt, bsc_decimals: int = 18) -> dict[str, str]:
    return {
        "EVM_NETWORKS": "bsc,base",
        "ETH_PROVIDERS": nodes[1].url,
        "ETH_TOKENS": f"USDT={usdt[1]}:6",
        "BSC_PROVIDERS": nodes[56].url,
        "BSC_TOKENS": f"USDT={usdt[56]}:{bsc_decimals}",
        "BASE_PROVIDERS": nodes[8453].url,
        "BASE_TOKENS": f"USDT={usdt[8453]}:6",
    }


def _only_configured_tokens(network):
    from dataclasses import replace

    return replace(network, tokens=tuple(t for t in network.tokens if t.symbol == "USDT"))


@pytest.mark.anvil
def test_each_node_matches_its_network(nodes, usdt):
    for network in networks_from_env(_env(nodes, usdt)).values():
        check_network(_only_configured_tokens(network))


@pytest.mark.anvil
def test_a_provider_with_the_wrong_chain_id_stops_the_start_with_a_message(nodes, usdt):
    env = {**_env(nodes, usdt), "BSC_PROVIDERS": nodes[8453].url}  # Base's node given as BSC's
    bsc = networks_from_env(env)["bsc"]
    with pytest.raises(NetworkCheckError, match=r"BSC_PROVIDERS: .* serves chain id 8453 \(Base\), not BSC's 56"):
        check_network(bsc, tokens=False)


@pytest.mark.anvil
def test_usdt_configured_with_six_decimals_on_bsc_is_refused(nodes, usdt):
    bsc = _only_configured_tokens(networks_from_env(_env(nodes, usdt, bsc_decimals=6))["bsc"])
    with pytest.raises(NetworkCheckError, match=r"BSC_TOKENS: USDT .* has 18 decimals on BSC, configured 6"):
        check_network(bsc)


@pytest.mark.anvil
def test_a_hash_without_a_network_is_found_on_the_network_that_knows_it(nodes, usdt):
    w3 = Web3(Web3.HTTPProvider(nodes[56].url))
    contract = w3.eth.contract(address=Web3.to_checksum_address(usdt[56]), abi=compile_contracts()["TestToken"]["abi"])
    tx = contract.functions.mint(Web3.to_checksum_address(PLAYER_ADDRESS), 25 * 10**18).transact(
        {"from": w3.eth.accounts[0]}
    )
    tx_hash = "0x" + bytes(tx).hex()
    networks = networks_from_env(_env(nodes, usdt))
    calls: list[tuple[str, str]] = []
    call = http_call()

    def counting(url, method, params):
        calls.append((url, method))
        return call(url, method, params)

    found = locate(tx_hash, networks, counting)
    assert list(found) == ["bsc"]
    assert found["bsc"]["hash"] == tx_hash
    # one question per network, all asked together
    assert sorted(calls) == sorted((n.providers[0], "eth_getTransactionByHash") for n in networks.values())
    decision = wrong_network("eth", next(iter(found)), networks)
    assert decision is not None and "issued for Ethereum" in decision.summary
