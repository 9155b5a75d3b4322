"""The one place where `requests` errors become `chains` errors."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from chains.base import ProviderBadResponse, ProviderUnavailable

DEFAULT_TIMEOUT = (3.05, 10.0)
USER_AGENT = "depositdesk/0.1 (+deposit investigations)"


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def get(session: requests.Session, url: str, *, provider: str, timeout: Any = DEFAULT_TIMEOUT) -> requests.Response:
    """GET that maps transport failures, 429 and 5xx to ProviderUnavailable."""
    try:
        response = session.get(url, timeout=timeout)
    except requests.Timeout as exc:
        raise ProviderUnavailable(f"{provider}: timed out", provider=provider) from exc
    except requests.ConnectionError as exc:
        raise ProviderUnavailable(f"{provider}: connection failed", provider=provider) from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{provider}: request failed ({type(exc).__name__})", provider=provider) from exc
    if response.status_code == 429:
        raise ProviderUnavailable(f"{provider}: rate limited (HTTP 429)", provider=provider, raw=response.text[:200])
    if response.status_code >= 500:
        raise ProviderUnavailable(
            f"{provider}: server error (HTTP {response.status_code})",
            provider=provider,
            raw=response.text[:200],
        )
    return response


def parse_json(response: requests.Response, *, provider: str) -> Any:
    """JSON with numbers that are never floats (integers stay int, fractions become Decimal)."""
    try:
        return json.loads(response.text, parse_float=Decimal)
    except ValueError as exc:
        raise ProviderBadResponse(
            f"{provider}: answered HTTP {response.status_code} with a body that is not JSON",
            provider=provider,
            raw=response.text[:200],
        ) from exc


def host_of(url: str) -> str:
    """A provider's display name: its host, never its credentials or path."""
    return urlsplit(url).hostname or "provider"
