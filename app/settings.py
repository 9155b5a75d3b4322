"""One Settings object, read from the environment and `.env`, refusing nonsense at start."""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.runtime.webhook_keys import standard_key
from chains.assets import DEFAULT_ASSETS, AmountError, Asset, AssetRegistry, to_base_units
from chains.base import Chain, InvalidAddress
from chains.ethereum.addresses import normalize_address as normalize_eth_address
from chains.ethereum.networks import EvmNetwork, NetworkConfigError, chain_of, network_assets, networks_from_env
from chains.tron.addresses import normalize_address as normalize_tron_address

DATA_DIR = Path("data")
_PROVIDER_KINDS = ("esplora", "bitcoincore")
_TRON_KINDS = ("trongrid", "fullnode")
_TELEGRAM_TOKEN = re.compile(r"[0-9]{3,20}:[A-Za-z0-9_-]{20,100}")
_TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")  # Telegram's own alphabet for secret_token
_SNOWFLAKE = re.compile(r"[0-9]{15,20}")  # Discord's ids
_PLACEHOLDER_SECRETS = {"changethis", "changeme", "secret", "please-change"}


class SettingsError(Exception):
    """Settings that cannot work; the message says which variable and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = Field(default=f"sqlite:///{DATA_DIR}/depositdesk.db")
    btc_providers: Annotated[list[str], NoDecode] = Field(
        default=["esplora:https://mempool.space/api", "esplora:https://blockstream.info/api"]
    )
    eth_providers: Annotated[list[str], NoDecode] = Field(
        default=["https://ethereum-rpc.publicnode.com", "https://eth.llamarpc.com"]
    )
    eth_finality: Literal["confirmations", "finalized"] = "confirmations"
    evm_networks: Annotated[dict[str, str], NoDecode] = Field(default={})
    eth_tokens: Annotated[list[Asset], NoDecode] = Field(default=[])
    btc_confirmations: int = Field(default=2, ge=1, le=1000)
    eth_confirmations: int = Field(default=12, ge=1, le=10000)
    # TRON (issue 24): off until TRON_PROVIDERS names one; kind trongrid: (also the /v1 listing API)
    # or fullnode: (only /wallet and /walletsolidity); the API key goes in the TRON-PRO-API-KEY header.
    tron_providers: Annotated[list[str], NoDecode] = Field(default=[])
    tron_api_key: str = Field(default="", repr=False)
    tron_tokens: Annotated[list[Asset], NoDecode] = Field(default=[])
    tron_confirmations: int = Field(default=19, ge=1, le=1000)  # blocks to solidify, for the ETA
    tron_rate_limit: float = Field(default=10.0, ge=0, le=10_000)
    audit_tron_start_height: int | None = Field(default=None, ge=1)
    min_deposits: Annotated[dict[str, int], NoDecode] = Field(
        default={
            "BTC": 10_000,
            "ETH": 2 * 10**15,
            "USDT": 10_000_000,
            "USDC": 10_000_000,
            "USDT@tron": 10_000_000,
            "TRX": 10_000_000,
        }
    )  # SYMBOL=AMOUNT, or SYMBOL@chain=AMOUNT for a symbol of another chain (USDT@tron=10)
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    lookup_budget_seconds: float = Field(default=20.0, gt=0, le=300)
    provider_retries: int = Field(default=2, ge=0, le=10)
    provider_backoff_seconds: float = Field(default=0.25, ge=0, le=30)
    btc_rate_limit: float = Field(default=5.0, ge=0, le=10_000)
    eth_rate_limit: float = Field(default=10.0, ge=0, le=10_000)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    status_rate_limit_per_ip: float = Field(default=60, gt=0)  # per minute
    status_rate_limit_per_token: float = Field(default=120, gt=0)  # per minute
    status_poll_seconds: float = Field(default=15, ge=1, le=600)
    # The card as a helpdesk side panel (issue 30): origins that may frame /panel, e.g. the Zendesk
    # agent interface (https://acme.zendesk.com) or a Chatwoot instance (https://chat.acme.com)
    embed_origins: Annotated[list[str], NoDecode] = Field(default=[])
    # The player's status page (issue 30): the casino's name and logo, and where to reach support
    brand_name: str = Field(default="", max_length=80)
    brand_logo_url: str = Field(default="", max_length=500)  # https:// (or a path on this host)
    support_url: str = Field(default="", max_length=500)  # https:// chat, https://t.me/bot, or mailto:
    login_rate_limit_per_ip: float = Field(default=10, gt=0)  # sign-in attempts per minute
    forwarded_allow_ips: str = "127.0.0.1"  # proxies trusted for X-Forwarded-Proto/For (TLS, client IP)
    # Helpdesks (each one is enabled by its secrets; base URLs are settings for self-hosted ones and tests)
    zendesk_base_url: str = ""
    zendesk_email: str = ""
    zendesk_api_token: str = ""
    zendesk_webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    zendesk_verdict_field_id: int | None = None
    zendesk_rate_limit: float = Field(default=2.5, gt=0)  # per second: 150 of the Team plan's 200 a minute
    freshdesk_base_url: str = ""
    freshdesk_api_key: str = ""
    freshdesk_webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    freshdesk_rate_limit: float = Field(default=1.0, gt=0)  # 60 of Growth's 200 a minute (webhooks count too)
    chatwoot_base_url: str = ""
    chatwoot_account_id: str = ""
    chatwoot_api_token: str = ""
    chatwoot_webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    chatwoot_rate_limit: float = Field(default=5.0, gt=0)
    # Helpdesk plans (issue 11): Freshdesk ticket updates have a lower limit of their own (80 a minute on
    # Growth); lists are read newest first, at most this many pages (Zendesk and Freshdesk 100 a page,
    # Chatwoot 20)
    freshdesk_update_rate_limit: float = Field(default=0.5, gt=0)  # per second: 30 of Growth's 80 a minute
    helpdesk_max_pages: int = Field(default=10, ge=1, le=100)
    webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    webhook_callback_url: str = ""
    chatwoot_inbox_id: int | None = Field(default=None, ge=1)  # where the bot opens conversations
    # The players' Telegram bot (enabled by its token)
    telegram_bot_token: str = Field(default="", repr=False)
    telegram_bot_username: str = ""
    telegram_webhook_secret: str = Field(default="", repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    telegram_handover_helpdesk: str = ""  # zendesk|freshdesk|chatwoot|generic|intercom; default: the first configured
    telegram_handover_grace_minutes: float = Field(default=30, ge=0, le=7 * 24 * 60)
    telegram_rate_limit_per_chat: float = Field(default=20, gt=0)  # messages per minute
    telegram_rate_limit_global: float = Field(default=1200, gt=0)  # messages per minute, all chats
    # The players' Discord bot (issue 27; enabled by its application id and public key)
    discord_application_id: str = ""
    discord_public_key: str = Field(default="", repr=False)
    discord_bot_token: str = Field(default="", repr=False)
    discord_api_url: str = "https://discord.com/api/v10"
    discord_guild_ids: Annotated[list[str], NoDecode] = Field(default=[])
    # Jobs mostly wait on providers and helpdesks: eight overlap those waits (the figures: bench.public_replies).
    worker_threads: int = Field(default=8, ge=0, le=64)
    job_lease_seconds: float = Field(default=10, ge=2, le=3600)
    job_retry_base_seconds: float = Field(default=5, ge=0, le=3600)
    # No-hash search: who can list ETH sent to an address (Etherscan-compatible account APIs, after
    # the nodes' own Otterscan API), eth_getLogs blocks per request, the Zendesk field naming the player
    eth_history_providers: Annotated[list[str], NoDecode] = Field(default=["https://eth.blockscout.com/api"])
    eth_log_span: int = Field(default=2_000, ge=1, le=1_000_000)
    zendesk_player_field_id: int | None = None
    # Providers that never stall a lookup, and limits shared by every process (issue 12)
    provider_rate_burst: int = Field(default=2, ge=1, le=1000)  # HTTP requests that may go at once
    provider_hedge_min_seconds: float = Field(default=0.1, ge=0, le=60)
    provider_hedge_max_seconds: float = Field(default=1.5, gt=0, le=60)
    # Bitcoin: one tip height shared by every lookup for this long (a known tx then costs one request)
    btc_tip_max_age_seconds: float = Field(default=5.0, ge=0, le=600)
    redis_url: str = ""  # redis://host:6379/0: rate-limit buckets and breakers shared by every process
    redis_prefix: str = Field(default="depositdesk", min_length=1, max_length=100)
    # Limits and access (issue 10): per-route body limits (MAX_BODY_BYTES is the authenticated ledger
    # uploads'), who may read /metrics, whether the API docs are served; see README "Access and limits".
    webhook_max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    request_max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    metrics_allow_ips: Annotated[list[str], NoDecode] = Field(default=["127.0.0.1", "::1"])
    metrics_token: str = ""
    environment: Literal["development", "production"] | None = None  # None: known from PUBLIC_BASE_URL
    docs_enabled: bool | None = None  # None: on in development, off in production
    # Deposit auditor: follows each chain (one process at a time, under a lease) and raises findings
    audit_enabled: bool = False
    audit_grace_minutes: float = Field(default=30, ge=0, le=10_080)
    audit_lease_seconds: float = Field(default=30, ge=1, le=3600)
    audit_poll_seconds: float = Field(default=10, ge=0.05, le=3600)
    audit_blocks_per_round: int = Field(default=20, ge=1, le=1000)
    audit_btc_start_height: int | None = Field(default=None, ge=1)  # without a cursor; default: the tip
    audit_eth_start_height: int | None = Field(default=None, ge=1)
    audit_chains: Annotated[list[Chain], NoDecode] = Field(default=[Chain.BTC, Chain.ETH])
    audit_callback_url: str = ""
    audit_callback_secret: str = ""
    # Payouts (issue 25): how long an approved or sent payout may go unseen on chain before it is
    # "not sent", and within how many blocks its fee must confirm before it is "stuck"
    payout_grace_minutes: float = Field(default=30, ge=0, le=10_080)
    payout_fee_horizon_blocks: int = Field(default=6, ge=1, le=1008)
    # SLA dashboard and evidence files
    sla_first_note_seconds: float = Field(default=60, gt=0, le=86_400)  # webhook to first note target
    sla_resolve_hours: float = Field(default=24, gt=0, le=24 * 90)  # open investigations older than this breach
    dashboard_agents: Annotated[list[str], NoDecode] = Field(default=[])  # agent names; empty: every agent
    evidence_key_file: str = ""  # Ed25519 private key (PEM); default: created once under ./data
    evidence_body_retention_days: int = Field(default=90, ge=1, le=3650)  # raw provider bodies kept this long
    # Production: schema migrations, connection pool, intake back-pressure
    migrate_on_start: bool | None = None  # unset: SQLite migrates on start, PostgreSQL needs `depositdesk migrate`
    database_pool_size: int = Field(default=0, ge=0, le=200)  # 0: sized to the worker threads
    intake_queue_limit: int = Field(default=128, ge=1, le=100_000)  # webhooks waiting to be written, per process
    # Public replies on tickets (issue 26): which verdict codes the bot may answer publicly, and how
    auto_reply: Annotated[list[str], NoDecode] = Field(default=[])
    auto_reply_mode: Literal["off", "shadow", "on"] = "off"
    auto_reply_max_per_ticket: int = Field(default=2, ge=1, le=10)
    intercom_access_token: str = ""
    intercom_client_secrets: Annotated[list[str], NoDecode] = Field(default=[])  # the app's client secret(s)
    intercom_admin_id: str = ""  # the admin (or bot) that notes and replies are written as
    intercom_base_url: str = "https://api.intercom.io"
    intercom_rate_limit: float = Field(default=10.0, gt=0)
    # Roles, sign-in and the activity trail (issue 28)
    activity_retention_days: int = Field(default=0, ge=0, le=36_500)  # 0: kept for good; else `activity prune`
    login_failures_per_account: int = Field(default=5, ge=1, le=1000)  # failed sign-ins in the window
    login_failures_per_ip: int = Field(default=20, ge=1, le=10_000)
    login_failure_window_minutes: float = Field(default=15, gt=0, le=1440)
    oidc_issuer: str = ""  # e.g. https://accounts.google.com; empty: no OIDC sign-in
    oidc_client_id: str = ""
    oidc_client_secret: str = Field(default="", repr=False)
    oidc_role_claim: str = "groups"  # the ID token claim that lists the person's groups
    oidc_role_map: Annotated[dict[str, str], NoDecode] = Field(default={})  # group=role,group=role
    oidc_scopes: str = "openid email profile"
    oidc_name_claim: str = "email"  # the account name of a person signing in for the first time

    @field_validator("oidc_role_map", mode="before")
    @classmethod
    def _parse_role_map(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        mapping = {}
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            group, sep, role = item.rpartition("=")
            if not sep or not group.strip() or role.strip() not in ("agent", "lead", "finance", "admin"):
                raise ValueError(f"{item!r} is not GROUP=ROLE with a role of agent, lead, finance or admin")
            mapping[group.strip()] = role.strip()
        return mapping

    @model_validator(mode="after")
    def _check_oidc(self) -> Settings:
        if not self.oidc_issuer:
            return self
        local = self.oidc_issuer.startswith(("http://127.0.0.1", "http://localhost"))
        if not (self.oidc_issuer.startswith("https://") or local):
            raise ValueError("OIDC_ISSUER must be an https:// URL (the identity provider's issuer)")
        if not self.oidc_client_id:
            raise ValueError("OIDC_ISSUER is set, so OIDC_CLIENT_ID must be set too")
        if not self.oidc_role_map:
            raise ValueError("OIDC_ISSUER is set, so OIDC_ROLE_MAP must map groups to roles (group=role,...)")
        return self

    @field_validator("auto_reply", "intercom_client_secrets", mode="before")
    @classmethod
    def _split_auto_reply(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator("auto_reply")
    @classmethod
    def _check_auto_reply(cls, value: list[str]) -> list[str]:
        from investigations.verdicts import PUBLIC_REPLY_CODES, refused_public_codes

        refused = refused_public_codes(value)
        if refused:
            raise ValueError(
                f"{', '.join(refused)} need(s) a person and can never be answered publicly by the bot; "
                f"AUTO_REPLY may only list {', '.join(sorted(PUBLIC_REPLY_CODES))}"
            )
        return value

    @model_validator(mode="after")
    def _check_intercom(self) -> Settings:
        if self.intercom_client_secrets and not (self.intercom_access_token and self.intercom_admin_id):
            raise ValueError(
                "INTERCOM_CLIENT_SECRETS is set, so INTERCOM_ACCESS_TOKEN and INTERCOM_ADMIN_ID must be set too"
            )
        if self.intercom_client_secrets:
            _http_url(self.intercom_base_url, "INTERCOM_BASE_URL")
        return self

    @field_validator("audit_chains", mode="before")
    @classmethod
    def _split_chains(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _check_hedge_bounds(self) -> Settings:
        if self.provider_hedge_min_seconds > self.provider_hedge_max_seconds:
            raise ValueError("PROVIDER_HEDGE_MIN_SECONDS must not exceed PROVIDER_HEDGE_MAX_SECONDS")
        if self.redis_url and urlsplit(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
        return self

    @field_validator("btc_providers", "eth_providers", "eth_history_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator("dashboard_agents", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator(
        "zendesk_webhook_secrets",
        "freshdesk_webhook_secrets",
        "chatwoot_webhook_secrets",
        "webhook_secrets",
        mode="before",
    )
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator("zendesk_webhook_secrets", "freshdesk_webhook_secrets", "chatwoot_webhook_secrets")
    @classmethod
    def _check_shared_secrets(cls, value: list[str]) -> list[str]:
        """Helpdesk signing secrets are used as they are: printable, no spaces, not a placeholder."""
        for secret in value:
            if len(secret) < 8 or not secret.isascii() or not secret.isprintable() or " " in secret:
                raise ValueError("a secret must be at least 8 printable ASCII characters, without spaces")
            if secret.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError("a placeholder is not a secret")
        return value

    @field_validator("webhook_secrets")
    @classmethod
    def _check_standard_secrets(cls, value: list[str]) -> list[str]:
        """Standard Webhooks secrets must give a key the way the official library derives it."""
        for number, secret in enumerate(value, start=1):
            try:
                standard_key(secret)
            except ValueError as exc:
                raise ValueError(f"secret {number} {exc}") from None
        return value

    @model_validator(mode="after")
    def _check_helpdesks(self) -> Settings:
        """A helpdesk with webhook secrets needs its API credentials (and a URL that is a URL)."""
        needs = {
            "ZENDESK": (
                self.zendesk_webhook_secrets,
                {
                    "ZENDESK_BASE_URL": self.zendesk_base_url,
                    "ZENDESK_EMAIL": self.zendesk_email,
                    "ZENDESK_API_TOKEN": self.zendesk_api_token,
                },
            ),
            "FRESHDESK": (
                self.freshdesk_webhook_secrets,
                {"FRESHDESK_BASE_URL": self.freshdesk_base_url, "FRESHDESK_API_KEY": self.freshdesk_api_key},
            ),
            "CHATWOOT": (
                self.chatwoot_webhook_secrets,
                {
                    "CHATWOOT_BASE_URL": self.chatwoot_base_url,
                    "CHATWOOT_ACCOUNT_ID": self.chatwoot_account_id,
                    "CHATWOOT_API_TOKEN": self.chatwoot_api_token,
                },
            ),
        }
        for name, (configured, required) in needs.items():
            if not configured:
                continue
            missing = [variable for variable, value in required.items() if not value]
            if missing:
                raise ValueError(f"{name}_WEBHOOK_SECRETS is set, so {', '.join(missing)} must be set too")
            base = next(value for variable, value in required.items() if variable.endswith("BASE_URL"))
            _http_url(base, f"{name}_BASE_URL")
        if self.webhook_callback_url:
            _http_url(self.webhook_callback_url, "WEBHOOK_CALLBACK_URL")
        self._check_telegram()
        self._check_discord()
        if self.audit_callback_url:
            _http_url(self.audit_callback_url, "AUDIT_CALLBACK_URL")
        return self

    @field_validator("discord_guild_ids", mode="before")
    @classmethod
    def _split_guilds(cls, value: object) -> object:
        return _comma_list(value)

    def _check_discord(self) -> None:
        """Issue 27: the bot answers when both the application id and its public key are set."""
        if not (self.discord_application_id or self.discord_public_key or self.discord_bot_token):
            return
        if not _SNOWFLAKE.fullmatch(self.discord_application_id):
            raise ValueError("DISCORD_APPLICATION_ID must be the application's id (digits, from the developer portal)")
        if not re.fullmatch(r"[0-9a-fA-F]{64}", self.discord_public_key):
            raise ValueError("DISCORD_PUBLIC_KEY must be the application's public key (64 hex digits)")
        if self.discord_bot_token and not re.fullmatch(r"[A-Za-z0-9._-]{20,200}", self.discord_bot_token):
            raise ValueError("DISCORD_BOT_TOKEN does not look like a bot token (letters, digits, '.', '_', '-')")
        _http_url(self.discord_api_url, "DISCORD_API_URL")
        bad = [guild for guild in self.discord_guild_ids if not _SNOWFLAKE.fullmatch(guild)]
        if bad:
            raise ValueError("DISCORD_GUILD_IDS must be server ids (digits), comma-separated")

    def _check_telegram(self) -> None:
        if not self.telegram_bot_token:
            return
        if not _TELEGRAM_TOKEN.fullmatch(self.telegram_bot_token):
            raise ValueError("TELEGRAM_BOT_TOKEN does not look like a bot token from @BotFather (digits:letters)")
        if self.telegram_bot_username and not _TELEGRAM_USERNAME.fullmatch(self.telegram_bot_username):
            raise ValueError("TELEGRAM_BOT_USERNAME must be the bot's username (5-32 letters, digits, _), without @")
        if self.telegram_webhook_secret and not _TELEGRAM_SECRET.fullmatch(self.telegram_webhook_secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        _http_url(self.telegram_api_url, "TELEGRAM_API_URL")
        desks = {"zendesk", "freshdesk", "chatwoot", "generic", "intercom"}
        if self.telegram_handover_helpdesk and self.telegram_handover_helpdesk not in desks:
            raise ValueError(f"TELEGRAM_HANDOVER_HELPDESK must be one of {', '.join(sorted(desks))}")

    @field_validator("eth_providers")
    @classmethod
    def _check_eth_providers(cls, value: list[str]) -> list[str]:
        for url in value:
            _http_url(url, "an Ethereum JSON-RPC provider")
        return value

    @field_validator("eth_history_providers")
    @classmethod
    def _check_eth_history_providers(cls, value: list[str]) -> list[str]:
        for url in value:
            _http_url(url, "ETH_HISTORY_PROVIDERS (an Etherscan-compatible account API)")
        return value

    @field_validator("evm_networks", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        """`bsc,polygon` (each configured by its <NET>_* settings) or the older `bsc=https://…`
        shorthand (the network and its first provider); chains/ethereum/networks.py reads the rest."""
        if not isinstance(value, str):
            return value
        networks = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, sep, url = item.partition("=")
            name = name.strip().lower()
            if not name.replace("-", "").isalnum() or name in ("eth", "ethereum"):
                raise ValueError(f"{_redact(item)!r} is not a network other than Ethereum (NAME or NAME=URL)")
            networks[name] = _http_url(url.strip(), name) if sep else ""
        return networks

    def evm_network_configs(self, environ: Mapping[str, str] | None = None) -> dict[str, EvmNetwork]:
        """Every EVM network (eth first) with its <NET>_PROVIDERS/_TOKENS/_CONFIRMATIONS/_FINALITY/_CHAIN_ID;
        NetworkConfigError names the variable that cannot work."""
        env = {**(dotenv_values(".env") if environ is None else {}), **(os.environ if environ is None else environ)}
        env = {k.upper(): v for k, v in env.items() if v is not None}
        env["EVM_NETWORKS"] = ",".join(f"{n}={u}" if u else n for n, u in self.evm_networks.items())
        if self.eth_providers:
            env["ETH_PROVIDERS"] = ",".join(self.eth_providers)
        env["ETH_CONFIRMATIONS"] = str(self.eth_confirmations)
        env["ETH_FINALITY"] = self.eth_finality
        return networks_from_env(env)

    @field_validator("btc_providers")
    @classmethod
    def _check_btc_providers(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one Bitcoin provider is needed, e.g. esplora:https://mempool.space/api")
        return [_provider_spec(item) for item in value]

    @field_validator("eth_tokens", mode="before")
    @classmethod
    def _parse_tokens(cls, value: object) -> object:
        """`SYMBOL=0xCONTRACT:DECIMALS,…`: replaces same-symbol defaults, adds the rest."""
        if not isinstance(value, str):
            return value
        tokens = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            symbol, _, rest = item.partition("=")
            contract, _, decimals = rest.partition(":")
            symbol = symbol.strip().upper()
            if not symbol.isalnum() or not decimals.strip().isdigit() or int(decimals) > 36:
                raise ValueError(f"{item!r} is not SYMBOL=0xCONTRACT:DECIMALS")
            if DEFAULT_ASSETS.get(symbol) and DEFAULT_ASSETS.get(symbol).contract is None:  # type: ignore[union-attr]
                raise ValueError(f"{symbol} is a native coin, not a token")
            try:
                contract = normalize_eth_address(contract)
            except InvalidAddress as exc:
                raise ValueError(f"{symbol}: {exc}") from exc
            tokens.append(Asset(symbol, Chain.ETH, int(decimals), contract))
        return tokens

    @field_validator("tron_providers", mode="before")
    @classmethod
    def _split_tron_providers(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator("tron_providers")
    @classmethod
    def _check_tron_providers(cls, value: list[str]) -> list[str]:
        specs = []
        for item in value:
            kind, sep, url = item.partition(":")
            if kind in ("http", "https"):
                kind, url = "fullnode", item
            elif not sep or kind not in _TRON_KINDS:
                raise ValueError(f"{_redact(item)!r}: provider kind must be one of {', '.join(_TRON_KINDS)} (kind:URL)")
            specs.append(f"{kind}:{_http_url(url, kind)}")
        return specs

    @field_validator("tron_tokens", mode="before")
    @classmethod
    def _parse_tron_tokens(cls, value: object) -> object:
        """`SYMBOL=T…CONTRACT:DECIMALS,…`: replaces same-symbol TRON defaults, adds the rest."""
        if not isinstance(value, str):
            return value
        tokens = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            symbol, _, rest = item.partition("=")
            contract, _, decimals = rest.strip().rpartition(":")
            symbol = symbol.strip().upper()
            if not symbol.isalnum() or not decimals.strip().isdigit() or int(decimals) > 36:
                raise ValueError(f"{item!r} is not SYMBOL=TCONTRACT:DECIMALS")
            if symbol == "TRX":
                raise ValueError("TRX is TRON's native coin, not a token")
            try:
                contract = normalize_tron_address(contract)
            except InvalidAddress as exc:
                raise ValueError(f"{symbol}: {exc}") from exc
            tokens.append(Asset(symbol, Chain.TRON, int(decimals), contract))
        return tokens

    @field_validator("min_deposits", mode="before")
    @classmethod
    def _parse_min_deposits(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        assets = DEFAULT_ASSETS.with_tokens(info.data.get("eth_tokens") or [])
        assets = assets.with_tokens(info.data.get("tron_tokens") or [])
        minimums: dict[str, int] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            key, sep, amount = item.partition("=")
            symbol, at, chain = key.strip().partition("@")
            symbol = symbol.strip().upper()
            if at and chain.strip().lower() != "tron":  # issue 23: USDT@bsc=10, in that network's own decimals
                key, asset = _network_minimum_asset(
                    f"{symbol}@{chain.strip().upper()}", assets, info.data.get("evm_networks") or {}
                )
                try:
                    minimums[key] = to_base_units(amount.strip(), asset.decimals)
                except AmountError as exc:
                    raise ValueError(f"{key}: {exc}") from exc
                continue
            key = f"{symbol}@tron" if at else symbol  # issue 24: USDT@tron=10
            asset = assets.get(symbol, Chain.TRON) if at else assets.get(symbol)
            if not sep or asset is None:
                known = ", ".join(f"{a.symbol}@{a.chain.value}" for a in assets)
                raise ValueError(
                    f"{item.strip()!r} is not ASSET=AMOUNT or ASSET@CHAIN=AMOUNT with a known asset ({known})"
                )
            try:
                minimums[key] = to_base_units(amount.strip(), asset.decimals)
            except AmountError as exc:
                raise ValueError(f"{key}: {exc}") from exc
        return minimums

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _check_embed_origins(cls, value: object) -> object:
        items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        origins = []
        for item in (str(i).strip().rstrip("/") for i in items):
            if not item:
                continue
            parts = urlsplit(item)
            local = parts.hostname in ("127.0.0.1", "localhost")
            if not parts.netloc or parts.path or parts.query or not (parts.scheme == "https" or local):
                raise ValueError(f"{item!r} is not an origin such as https://acme.zendesk.com")
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return origins

    @field_validator("brand_logo_url")
    @classmethod
    def _check_brand_logo_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if value and not ((parts.scheme == "https" and parts.netloc) or (value.startswith("/") and not parts.netloc)):
            raise ValueError(f"{value!r} is not an https:// URL or a path on this host")
        return value

    @field_validator("support_url")
    @classmethod
    def _check_support_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        web = parts.scheme in ("https", "http") and parts.netloc
        mail = parts.scheme == "mailto" and "@" in parts.path
        if value and not (web or mail or parts.scheme == "tg"):
            raise ValueError(f"{value!r} is not an https://, tg:// or mailto: link")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("only sqlite:///PATH and postgresql://… database URLs are supported")
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: str) -> str:
        if value and (value.lower() in _PLACEHOLDER_SECRETS or len(value) < 16):
            raise ValueError(
                "SECRET_KEY is a placeholder or shorter than 16 characters; leave it unset or use a long random value"
            )
        return value

    @field_validator("metrics_allow_ips", mode="before")
    @classmethod
    def _parse_allow_ips(cls, value: object) -> object:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        for item in value if isinstance(value, list) else []:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("metrics_token")
    @classmethod
    def _check_metrics_token(cls, value: str) -> str:
        if value and (len(value) < 16 or value.lower() in _PLACEHOLDER_SECRETS or not value.isascii()):
            raise ValueError("METRICS_TOKEN must be at least 16 ASCII characters of random text")
        return value

    @property
    def production(self) -> bool:
        """ENVIRONMENT if set; otherwise a PUBLIC_BASE_URL that players can reach (not loopback) means production."""
        if self.environment is not None:
            return self.environment == "production"
        host = (urlsplit(self.public_base_url).hostname or "").lower()
        return host not in ("127.0.0.1", "localhost", "::1")

    @property
    def docs_served(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else not self.production

    def metrics_allowed(self, client_ip: str | None, authorization: str | None) -> bool:
        """A scrape from an allowed address, or one carrying METRICS_TOKEN as a bearer token."""
        if self.metrics_token and authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.metrics_token.encode()):
                return True
        if client_ip is None:
            return False
        for allowed in self.metrics_allow_ips:
            if client_ip == allowed:
                return True
            try:
                if ipaddress.ip_address(client_ip) in ipaddress.ip_network(allowed, strict=False):
                    return True
            except ValueError:
                continue
        return False

    @property
    def assets(self) -> AssetRegistry:
        """Bitcoin's and Ethereum's assets, each configured EVM network's native coin and tokens, and TRON's."""
        return (
            DEFAULT_ASSETS.with_tokens(self.eth_tokens)
            .with_tokens(network_assets(self.evm_network_configs()))
            .with_tokens(self.tron_tokens)
        )

    def migrates_on_start(self) -> bool:
        """Whether serve and worker apply migrations themselves (several PostgreSQL replicas must not)."""
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return self.database_url.startswith("sqlite")

    def pool_size(self) -> int:
        """Connections per process: each worker thread and its heartbeat, intake, re-checks, pages."""
        return self.database_pool_size or 2 * self.worker_threads + 6

    def resolved_secret_key(self) -> str:
        """SECRET_KEY, or one generated once and kept under ./data so nothing needs editing."""
        if self.secret_key:
            return self.secret_key
        path = DATA_DIR / "secret_key"
        if path.exists():
            return path.read_text().strip()
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    def resolved_evidence_key_path(self) -> Path:
        """Where the Ed25519 key that signs evidence files lives (created there once when first needed)."""
        return Path(self.evidence_key_file) if self.evidence_key_file else DATA_DIR / "evidence_ed25519.pem"


def _network_minimum_asset(key: str, assets: AssetRegistry, evm_networks: Mapping[str, str]) -> tuple[str, Asset]:
    """`USDT@BSC` as the key `USDT@bsc` and BSC's USDT (its decimals): MIN_DEPOSITS per network and asset."""
    symbol, _, name = key.partition("@")
    name = name.strip().lower()
    chain = chain_of(name)
    if chain is None or (chain is not Chain.ETH and name not in evm_networks):
        named = ", ".join(["eth", *evm_networks]) or "eth"
        raise ValueError(f"{key!r}: {name!r} is not a configured EVM network ({named}; see EVM_NETWORKS)")
    if chain is Chain.ETH:
        asset = assets.on(chain, symbol)
    else:
        env = {**dotenv_values(".env"), **os.environ}
        env = {k.upper(): v for k, v in env.items() if v is not None}
        env["EVM_NETWORKS"] = ",".join(f"{n}={u}" if u else n for n, u in evm_networks.items())
        try:
            asset = AssetRegistry(network_assets(networks_from_env(env))).on(chain, symbol)
        except NetworkConfigError as exc:
            raise ValueError(str(exc)) from None
    if asset is None:
        raise ValueError(f"{key!r}: {symbol} is not an asset of {name} here")
    return f"{symbol}@{name}", asset


def _comma_list(value: object) -> object:
    """`a, b,,c` from the environment as ["a", "b", "c"]; other values are left to validation."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _provider_spec(item: str) -> str:
    kind, sep, url = item.partition(":")
    if not sep or kind not in _PROVIDER_KINDS:
        if kind in ("http", "https"):
            kind, url = "esplora", item
        else:
            raise ValueError(f"{_redact(item)!r}: provider kind must be one of {', '.join(_PROVIDER_KINDS)} (kind:URL)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{_redact(item)!r}: {kind} needs an http(s) URL")
    return f"{kind}:{url}"


def _http_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{_redact(url)!r}: {what} needs an http(s) URL")
    return url


def _redact(spec: str) -> str:
    """A provider spec as scheme://host only, for error messages: its user:password, path and query
    may carry a credential."""
    kind, sep, rest = spec.partition(":")
    prefix = f"{kind}:" if sep and not rest.startswith("//") else ""
    parts = urlsplit(rest if prefix else spec)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    if not parts.scheme or not parts.hostname:
        return prefix + "<not a URL>"
    return f"{prefix}{parts.scheme}://{parts.hostname}{port}/…"


def load_settings(**overrides: object) -> Settings:
    """Settings or a SettingsError whose message names each bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
        settings.evm_network_configs()  # <NET>_* settings: refused at start, naming the variable
        return settings
    except NetworkConfigError as exc:
        raise SettingsError(f"invalid configuration:\n  {exc}") from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
            problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(problems)) from None
