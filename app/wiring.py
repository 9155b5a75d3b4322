"""Builds the domain objects from Settings, once at start-up."""

from __future__ import annotations

from app.settings import Settings
from chains.base import Chain
from chains.bitcoin.esplora import EsploraAdapter
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from chains.providers import ProviderPool
from investigations.service import Investigator
from investigations.verdicts import Policy

EXPLORER_TX_URL = {
    Chain.BTC: "https://mempool.space/tx/{tx_hash}",
    Chain.ETH: "https://etherscan.io/tx/{tx_hash}",
}
BLOCK_SECONDS = {Chain.BTC: 600, Chain.ETH: 12}
NATIVE_COIN = {"bsc": "BNB", "polygon": "POL", "avalanche": "AVAX", "fantom": "FTM", "gnosis": "XDAI"}


def _timeout(settings: Settings) -> tuple[float, float]:
    return (min(3.05, settings.provider_timeout_seconds), settings.provider_timeout_seconds)


def build_pools(settings: Settings) -> dict[Chain, ProviderPool]:
    timeout = _timeout(settings)
    btc = [EsploraAdapter(spec.partition(":")[2], timeout=timeout) for spec in settings.btc_providers]
    pools = {Chain.BTC: ProviderPool(btc)}
    if settings.eth_providers:
        eth = [EthereumRpcAdapter(url, assets=settings.assets, timeout=timeout) for url in settings.eth_providers]
        pools[Chain.ETH] = ProviderPool(eth)
    return pools


def build_other_networks(settings: Settings) -> dict[str, ProviderPool]:
    return {
        name: ProviderPool(
            [
                EthereumRpcAdapter(
                    url,
                    assets=settings.assets,
                    name=f"{name}",
                    network=name,
                    native_symbol=NATIVE_COIN.get(
                        name, "ETH" if name in ("arbitrum", "optimism", "base") else name.upper()
                    ),
                    timeout=_timeout(settings),
                )
            ]
        )
        for name, url in settings.evm_networks.items()
    }


def build_policy(settings: Settings) -> Policy:
    return Policy(
        required_confirmations={Chain.BTC: settings.btc_confirmations, Chain.ETH: settings.eth_confirmations},
        min_deposits=dict(settings.min_deposits),
        block_seconds=BLOCK_SECONDS,
        explorer_tx_url=EXPLORER_TX_URL,
        assets=settings.assets,
        finality={Chain.ETH: settings.eth_finality},
    )


def build_investigator(settings: Settings) -> Investigator:
    return Investigator(build_pools(settings), build_policy(settings), other_networks=build_other_networks(settings))
