"""The narrow interface every helpdesk implements, and its HTTP plumbing.

Helpdesk failures become `HelpdeskError`; a retryable one carries the helpdesk's Retry-After, which
the job queue honours when it schedules the next attempt.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import requests

from app.runtime.jobs import JobError
from chains.http import retry_after
from chains.resilience import RateLimiter


class HelpdeskError(JobError):
    """A helpdesk API call failed; `retryable` and `retry_after` tell the job queue what to do."""


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    ticket_ref: str
    text: str | None = None  # when the webhook carries the ticket text itself
    # What the signature covers (timestamp + body digest) where the delivery id is not covered:
    # a captured request re-sent with a fresh id is still the same delivery.
    replay_key: str | None = None


@dataclass(frozen=True)
class TicketText:
    text: str
    tags: tuple[str, ...] = ()


class Helpdesk(Protocol):
    name: str

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool: ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        """The delivery to act on, or None for events to ignore (e.g. our own notes echoing back)."""
        ...

    def fetch(self, ticket_ref: str) -> TicketText: ...

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        """The id of a note already holding `marker`, if the helpdesk has one."""
        ...

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str: ...


class HelpdeskHttp:
    """requests with timeouts, a client-side rate limit and error mapping."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        rate_per_second: float,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float = 15.0,
        max_wait: float = 30.0,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "depositdesk", **(headers or {})})
        self.session.auth = auth
        self.timeout = timeout
        self.limiter = RateLimiter(rate_per_second)
        self.max_wait = max_wait

    def call(self, method: str, path: str, *, json: Any = None) -> Any:
        wait = self.limiter.reserve()
        if wait > self.max_wait:
            raise HelpdeskError(f"{self.name}: own rate limit", retryable=True, retry_after=wait)
        if wait:
            time.sleep(wait)
        try:
            response = self.session.request(method, self.base_url + path, json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise HelpdeskError(f"{self.name}: {type(exc).__name__}", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise HelpdeskError(
                f"{self.name}: HTTP {response.status_code} for {method} {path.split('?')[0]}",
                retryable=True,
                retry_after=retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 400:
            raise HelpdeskError(
                f"{self.name}: HTTP {response.status_code} for {method} {path.split('?')[0]}", retryable=False
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise HelpdeskError(f"{self.name}: answer is not JSON", retryable=True) from exc


_TICKET_NUMBER = re.compile(r"[0-9]{1,20}")


def ticket_number(value: Any) -> str:
    """A helpdesk's numeric ticket or conversation id (ASCII digits, at most 20), or ValueError."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not _TICKET_NUMBER.fullmatch(text):
        raise ValueError("the body needs a numeric ticket id (up to 20 digits)")
    return text


def header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name) or headers.get(name.lower())
