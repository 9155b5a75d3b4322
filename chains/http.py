"""The one place where `requests` errors become `chains` errors."""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from chains.base import OwnRateLimit, ProviderBadResponse, ProviderUnavailable
from chains.recording import RecordingAdapter, bases_of
from chains.resilience import Bucket


class ContextPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context (so a lookup's deadline and
    its capture of provider answers follow the calls into the pool)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


DEFAULT_TIMEOUT = (3.05, 10.0)
# Provider calls bounded by a lookup's deadline run here (a hanging provider holds a thread until
# its call's deadline, and the pool caps the calls in flight per provider) ...
PARALLEL = ContextPool(max_workers=64, thread_name_prefix="provider")
# ... and the requests one call sends side by side (Esplora's tip beside the tx) run here: a call
# waiting in PARALLEL for a request queued behind it in the same pool could wait forever.
SIDE_BY_SIDE = ContextPool(max_workers=64, thread_name_prefix="provider-side")
# The monotonic deadline of the provider call running in this context: how long a request may
# wait for a rate-limit slot. Unset outside the pool (an adapter used directly waits up to 30 s).
CALL_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("call_deadline", default=None)
# Told when the provider call running in this context sends its first request (after waiting for
# our own rate-limit slot): the pool hedges on the provider's latency, not on our own queue.
CALL_SENDS: contextvars.ContextVar[Callable[[float], None] | None] = contextvars.ContextVar("call_sends", default=None)


class _Running:
    """How many provider calls are running in this process, so a caller can wait until none is
    (a test leaving its fake providers; a process shutting down cleanly)."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = threading.Condition()

    def __enter__(self) -> None:
        with self.idle:
            self.count += 1

    def __exit__(self, *_exc: object) -> None:
        with self.idle:
            self.count -= 1
            if not self.count:
                self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout)


RUNNING = _Running()


def side_by_side(function: Callable[[], Any]) -> Future[Any]:
    """Run a request beside the current one, under the same call deadline."""
    return SIDE_BY_SIDE.submit(function)


class MeteredAdapter(RecordingAdapter):
    """Takes one rate-limit token per HTTP request sent (a JSON-RPC batch is one request), and records
    the exchange like every provider session does."""

    def __init__(self, bucket: Bucket, provider: str, bases: Any = ()) -> None:
        super().__init__(bases=tuple(bases))
        self.bucket = bucket
        self.provider = provider

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        deadline = CALL_DEADLINE.get()
        max_wait = 30.0 if deadline is None else max(0.0, deadline - time.monotonic())
        wait = self.bucket.reserve(max_wait)
        if wait is None:
            raise OwnRateLimit(
                f"{self.provider}: our rate limit has no slot before the deadline", provider=self.provider
            )
        sends = CALL_SENDS.get()
        if sends is not None:
            sends(time.monotonic() + wait)
        if wait:
            time.sleep(wait)
        return super().send(request, *args, **kwargs)


def meter(session: requests.Session, bucket: Bucket, provider: str) -> None:
    """Every request of `session` takes a token from `bucket` first (the configured base URLs the
    session redacts by are kept)."""
    current = session.get_adapter("https://")
    adapter = MeteredAdapter(bucket, provider, current.bases if isinstance(current, RecordingAdapter) else ())
    session.mount("http://", adapter)
    session.mount("https://", adapter)


USER_AGENT = "depositdesk/0.1 (+deposit investigations)"


class _NoAuth(requests.auth.AuthBase):
    """No credentials (a request prepared with it is left as it is)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_AUTH = _NoAuth()
_JSON_CONTENT = {"Content-Type": "application/json"}


class Session(requests.Session):
    """`requests.Session` reading the environment's proxy and CA settings (`HTTPS_PROXY`, `NO_PROXY`,
    `REQUESTS_CA_BUNDLE`, …) once per host instead of at every request: requests walks the whole
    environment for each call, about a quarter of a worker's CPU per ticket. A process started
    with other settings sees them; a change of the environment while it runs does not."""

    _MAX_HOSTS = 64

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._netrc: dict[tuple[str, str], Any] = {}
        self._templates: dict[tuple[Any, ...], requests.PreparedRequest] = {}

    def post_json(self, url: str, body: bytes, *, timeout: Any) -> requests.Response:
        """`self.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=timeout)`,
        from a request prepared once per URL and session headers (a provider's JSON-RPC endpoint
        is asked the same way at every lookup: preparing it again is a third of a request's CPU).
        A session holding cookies, hooks or auth of its own takes requests' whole path."""
        if self.cookies or self.auth or any(self.hooks.values()):
            return self.post(url, data=body, headers=_JSON_CONTENT, timeout=timeout)
        key = (url, *self.headers.items())
        template = self._templates.get(key)
        if template is None:
            template = self.prepare_request(requests.Request("POST", url, headers=_JSON_CONTENT, data=b""))
            if len(self._templates) >= self._MAX_HOSTS:
                self._templates.clear()
            self._templates[key] = template
        request = template.copy()
        request.prepare_body(body, None)
        settings = self.merge_environment_settings(request.url, {}, None, None, None)
        return self.send(request, timeout=timeout, allow_redirects=True, **settings)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        # requests looks for a ~/.netrc (reading the environment for NETRC) at every call that has no
        # auth of its own: found once per host here, with what it would have fallen back to (the
        # URL's own user:password), so the answer is the same.
        if self.trust_env and not request.auth and not self.auth:
            parts = urlsplit(str(request.url))
            key = (parts.scheme, parts.netloc)
            auth = self._netrc.get(key)
            if auth is None:
                found = requests.utils.get_netrc_auth(str(request.url))
                from_url = requests.utils.get_auth_from_url(str(request.url))
                auth = found or (from_url if any(from_url) else _NO_AUTH)
                if len(self._netrc) >= self._MAX_HOSTS:
                    self._netrc.clear()
                self._netrc[key] = auth
            request.auth = auth
        # requests merges a call's params and headers into the session's through a runtime-checked
        # Protocol (tens of microseconds a request); a call with none of its own merges nothing.
        if not request.params:
            request.params = None
        if not request.headers:
            request.headers = None
        return super().prepare_request(request)

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        if proxies or not self.trust_env:  # a call's own proxies: as requests does it
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(str(url))
        # What the answer depends on besides the environment: the call's and the session's settings.
        key = (parts.scheme, parts.netloc, stream, verify, cert, self.verify, self.cert, *self.proxies.items())
        cached = self._environment.get(key)
        if cached is None:  # two threads may both compute it: the same answer, kept once
            cached = super().merge_environment_settings(url, {}, stream, verify, cert)
            if len(self._environment) >= self._MAX_HOSTS:
                self._environment.clear()
            self._environment[key] = cached
        return {**cached, "proxies": dict(cached["proxies"])}


def new_session(base_url: str | None = None) -> requests.Session:
    """A provider session; `base_url`: the configured URL whose path, query and user:password are
    never recorded (only each request's own suffix is)."""
    session = Session()
    session.headers["User-Agent"] = USER_AGENT
    recorder = RecordingAdapter(bases=bases_of([base_url]))
    session.mount("http://", recorder)
    session.mount("https://", recorder)
    return session


def protect(session: requests.Session, base_url: str) -> requests.Session:
    """`session` redacting `base_url` in what it records (a session given by a caller included)."""
    seen: set[int] = set()
    for prefix in ("https://", "http://"):
        current = session.get_adapter(prefix)
        if isinstance(current, RecordingAdapter):
            if id(current) not in seen:
                current.add_base(base_url)
                seen.add(id(current))
        else:
            session.mount(prefix, RecordingAdapter(bases=bases_of([base_url])))
    return session


def post_json(session: requests.Session, url: str, body: bytes, *, timeout: Any) -> requests.Response:
    """POST a JSON `body`: from a request prepared once per URL on a `Session` of this module, through
    requests' whole path on any other session."""
    if isinstance(session, Session):
        return session.post_json(url, body, timeout=timeout)
    return session.post(url, data=body, headers=_JSON_CONTENT, timeout=timeout)


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
