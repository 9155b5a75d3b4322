"""`depositdesk networks` and the start-up check: a provider serving another chain stops `serve`
with a message (real anvil nodes with chain ids 56 and 8453); a bad <NET>_* setting is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.conftest import PROVIDERS, require
from tests.support.anvil import ANVIL, Anvil


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BTC_PROVIDERS", ",".join(PROVIDERS))
    monkeypatch.setenv("ETH_PROVIDERS", "http://127.0.0.1:9")
    return monkeypatch


@pytest.fixture(scope="module")
def nodes() -> Iterator[dict[int, Anvil]]:
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    started = {chain_id: Anvil.start(chain_id=chain_id) for chain_id in (56, 8453)}
    yield started
    for node in started.values():
        node.stop()


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_networks_lists_each_network_with_its_chain_id_and_rule(env):
    env.setenv("EVM_NETWORKS", "bsc,base")
    result = invoke("networks")
    assert result.exit_code == 0, result.output
    assert "bsc  chain id 56  BNB  final after 15 confirmations on BSC" in result.output
    assert "base  chain id 8453  ETH" in result.output and "'finalized' block tag of Base" in result.output
    assert "USDT=0x55d398326f99059ff775485246999027b3197955:18" in result.output


def test_a_bad_network_setting_is_refused_naming_the_variable(env):
    env.setenv("EVM_NETWORKS", "bsc")
    env.setenv("BSC_FINALITY", "someday")
    result = invoke("networks")
    assert result.exit_code != 0 and "BSC_FINALITY" in result.output


@pytest.mark.anvil
def test_a_provider_with_the_wrong_chain_id_stops_the_start(env, nodes):
    env.setenv("EVM_NETWORKS", "bsc")
    env.setenv("BSC_PROVIDERS", nodes[8453].url)
    result = invoke("serve", "--port", "1")
    assert result.exit_code != 0
    assert "BSC_PROVIDERS: http://127.0.0.1" in result.output
    assert "serves chain id 8453 (Base), not BSC's 56" in result.output


@pytest.mark.anvil
def test_the_check_passes_chain_ids_then_asks_each_token_for_its_decimals(env, nodes):
    env.setenv("EVM_NETWORKS", "bsc,base")
    env.setenv("BSC_PROVIDERS", nodes[56].url)
    env.setenv("BASE_PROVIDERS", nodes[8453].url)
    result = invoke("networks", "--check")
    # the chain ids pass; then the built-in BSC USDT contract is asked for decimals() on a bare node
    assert result.exit_code != 0
    assert "BSC_TOKENS: USDT:" in result.output and "has no decimals()" in result.output
    assert "serves chain id" not in result.output


@pytest.mark.anvil
def test_an_ethereum_provider_serving_bsc_stops_the_start_too(env, nodes):
    env.setenv("EVM_NETWORKS", "base")
    env.setenv("BASE_PROVIDERS", nodes[8453].url)
    env.setenv("ETH_PROVIDERS", nodes[56].url)
    result = invoke("serve", "--port", "1")
    assert result.exit_code != 0
    assert "ETH_PROVIDERS: http://127.0.0.1" in result.output
    assert "serves chain id 56 (BSC), not Ethereum's 1" in result.output
