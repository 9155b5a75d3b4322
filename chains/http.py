"""The one place where `requests` errors become `chains` errors."""

from __future__ import annotations

import contextvars
import json
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from chains.base import ProviderBadResponse, ProviderUnavailable
from chains.recording import RecordingAdapter


class ContextPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context (so a capture of provider
    answers follows the calls into the pool)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


DEFAULT_TIMEOUT = (3.05, 10.0)
# Provider calls bounded by a lookup's deadline run here ...
PARALLEL = ContextPool(max_workers=16, thread_name_prefix="provider")
# ... and the requests one call sends side by side (Esplora's tip beside the tx) run here: a call
# waiting in PARALLEL for a request queued behind it in the same pool could wait forever.
SIDE_BY_SIDE = ContextPool(max_workers=16, thread_name_prefix="provider-side")
USER_AGENT = "depositdesk/0.1 (+deposit investigations)"


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    recorder = RecordingAdapter()
    session.mount("http://", recorder)
    session.mount("https://", recorder)
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
    if response.status_code == 429 or response.status_code >= 500:
        what = "rate limited" if response.status_code == 429 else "server error"
        raise ProviderUnavailable(
            f"{provider}: {what} (HTTP {response.status_code})",
            provider=provider,
            raw=response.text[:200],
            retry_after=retry_after(response.headers.get("Retry-After")),
        )
    return response


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


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
