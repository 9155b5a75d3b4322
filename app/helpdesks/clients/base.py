"""The narrow interface every helpdesk implements, and its HTTP plumbing.

Helpdesk failures become `HelpdeskError`; a retryable one carries the helpdesk's Retry-After, which
the job queue honours when it schedules the next attempt. Lists are read newest first by each API's
documented pagination, at most `max_pages` pages (`HELPDESK_MAX_PAGES`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from app.helpdesks.clients.throttle import Throttle
from app.runtime.jobs import JobError
from chains.http import Session
from chains.resilience import RateLimiter


class HelpdeskError(JobError):
    """A helpdesk API call failed; `retryable` and `retry_after` tell the job queue what to do."""


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    ticket_ref: str
    text: str | None = None  # when the webhook carries the ticket text itself
    # No delivery id from the helpdesk (Freshdesk): while a job for the ticket is still queued, this
    # delivery adds none (that job reads the ticket later, as it is then)
    coalesce: bool = False
    # What the signature covers (timestamp + body digest) where the delivery id is not covered:
    # a captured request re-sent with a fresh id is still the same delivery.
    replay_key: str | None = None
    # Who wrote publicly, when the webhook says so (issue 26): "agent" silences the bot on the ticket,
    # "player" after a public answer hands the ticket to a person.
    public_reply_by: str | None = None


@dataclass(frozen=True)
class TicketText:
    text: str
    tags: tuple[str, ...] = ()
    player_ref: str | None = None  # from a configured ticket field, when the helpdesk has one


class Helpdesk(Protocol):
    name: str

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool: ...

    def check_headers(self, headers: Mapping[str, str], now: datetime) -> bool:
        """What the headers alone can show, checked before the body is read: a shared secret in
        full, a signature's headers present and its timestamp fresh. False: a bare 401, body unread."""
        ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        """The delivery to act on, or None for events to ignore (e.g. our own notes echoing back)."""
        ...

    def fetch(self, ticket_ref: str) -> TicketText: ...

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        """The id of a note already holding `marker`, if the helpdesk has one."""
        ...

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        """Writes the note (tags only where they travel with it, as on the generic callback)."""
        ...

    def add_tags(self, ticket_ref: str, tags: list[str]) -> None:
        """Makes sure the ticket carries `tags`, keeping its others; safe to repeat until it succeeds."""
        ...


@dataclass(frozen=True)
class Answer:
    data: Any
    next_link: str | None  # the `Link: <…>; rel="next"` header (Freshdesk's pagination)


class HelpdeskHttp:
    """requests with timeouts, a client-side rate limit, the helpdesk's own rate-limit headers
    honoured (`throttle.Throttle`) and error mapping."""

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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = Session()
        self.session.headers.update({"User-Agent": "depositdesk", **(headers or {})})
        self.session.auth = auth
        self.timeout = timeout
        self.limiter = RateLimiter(rate_per_second)
        self.throttle = Throttle(name, rate_per_second * 60)
        self.max_wait = max_wait
        self.sleep = sleep

    def call(self, method: str, path: str, *, json: Any = None, limiter: RateLimiter | None = None) -> Any:
        return self.answer(method, path, json=json, limiter=limiter).data

    def answer(self, method: str, path: str, *, json: Any = None, limiter: RateLimiter | None = None) -> Answer:
        """One call; `path` may be a full next-page link of this helpdesk (only its path and query
        are used, so credentials never go to another host). `limiter`: an endpoint's own limit."""
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        self._wait_for_turn(limiter)
        try:
            response = self.session.request(method, self.base_url + path, json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise HelpdeskError(f"{self.name}: {type(exc).__name__}", retryable=True) from exc
        told_to_wait = self.throttle.observe(response.status_code, response.headers)
        where = f"{method} {path.split('?')[0]}"
        if response.status_code == 429 or response.status_code >= 500:
            raise HelpdeskError(
                f"{self.name}: HTTP {response.status_code} for {where}", retryable=True, retry_after=told_to_wait
            )
        if response.status_code >= 400:
            raise HelpdeskError(f"{self.name}: HTTP {response.status_code} for {where}", retryable=False)
        next_link = (response.links.get("next") or {}).get("url")
        if not response.content:
            return Answer(None, next_link)
        try:
            return Answer(response.json(), next_link)
        except ValueError as exc:
            raise HelpdeskError(f"{self.name}: answer is not JSON", retryable=True) from exc

    def _wait_for_turn(self, limiter: RateLimiter | None) -> None:
        """The helpdesk's own pause first, then our limits; a long wait goes back to the job queue."""
        wait = self.throttle.wait()
        if wait > self.max_wait:
            raise HelpdeskError(f"{self.name}: rate limited by the helpdesk", retryable=True, retry_after=wait)
        for bucket in (self.limiter, limiter):
            if bucket is not None:
                wait = max(wait, bucket.reserve())  # the waits run at the same time
        if wait > self.max_wait:
            raise HelpdeskError(f"{self.name}: own rate limit", retryable=True, retry_after=wait)
        if wait:
            self.sleep(wait)


_TICKET_NUMBER = re.compile(r"[0-9]{1,20}")


def ticket_number(value: Any) -> str:
    """A helpdesk's numeric ticket or conversation id (ASCII digits, at most 20), or ValueError."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not _TICKET_NUMBER.fullmatch(text):
        raise ValueError("the body needs a numeric ticket id (up to 20 digits)")
    return text


def header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name) or headers.get(name.lower())
