"""Builds the domain objects from Settings, once at start-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.finance.auditor import Auditor
from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.clients.chatwoot import Chatwoot
from app.helpdesks.clients.freshdesk import Freshdesk
from app.helpdesks.clients.generic import Generic
from app.helpdesks.clients.intercom import Intercom
from app.helpdesks.clients.zendesk import Zendesk
from app.helpdesks.public_reply import PublicReplies, ReplyPolicy
from app.helpdesks.work import HelpdeskWork
from app.players.discord.api import DiscordApi
from app.players.discord.commands import DiscordConversation
from app.players.discord.work import DiscordWork
from app.players.telegram.bot_api import BotApi
from app.players.telegram.conversation import Conversation, Search
from app.players.telegram.work import TelegramWork
from app.runtime.activity import Retention
from app.runtime.workers import BackgroundWork, Together
from app.settings import Settings
from chains import http
from chains.base import Chain
from chains.bitcoin.core_rpc import BitcoinCoreAdapter
from chains.bitcoin.esplora import EsploraAdapter
from chains.blocks import BlockSource, BlockSources
from chains.ethereum.account_api import AccountApiAdapter
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from chains.ethereum.networks import BLOCK_SECONDS as EVM_BLOCK_SECONDS
from chains.ethereum.networks import EVM_CHAINS, ChainIdChecked, EvmNetwork, chain_of, http_call
from chains.providers import ProviderPool, ProviderSettings
from chains.resilience import Shared, redis_client
from chains.tron.wallet import TronHttpAdapter
from investigations.audit.reconcile import Reconciler
from investigations.models import Investigation
from investigations.search import SearchQuery, search
from investigations.service import Investigator
from investigations.verdicts import Policy

EXPLORER_TX_URL = {
    Chain.BTC: "https://mempool.space/tx/{tx_hash}",
    Chain.ETH: "https://etherscan.io/tx/{tx_hash}",
    Chain.TRON: "https://tronscan.org/#/transaction/{tx_hash}",
}
BLOCK_SECONDS = {Chain.BTC: 600, Chain.ETH: 12, Chain.TRON: 3}
# Confirmations past which a reorg is not a practical risk: chain facts are then cached for good.
# TRON's are cached once solidified (its finality rule), whatever this says.
SETTLED_DEPTH = {
    Chain.BTC: 6,
    Chain.ETH: 64,
    Chain.BSC: 64,
    Chain.POLYGON: 256,
    Chain.ARBITRUM: 64,
    Chain.BASE: 64,
    Chain.OPTIMISM: 64,
    Chain.TRON: 19,
}
NATIVE_COIN = {"bsc": "BNB", "polygon": "POL", "avalanche": "AVAX", "fantom": "FTM", "gnosis": "XDAI"}


def _timeout(settings: Settings) -> tuple[float, float]:
    return (min(3.05, settings.provider_timeout_seconds), settings.provider_timeout_seconds)


def provider_settings(settings: Settings, chain: Chain) -> ProviderSettings:
    return ProviderSettings(
        rate_limit={Chain.BTC: settings.btc_rate_limit, Chain.TRON: settings.tron_rate_limit}.get(
            chain, settings.eth_rate_limit
        ),
        retries=settings.provider_retries,
        backoff_initial=settings.provider_backoff_seconds,
        backoff_max=max(settings.provider_backoff_seconds, 4.0),
        budget_seconds=settings.lookup_budget_seconds,
        settled_depth=SETTLED_DEPTH[chain],
        log_span=settings.eth_log_span,
        rate_burst=settings.provider_rate_burst,
        # No single provider may use up the lookup's budget.
        call_deadline=min(settings.provider_timeout_seconds, settings.lookup_budget_seconds / 2),
        hedge_min=settings.provider_hedge_min_seconds,
        hedge_max=settings.provider_hedge_max_seconds,
        tip_max_age=settings.btc_tip_max_age_seconds if chain is Chain.BTC else 0.0,
    )


def shared_state(settings: Settings) -> Shared | None:
    """Redis for the limits and breakers every process shares; None: each process keeps its own."""
    return Shared(redis_client(settings.redis_url), settings.redis_prefix) if settings.redis_url else None


def _btc_adapter(spec: str, timeout: tuple[float, float]) -> EsploraAdapter | BitcoinCoreAdapter:
    kind, _, url = spec.partition(":")
    if kind == "bitcoincore":
        return BitcoinCoreAdapter(url, timeout=timeout)
    return EsploraAdapter(url, timeout=timeout)


def build_pools(settings: Settings) -> dict[Chain, ProviderPool]:
    timeout = _timeout(settings)
    shared = shared_state(settings)
    btc = [_btc_adapter(spec, timeout) for spec in settings.btc_providers]
    pools = {Chain.BTC: ProviderPool(btc, provider_settings(settings, Chain.BTC), shared=shared)}
    if settings.eth_providers:
        eth = [EthereumRpcAdapter(url, assets=settings.assets, timeout=timeout) for url in settings.eth_providers]
        pools[Chain.ETH] = ProviderPool(eth, provider_settings(settings, Chain.ETH), shared=shared)
        pools[Chain.ETH].add_history_providers(
            [AccountApiAdapter(url, timeout=timeout) for url in settings.eth_history_providers]
        )
    for name, network in settings.evm_network_configs().items():  # issue 23: BSC, Polygon, Base… as chains
        chain = chain_of(name)
        if chain is not None and chain is not Chain.ETH:
            pools[chain] = _network_pool(settings, network, chain)
    if settings.tron_providers:  # issue 24
        tron = [tron_adapter(spec, settings, timeout) for spec in settings.tron_providers]
        pools[Chain.TRON] = ProviderPool(tron, provider_settings(settings, Chain.TRON), shared=shared)
    return pools


def tron_adapter(spec: str, settings: Settings, timeout: tuple[float, float]) -> TronHttpAdapter:
    """One TRON provider of TRON_PROVIDERS (trongrid:URL or fullnode:URL); TRON_API_KEY as its header."""
    kind, _, url = spec.partition(":")
    return TronHttpAdapter(
        url, assets=settings.assets, kind=kind, api_key=settings.tron_api_key or None, timeout=timeout
    )


def _network_pool(settings: Settings, network: EvmNetwork, chain: Chain | None) -> ProviderPool:
    """A full pool (failover, hedging, shared limits, breakers) for an EVM network beside Ethereum,
    each provider checked for its chain id before its first answer is used, with the network's tokens."""
    timeout = _timeout(settings)
    name = network.name
    tokens = {token.contract: token.symbol for token in network.tokens}
    adapters = [
        ChainIdChecked(
            EthereumRpcAdapter(
                url,
                assets=settings.assets,
                name=name if len(network.providers) == 1 else f"{name}:{http.host_of(url)}",
                network=name,
                native_symbol=network.native,
                tokens=tokens,
                timeout=timeout,
                chain=chain or Chain.ETH,
                final_tag="safe" if network.finality == "safe" else "finalized",
            ),
            network,
            url,
            http_call(settings.provider_timeout_seconds),
        )
        for url in network.providers
    ]
    return ProviderPool(adapters, provider_settings(settings, chain or Chain.ETH), shared=shared_state(settings))


def build_other_networks(settings: Settings, pools: dict[Chain, ProviderPool] | None = None) -> dict[str, ProviderPool]:
    """Every EVM network beside Ethereum by name: the chain's own pool for BSC, Polygon, Arbitrum, Base
    and Optimism (``pools``, when given), a pool of its own for a shorthand-only network."""
    others = {}
    for name, network in settings.evm_network_configs().items():
        if name == "eth":
            continue
        chain = chain_of(name)
        known = (pools or {}).get(chain) if chain is not None else None
        others[name] = known if known is not None else _network_pool(settings, network, chain)
    return others


def build_policy(settings: Settings) -> Policy:
    networks = settings.evm_network_configs()
    evm = {chain: networks[chain.value] for chain in EVM_CHAINS if chain.value in networks}
    return Policy(
        required_confirmations={
            Chain.BTC: settings.btc_confirmations,
            Chain.ETH: settings.eth_confirmations,
            **{chain: n.confirmations for chain, n in evm.items() if chain is not Chain.ETH},
        }
        | ({Chain.TRON: settings.tron_confirmations} if settings.tron_providers else {}),
        min_deposits=dict(settings.min_deposits),
        block_seconds={**BLOCK_SECONDS, **EVM_BLOCK_SECONDS},
        explorer_tx_url={
            **EXPLORER_TX_URL,
            **{chain: n.explorer + "/tx/{tx_hash}" for chain, n in evm.items() if chain is not Chain.ETH},
        },
        assets=settings.assets,
        finality={Chain.ETH: settings.eth_finality, **{c: n.finality for c, n in evm.items() if c is not Chain.ETH}}
        | ({Chain.TRON: "finalized"} if settings.tron_providers else {}),  # TRON: solidified
        networks=networks,
        payout_grace=timedelta(minutes=settings.payout_grace_minutes),
        payout_fee_horizon_blocks=settings.payout_fee_horizon_blocks,
    )


def build_investigator(settings: Settings) -> Investigator:
    pools = build_pools(settings)
    return Investigator(
        pools,
        build_policy(settings),
        other_networks=build_other_networks(settings, pools),
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
            max_pages=settings.helpdesk_max_pages,
            player_field_id=settings.zendesk_player_field_id,
        )
    if settings.freshdesk_webhook_secrets:
        desks["freshdesk"] = Freshdesk(
            settings.freshdesk_base_url,
            settings.freshdesk_api_key,
            settings.freshdesk_webhook_secrets,
            rate_per_second=settings.freshdesk_rate_limit,
            update_rate_per_second=settings.freshdesk_update_rate_limit,
            max_pages=settings.helpdesk_max_pages,
        )
    if settings.chatwoot_webhook_secrets:
        desks["chatwoot"] = Chatwoot(
            settings.chatwoot_base_url,
            settings.chatwoot_account_id,
            settings.chatwoot_api_token,
            settings.chatwoot_webhook_secrets,
            rate_per_second=settings.chatwoot_rate_limit,
            inbox_id=settings.chatwoot_inbox_id,
            max_pages=settings.helpdesk_max_pages,
        )
    if settings.intercom_client_secrets:  # issue 26
        desks["intercom"] = Intercom(
            settings.intercom_access_token,
            settings.intercom_client_secrets,
            settings.intercom_admin_id,
            base_url=settings.intercom_base_url,
            rate_per_second=settings.intercom_rate_limit,
        )
    if settings.webhook_secrets:
        desks["generic"] = Generic(settings.webhook_callback_url or None, settings.webhook_secrets)
    return desks


def build_work(
    settings: Settings, investigator: Investigator, *, helpdesks: dict[str, Helpdesk] | None = None
) -> Together:
    """Everything the background workers do: the helpdesks' jobs, and the bot's when it is configured."""
    desks = build_helpdesks(settings) if helpdesks is None else helpdesks
    helpdesk_work = HelpdeskWork(desks, investigator, settings.public_base_url)
    if settings.auto_reply_mode != "off":  # issue 26: public replies
        helpdesk_work.notes.public = PublicReplies(
            ReplyPolicy(settings.auto_reply_mode, frozenset(settings.auto_reply), settings.auto_reply_max_per_ticket),
            desks,
        )
    works: list[BackgroundWork] = [helpdesk_work]
    if settings.telegram_bot_token:
        works.append(build_telegram(settings, investigator, helpdesks=list(desks)))
    if settings.discord_application_id and settings.discord_public_key:  # issue 27
        works.append(build_discord(settings, investigator, helpdesks=list(desks)))
    return Together(*works, housekeepers=(Retention(settings.activity_retention_days),))  # issue 28


def _conversation_args(
    settings: Settings, investigator: Investigator, helpdesks: list[str], channel: str
) -> dict[str, Any]:
    """What every messenger's conversation is built with: the same handover desk, grace and search."""
    handover = settings.telegram_handover_helpdesk or (helpdesks[0] if helpdesks else None)
    return {
        "investigator": investigator,
        "public_base_url": settings.public_base_url,
        "secret": settings.resolved_secret_key(),
        "handover_helpdesk": handover if handover in helpdesks else None,
        "handover_grace": timedelta(minutes=settings.telegram_handover_grace_minutes),
        "search": _player_search(investigator, channel),
    }


def build_discord_api(settings: Settings) -> DiscordApi:
    return DiscordApi(settings.discord_application_id, settings.discord_bot_token, settings.discord_api_url)


def build_discord(settings: Settings, investigator: Investigator, *, helpdesks: list[str]) -> DiscordWork:
    """The Discord bot: the same conversation as Telegram's (handover desk, grace, search and limits alike)."""
    conversation = DiscordConversation(**_conversation_args(settings, investigator, helpdesks, "discord"))
    return DiscordWork(
        build_discord_api(settings),
        conversation,
        per_user_per_minute=settings.telegram_rate_limit_per_chat,
        global_per_minute=settings.telegram_rate_limit_global,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
    )


def build_bot_api(settings: Settings) -> BotApi:
    return BotApi(settings.telegram_bot_token, settings.telegram_api_url)


def build_telegram(settings: Settings, investigator: Investigator, *, helpdesks: list[str]) -> TelegramWork:
    conversation = Conversation(**_conversation_args(settings, investigator, helpdesks, "telegram"))
    return TelegramWork(
        build_bot_api(settings),
        conversation,
        per_chat_per_minute=settings.telegram_rate_limit_per_chat,
        global_per_minute=settings.telegram_rate_limit_global,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
    )


def _player_search(investigator: Investigator, via: str = "telegram") -> Search:
    """The bot's "my deposit did not arrive": the no-hash search over the player's own addresses."""

    def run(session: Session, player_ref: str) -> tuple[list[Investigation], bool]:
        result = search(session, investigator, SearchQuery(player_ref=player_ref, ticket_ref=via))
        return result.candidates, result.complete

    return run


def build_block_sources(settings: Settings) -> dict[Chain, BlockSources]:
    """The deposit auditor's block readers, one per configured provider, in the configured order."""
    from chains.bitcoin.blocks import CoreBlocks, EsploraBlocks
    from chains.ethereum.blocks import EthereumBlocks

    timeout = _timeout(settings)
    btc: list[BlockSource] = []
    for spec in settings.btc_providers:
        kind, _, url = spec.partition(":")
        btc.append(CoreBlocks(url, timeout=timeout) if kind == "bitcoincore" else EsploraBlocks(url, timeout=timeout))
    sources = {Chain.BTC: BlockSources(btc)}
    if settings.eth_providers:
        eth: list[BlockSource] = [
            EthereumBlocks(url, assets=settings.assets, timeout=timeout) for url in settings.eth_providers
        ]
        sources[Chain.ETH] = BlockSources(eth)
    if settings.tron_providers:  # issue 24: followed on the solidified head
        from chains.tron.blocks import TronBlocks

        tron: list[BlockSource] = []
        for spec in settings.tron_providers:
            kind, _, url = spec.partition(":")
            key = settings.tron_api_key or None
            tron.append(TronBlocks(url, assets=settings.assets, kind=kind, api_key=key, timeout=timeout))
        sources[Chain.TRON] = BlockSources(tron)
    for name, network in settings.evm_network_configs().items():  # issue 23: a follower per EVM network
        chain = chain_of(name)
        if chain is None or chain is Chain.ETH:
            continue
        tokens = {token.contract: token.symbol for token in network.tokens}
        readers: list[BlockSource] = [
            ChainIdChecked(  # a reader of another chain never feeds this network's follower
                EthereumBlocks(
                    url,
                    assets=settings.assets,
                    name=name if len(network.providers) == 1 else f"{name}:{http.host_of(url)}",
                    network=name,
                    native_symbol=network.native,
                    tokens=tokens,
                    timeout=timeout,
                    chain=chain,
                ),
                network,
                url,
                http_call(settings.provider_timeout_seconds),
            )
            for url in network.providers
        ]
        sources[chain] = BlockSources(readers)
    return sources


def build_auditor(settings: Settings, engine: Engine, investigator: Investigator) -> Auditor:
    from datetime import timedelta

    starts = {
        Chain.BTC: settings.audit_btc_start_height,
        Chain.ETH: settings.audit_eth_start_height,
        Chain.TRON: settings.audit_tron_start_height,
    }
    audited = set(settings.audit_chains)
    if "audit_chains" not in settings.model_fields_set:  # by default every configured EVM network too
        audited |= {c for c in (chain_of(name) for name in settings.evm_network_configs()) if c is not None}
    sources = {chain: source for chain, source in build_block_sources(settings).items() if chain in audited}
    return Auditor(
        engine,
        sources,
        Reconciler(investigator, grace=timedelta(minutes=settings.audit_grace_minutes)),
        lease=timedelta(seconds=settings.audit_lease_seconds),
        blocks_per_round=settings.audit_blocks_per_round,
        start_heights={chain: height for chain, height in starts.items() if height is not None},
        callback_url=settings.audit_callback_url,
        callback_secret=settings.audit_callback_secret,
    )
