"""One Settings object, read from the environment and `.env`, refusing nonsense at start."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chains.assets import ASSETS, AmountError, to_base_units

DATA_DIR = Path("data")
_PROVIDER_KINDS = ("esplora",)
_PLACEHOLDER_SECRETS = {"changethis", "changeme", "secret", "please-change"}


class SettingsError(Exception):
    """Settings that cannot work; the message says which variable and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = Field(default=f"sqlite:///{DATA_DIR}/depositdesk.db")
    btc_providers: Annotated[list[str], NoDecode] = Field(
        default=["esplora:https://mempool.space/api", "esplora:https://blockstream.info/api"]
    )
    eth_providers: Annotated[list[str], NoDecode] = Field(default=[])
    btc_confirmations: int = Field(default=2, ge=1, le=1000)
    eth_confirmations: int = Field(default=12, ge=1, le=10000)
    min_deposits: Annotated[dict[str, int], NoDecode] = Field(
        default={"BTC": 10_000, "ETH": 2 * 10**15, "USDT": 10_000_000, "USDC": 10_000_000}
    )
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)

    @field_validator("btc_providers", "eth_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("btc_providers")
    @classmethod
    def _check_btc_providers(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one Bitcoin provider is needed, e.g. esplora:https://mempool.space/api")
        return [_provider_spec(item) for item in value]

    @field_validator("min_deposits", mode="before")
    @classmethod
    def _parse_min_deposits(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        minimums: dict[str, int] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            symbol, sep, amount = item.partition("=")
            symbol = symbol.strip().upper()
            if not sep or symbol not in ASSETS:
                raise ValueError(f"{item.strip()!r} is not ASSET=AMOUNT with a known asset ({', '.join(ASSETS)})")
            try:
                minimums[symbol] = to_base_units(amount.strip(), ASSETS[symbol].decimals)
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
            variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
            problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(problems)) from None
