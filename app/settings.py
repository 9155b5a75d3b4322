"""One Settings object, read from the environment and `.env`, refusing nonsense at start."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chains.assets import DEFAULT_ASSETS, AmountError, Asset, AssetRegistry, to_base_units
from chains.base import Chain, InvalidAddress
from chains.ethereum.addresses import normalize_address as normalize_eth_address

DATA_DIR = Path("data")
_PROVIDER_KINDS = ("esplora", "bitcoincore")
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
    min_deposits: Annotated[dict[str, int], NoDecode] = Field(
        default={"BTC": 10_000, "ETH": 2 * 10**15, "USDT": 10_000_000, "USDC": 10_000_000}
    )
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
    login_rate_limit_per_ip: float = Field(default=10, gt=0)  # sign-in attempts per minute
    forwarded_allow_ips: str = "127.0.0.1"  # proxies trusted for X-Forwarded-Proto/For (TLS, client IP)
    # Helpdesks (each one is enabled by its secrets; base URLs are settings for self-hosted ones and tests)
    zendesk_base_url: str = ""
    zendesk_email: str = ""
    zendesk_api_token: str = ""
    zendesk_webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    zendesk_verdict_field_id: int | None = None
    zendesk_rate_limit: float = Field(default=5.0, gt=0)
    freshdesk_base_url: str = ""
    freshdesk_api_key: str = ""
    freshdesk_webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    freshdesk_rate_limit: float = Field(default=2.0, gt=0)
    chatwoot_base_url: str = ""
    chatwoot_account_id: str = ""
    chatwoot_api_token: str = ""
    chatwoot_webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    chatwoot_rate_limit: float = Field(default=5.0, gt=0)
    webhook_secrets: Annotated[list[str], NoDecode] = Field(default=[])
    webhook_callback_url: str = ""
    worker_threads: int = Field(default=2, ge=0, le=64)
    job_lease_seconds: float = Field(default=10, ge=2, le=3600)
    job_retry_base_seconds: float = Field(default=5, ge=0, le=3600)
    # Production: schema migrations, connection pool, intake back-pressure
    migrate_on_start: bool | None = None  # unset: SQLite migrates on start, PostgreSQL needs `depositdesk migrate`
    database_pool_size: int = Field(default=0, ge=0, le=200)  # 0: sized to the worker threads
    intake_queue_limit: int = Field(default=128, ge=1, le=100_000)  # webhooks waiting to be written, per process

    @field_validator("btc_providers", "eth_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
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
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
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
        return self

    @field_validator("eth_providers")
    @classmethod
    def _check_eth_providers(cls, value: list[str]) -> list[str]:
        for url in value:
            _http_url(url, "an Ethereum JSON-RPC provider")
        return value

    @field_validator("evm_networks", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        """`bsc=https://…,polygon=https://…`: other EVM networks a deposit may arrive on by mistake."""
        if not isinstance(value, str):
            return value
        networks = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, sep, url = item.partition("=")
            name = name.strip().lower()
            if not sep or not name.replace("-", "").isalnum() or name in ("eth", "ethereum"):
                raise ValueError(f"{_redact(item)!r} is not NAME=URL of a network other than Ethereum")
            networks[name] = _http_url(url.strip(), name)
        return networks

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

    @field_validator("min_deposits", mode="before")
    @classmethod
    def _parse_min_deposits(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        assets = DEFAULT_ASSETS.with_tokens(info.data.get("eth_tokens") or [])
        minimums: dict[str, int] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            symbol, sep, amount = item.partition("=")
            symbol = symbol.strip().upper()
            asset = assets.get(symbol)
            if not sep or asset is None:
                known = ", ".join(a.symbol for a in assets)
                raise ValueError(f"{item.strip()!r} is not ASSET=AMOUNT with a known asset ({known})")
            try:
                minimums[symbol] = to_base_units(amount.strip(), asset.decimals)
            except AmountError as exc:
                raise ValueError(f"{symbol}: {exc}") from exc
        return minimums

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

    @property
    def assets(self) -> AssetRegistry:
        return DEFAULT_ASSETS.with_tokens(self.eth_tokens)

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
    """A provider spec without any user:password part, for error messages."""
    head, sep, rest = spec.rpartition("@")
    if not sep:
        return spec
    scheme = head.split("//", 1)[0]
    return f"{scheme}//***@{rest}"


def load_settings(**overrides: object) -> Settings:
    """Settings or a SettingsError whose message names each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
            problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(problems)) from None
