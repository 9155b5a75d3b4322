"""Builds the domain objects from Settings, once at start-up."""

from __future__ import annotations

from datetime import timedelta

from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.clients.chatwoot import Chatwoot
from app.helpdesks.clients.freshdesk import Freshdesk
from app.helpdesks.clients.generic import Generic
from app.helpdesks.clients.zendesk import Zendesk
from app.helpdesks.work import HelpdeskWork
from app.settings import Settings
from chains.base import Chain
from chains.bitcoin.core_rpc import BitcoinCoreAdapter
from chains.bitcoin.esplora import EsploraAdapter
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from chains.providers import ProviderPool, ProviderSettings
from investigations.service import Investigator
from investigations.verdicts import Policy

EXPLORER_TX_URL = {
    Chain.BTC: "https://mempool.space/tx/{tx_hash}",
    Chain.ETH: "https://etherscan.io/tx/{tx_hash}",
}
BLOCK_SECONDS = {Chain.BTC: 600, Chain.ETH: 12}
# Confirmations past which a reorg is not a practical risk: chain facts are then cached for good.
SETTLED_DEPTH = {Chain.BTC: 6, Chain.ETH: 64}
NATIVE_COIN = {"bsc": "BNB", "polygon": "POL", "avalanche": "AVAX", "fantom": "FTM", "gnosis": "XDAI"}


def _timeout(settings: Settings) -> tuple[float, float]:
    return (min(3.05, settings.provider_timeout_seconds), settings.provider_timeout_seconds)


def provider_settings(settings: Settings, chain: Chain) -> ProviderSettings:
    return ProviderSettings(
        rate_limit=settings.btc_rate_limit if chain is Chain.BTC else settings.eth_rate_limit,
        retries=settings.provider_retries,
        backoff_initial=settings.provider_backoff_seconds,
        backoff_max=max(settings.provider_backoff_seconds, 4.0),
        budget_seconds=settings.lookup_budget_seconds,
        settled_depth=SETTLED_DEPTH[chain],
    )


def _btc_adapter(spec: str, timeout: tuple[float, float]) -> EsploraAdapter | BitcoinCoreAdapter:
    kind, _, url = spec.partition(":")
    if kind == "bitcoincore":
        return BitcoinCoreAdapter(url, timeout=timeout)
    return EsploraAdapter(url, timeout=timeout)


def build_pools(settings: Settings) -> dict[Chain, ProviderPool]:
    timeout = _timeout(settings)
    btc = [_btc_adapter(spec, timeout) for spec in settings.btc_providers]
    pools = {Chain.BTC: ProviderPool(btc, provider_settings(settings, Chain.BTC))}
    if settings.eth_providers:
        eth = [EthereumRpcAdapter(url, assets=settings.assets, timeout=timeout) for url in settings.eth_providers]
        pools[Chain.ETH] = ProviderPool(eth, provider_settings(settings, Chain.ETH))
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
            ],
            provider_settings(settings, Chain.ETH),
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
    return Investigator(
        build_pools(settings),
        build_policy(settings),
        other_networks=build_other_networks(settings),
        settled_depth=SETTLED_DEPTH,
        link_secret=settings.resolved_secret_key(),
        body_retention=timedelta(days=settings.evidence_body_retention_days),
    )


def build_helpdesks(settings: Settings) -> dict[str, Helpdesk]:
    """The helpdesks whose webhook secrets are configured."""
    desks: dict[str, Helpdesk] = {}
    if settings.zendesk_webhook_secrets:
        desks["zendesk"] = Zendesk(
            settings.zendesk_base_url,
            settings.zendesk_email,
            settings.zendesk_api_token,
            settings.zendesk_webhook_secrets,
            rate_per_second=settings.zendesk_rate_limit,
            verdict_field_id=settings.zendesk_verdict_field_id,
        )
    if settings.freshdesk_webhook_secrets:
        desks["freshdesk"] = Freshdesk(
            settings.freshdesk_base_url,
            settings.freshdesk_api_key,
            settings.freshdesk_webhook_secrets,
            rate_per_second=settings.freshdesk_rate_limit,
        )
    if settings.chatwoot_webhook_secrets:
        desks["chatwoot"] = Chatwoot(
            settings.chatwoot_base_url,
            settings.chatwoot_account_id,
            settings.chatwoot_api_token,
            settings.chatwoot_webhook_secrets,
            rate_per_second=settings.chatwoot_rate_limit,
        )
    if settings.webhook_secrets:
        desks["generic"] = Generic(settings.webhook_callback_url or None, settings.webhook_secrets)
    return desks


def build_work(settings: Settings, investigator: Investigator) -> HelpdeskWork:
    return HelpdeskWork(build_helpdesks(settings), investigator, settings.public_base_url)
