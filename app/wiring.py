"""Builds the domain objects from Settings, once at start-up."""

from __future__ import annotations

from app.settings import Settings
from chains.base import Chain
from chains.bitcoin.esplora import EsploraAdapter
from chains.providers import ProviderPool
from investigations.service import Investigator
from investigations.verdicts import Policy

EXPLORER_TX_URL = {
    Chain.BTC: "https://mempool.space/tx/{tx_hash}",
    Chain.ETH: "https://etherscan.io/tx/{tx_hash}",
}
BLOCK_SECONDS = {Chain.BTC: 600, Chain.ETH: 12}


def build_pools(settings: Settings) -> dict[Chain, ProviderPool]:
    timeout = (min(3.05, settings.provider_timeout_seconds), settings.provider_timeout_seconds)
    adapters = []
    for spec in settings.btc_providers:
        _kind, _, url = spec.partition(":")
        adapters.append(EsploraAdapter(url, timeout=timeout))
    return {Chain.BTC: ProviderPool(adapters)}


def build_policy(settings: Settings) -> Policy:
    return Policy(
        required_confirmations={Chain.BTC: settings.btc_confirmations, Chain.ETH: settings.eth_confirmations},
        min_deposits=dict(settings.min_deposits),
        block_seconds=BLOCK_SECONDS,
        explorer_tx_url=EXPLORER_TX_URL,
    )


def build_investigator(settings: Settings) -> Investigator:
    return Investigator(build_pools(settings), build_policy(settings))
