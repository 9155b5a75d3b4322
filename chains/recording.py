"""What the providers said, byte for byte: an opt-in recorder of HTTP exchanges.

A caller that wants the raw answers (an investigation keeping its evidence) opens
``with capture() as tape:``; every HTTP exchange made by a provider session in that context —
in this thread or in the provider thread pools, which carry the context along — is appended to
the tape with its time, redacted URL, status, latency and body. Without a capture nothing is
kept. Credentials never reach the tape: user:password, key-like query values and key-like path
segments (Infura, Alchemy…) are replaced by ``***``, and request headers are not recorded.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter

REDACTED = "***"
_SECRET_QUERY = re.compile(r"key|token|secret|pass|auth|sig", re.IGNORECASE)
_HASH_LIKE = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_KEY_LIKE = re.compile(r"[A-Za-z0-9_\-]{16,}")
MAX_BODY_BYTES = 2 * 1024 * 1024  # a provider answer larger than this is kept as its hash only


@dataclass(frozen=True)
class Exchange:
    """One HTTP request to a provider and what came back (or how it failed)."""

    at: datetime
    provider: str  # the host: the same name the adapters give a provider by default
    method: str
    url: str  # redacted
    status: int | None  # None: no answer (timeout, refused connection)
    latency_ms: float
    body: bytes | None
    request_body: bytes | None = None
    error: str | None = None
    body_sha256: str | None = None  # of the whole body, also when it was too large to keep

    @property
    def answered(self) -> bool:
        """The provider answered something usable at the HTTP level (not a 429, 5xx or auth failure)."""
        return self.status is not None and self.status < 500 and self.status not in (401, 403, 429)


@dataclass
class Tape:
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, exchange: Exchange) -> None:
        with self.lock:
            self.exchanges.append(exchange)


_current: ContextVar[Tape | None] = ContextVar("depositdesk_provider_tape", default=None)


@contextmanager
def capture() -> Iterator[Tape]:
    """Record the provider exchanges made inside this block (nested captures see their own only)."""
    tape = Tape()
    token = _current.set(tape)
    try:
        yield tape
    finally:
        _current.reset(token)


def redact_url(url: str) -> str:
    """A URL without credentials: no user:password, no key-like query values or path segments."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username or parts.password:
        netloc = f"{REDACTED}@{netloc}"
    segments = [
        REDACTED if _KEY_LIKE.fullmatch(segment) and not _HASH_LIKE.fullmatch(segment) else segment
        for segment in parts.path.split("/")
    ]
    query = [(name, REDACTED if _SECRET_QUERY.search(name) else value) for name, value in parse_qsl(parts.query)]
    return urlunsplit((parts.scheme, netloc, "/".join(segments), urlencode(query, safe="*"), ""))


class RecordingAdapter(HTTPAdapter):
    """requests' transport, plus a copy of each exchange for the capture in force (if any)."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        tape = _current.get()
        if tape is None:
            return super().send(request, *args, **kwargs)
        at, started = datetime.now(UTC), time.perf_counter()
        sent = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            response = super().send(request, *args, **kwargs)
        except Exception as exc:
            tape.add(_exchange(request, at, started, None, None, sent, type(exc).__name__))
            raise
        body, digest = None, None
        if not kwargs.get("stream", args[0] if args else False):  # never consume what a caller streams
            content = response.content or b""
            digest = hashlib.sha256(content).hexdigest()
            body = content if len(content) <= MAX_BODY_BYTES else None
        tape.add(_exchange(request, at, started, response.status_code, body, sent, None, digest))
        return response


def _exchange(
    request: Any,
    at: datetime,
    started: float,
    status: int | None,
    body: bytes | None,
    sent: Any,
    error: str | None,
    digest: str | None = None,
) -> Exchange:
    return Exchange(
        at=at,
        provider=urlsplit(request.url).hostname or "provider",
        method=request.method or "GET",
        url=redact_url(request.url),
        status=status,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        body=body,
        request_body=sent if isinstance(sent, bytes) and len(sent) <= MAX_BODY_BYTES else None,
        error=error,
        body_sha256=digest,
    )
