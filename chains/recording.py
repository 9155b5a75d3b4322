"""What the providers said, byte for byte: an opt-in recorder of HTTP exchanges.

A caller that wants the raw answers (an investigation keeping its evidence) opens
``with capture() as tape:``; every HTTP exchange made by a provider session in that context —
in this thread or in the provider thread pools, which carry the context along — is appended to
the tape with its time, redacted URL, status, latency and body. Without a capture nothing is
kept. Credentials never reach the tape, and they are removed by configuration, not by their shape:
each session knows the base URLs it was configured with (`RecordingAdapter.bases`), and a request
under one of them keeps only its own suffix (``https://host/***/tx/<hash>``): the base's path,
query and user:password never appear, whatever they look like (a 64-hex key looks like a tx hash).
A URL under no configured base still loses user:password, key-like query values and key-like path
segments. Request headers are not recorded.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import zlib
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
    # The bodies as they are stored (zlib), packed in the provider's thread when the answer came,
    # while the other answers of the lookup are still on their way (not after the last one).
    body_zlib: bytes | None = None
    request_zlib: bytes | None = None

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


@dataclass(frozen=True)
class Base:
    """A configured base URL: everything in it but the scheme and host is treated as a secret."""

    scheme: str
    netloc: str  # host[:port], lower case, without user:password
    path: str  # without its trailing slash
    query: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]  # the literal pieces to cut out of free text (path, query values, userinfo)

    @classmethod
    def of(cls, url: str) -> Base | None:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return None
        if not parts.hostname:
            return None
        netloc = parts.hostname.lower() + (f":{port}" if port else "")
        path = parts.path.rstrip("/")
        query = tuple(parse_qsl(parts.query, keep_blank_values=True))
        pieces = [path, parts.query, parts.username or "", parts.password or ""]
        pieces += [value for _, value in query]
        pieces += [segment for segment in path.split("/")]
        # Short pieces ("v1", "api", "1") are not secrets and would cut words out of any text.
        secrets = tuple(sorted({piece for piece in pieces if len(piece) >= 6}, key=len, reverse=True))
        return cls(parts.scheme.lower(), netloc, path, query, secrets)

    def suffix_of(self, url: str) -> tuple[str, list[tuple[str, str]]] | None:
        """The request's own path and query when `url` is under this base, else None."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        netloc = (parts.hostname or "").lower() + (f":{port}" if port else "")
        if parts.scheme.lower() != self.scheme or netloc != self.netloc:
            return None
        path = parts.path
        if self.path and not (path == self.path or path.startswith(self.path + "/")):
            return None
        rest = path[len(self.path) :]
        base_query = set(self.query)
        query = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair not in base_query]
        return rest, query

    def scrub(self, text: str) -> str:
        for piece in self.secrets:
            text = text.replace(piece, REDACTED)
        return text


def bases_of(urls: Any) -> tuple[Base, ...]:
    found = (Base.of(url) for url in urls if url)
    return tuple(base for base in found if base is not None)


def scrub(text: str, bases: tuple[Base, ...]) -> str:
    """`text` with every secret piece of the configured bases replaced by ``***``."""
    for base in bases:
        text = base.scrub(text)
    return text


def redact_url(url: str, bases: tuple[Base, ...] = ()) -> str:
    """A URL without credentials. Under a configured base: scheme, host, ``/***`` for the base's path
    and the request's own suffix and query only. Otherwise: no user:password, no key-like query
    values or path segments."""
    matches = [(base, found) for base in bases if (found := base.suffix_of(url)) is not None]
    if matches:
        base, (rest, query) = max(matches, key=lambda match: len(match[0].path))
        path = (f"/{REDACTED}" if base.path else "") + rest
        pairs = [(name, REDACTED if _SECRET_QUERY.search(name) else value) for name, value in query]
        return urlunsplit((base.scheme, base.netloc, path, urlencode(pairs, safe="*"), ""))
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
    """requests' transport, plus a copy of each exchange for the capture in force (if any), its URL
    redacted by the base URLs this session was configured with."""

    def __init__(self, *args: Any, bases: tuple[Base, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bases: tuple[Base, ...] = bases
        # Redacted URLs by URL: a JSON-RPC provider is asked at the same URL every time.
        self._redacted: dict[str, str] = {}

    def add_base(self, url: str) -> None:
        self.bases = (*self.bases, *bases_of([url]))
        self._redacted = {}

    def redact(self, url: str) -> str:
        redacted = self._redacted.get(url)
        if redacted is None:
            redacted = redact_url(url, self.bases)
            if len(self._redacted) >= 256:  # URLs that name a tx or an address: kept for a while only
                self._redacted = {}
            self._redacted[url] = redacted
        return redacted

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        tape = _current.get()
        if tape is None:
            return super().send(request, *args, **kwargs)
        at, started = datetime.now(UTC), time.perf_counter()
        sent = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            response = super().send(request, *args, **kwargs)
        except Exception as exc:
            tape.add(
                _exchange(request, at, started, None, None, sent, type(exc).__name__, url=self.redact(request.url))
            )
            raise
        body, digest = None, None
        if not kwargs.get("stream", args[0] if args else False):  # never consume what a caller streams
            content = response.content or b""
            digest = hashlib.sha256(content).hexdigest()
            body = content if len(content) <= MAX_BODY_BYTES else None
        exchange = _exchange(
            request, at, started, response.status_code, body, sent, None, digest, url=self.redact(request.url)
        )
        tape.add(exchange)
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
    *,
    url: str,
) -> Exchange:
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    request_body = sent if isinstance(sent, bytes) and len(sent) <= MAX_BODY_BYTES else None
    return Exchange(
        at=at,
        provider=urlsplit(request.url).hostname or "provider",
        method=request.method or "GET",
        url=url,
        status=status,
        latency_ms=latency_ms,
        body=body,
        request_body=request_body,
        error=error,
        body_sha256=digest,
        body_zlib=zlib.compress(body, 6) if body is not None else None,
        request_zlib=zlib.compress(request_body, 6) if request_body else None,
    )
