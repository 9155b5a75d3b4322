"""Issue 23 settings: MIN_DEPOSITS per network and asset (``USDT@bsc``), each network's assets in the
deployment's registry, and the minimum a verdict applies on each network."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, load_settings
from app.wiring import build_policy
from chains.base import Chain

NAMES = ("MIN_DEPOSITS", "EVM_NETWORKS", "BSC_TOKENS", "BASE_TOKENS", "BSC_PROVIDERS", "ETH_TOKENS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def test_a_minimum_per_network_is_read_in_that_networks_decimals(monkeypatch):
    monkeypatch.setenv("EVM_NETWORKS", "bsc,base")
    monkeypatch.setenv("MIN_DEPOSITS", "USDT=10,USDT@bsc=25,ETH@base=0.001")
    settings = load_settings()
    assert settings.min_deposits == {"USDT": 10 * 10**6, "USDT@bsc": 25 * 10**18, "ETH@base": 10**15}
    policy = build_policy(settings)
    assert policy.minimum("USDT", Chain.ETH) == 10 * 10**6
    assert policy.minimum("USDT", Chain.BSC) == 25 * 10**18  # its own entry
    assert policy.minimum("USDT", Chain.BASE) == 10 * 10**6  # USDT on Base has 6 decimals too
    assert policy.minimum("ETH", Chain.BASE) == 10**15


def test_a_plain_minimum_is_scaled_to_a_network_with_other_decimals(monkeypatch):
    monkeypatch.setenv("EVM_NETWORKS", "bsc")
    monkeypatch.setenv("MIN_DEPOSITS", "USDT=10")
    policy = build_policy(load_settings())
    assert policy.minimum("USDT", Chain.BSC) == 10 * 10**18  # 10 USDT, not 10^-11 USDT
    assert policy.minimum("BNB", Chain.BSC) is None


def test_each_network_brings_its_native_coin_and_tokens(monkeypatch):
    monkeypatch.setenv("EVM_NETWORKS", "bsc,polygon")
    monkeypatch.setenv("BSC_TOKENS", "USDT=0x" + "ab" * 20 + ":18")
    assets = load_settings().assets
    assert assets.on(Chain.BSC, "USDT").decimals == 18 and assets.on(Chain.BSC, "USDT").contract == "0x" + "ab" * 20
    assert assets.on(Chain.BSC, "BNB").decimals == 18 and assets.on(Chain.POLYGON, "POL") is not None
    assert assets.get("USDT").chain is Chain.ETH  # a bare symbol is still Ethereum's
    assert assets.for_chain(Chain.BSC).get("USDT").decimals == 18
    assert assets.on(Chain.ARBITRUM, "USDT") is None  # not configured


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("USDT@bsc=10", "not a configured EVM network"),  # bsc is not in EVM_NETWORKS here
        ("USDT@mars=10", "not a configured EVM network"),
        ("DOGE@eth=1", "not an asset of eth"),
        ("USDT@eth=0.0000001", "more than 6 decimal places"),
    ],
)
def test_a_bad_network_minimum_names_the_variable(monkeypatch, value, says):
    monkeypatch.setenv("MIN_DEPOSITS", value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "MIN_DEPOSITS" in str(error.value) and says in str(error.value)
