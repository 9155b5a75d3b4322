"""Request limits enforced before any route parses a body (pure ASGI), cheapest check first:

1. a NUL in the path or query string (no record holds one) is a 422;
1b. a route family that authenticates by its headers (the Telegram webhook's secret token, a
   helpdesk's shared secret, the presence and freshness of a signature's headers) is refused
   there — 401, or 404 for a helpdesk that is not configured — before its size is even looked at;
2. each route family has its own body limit (a webhook or a lookup is kilobytes, only the
   authenticated ledger uploads are large): a declared Content-Length over it is refused unread;
3. routes that need a bearer token, or signature headers, get a 401 before a single body byte is read;
4. the body is read up to the limit (a chunked upload is cut off as soon as it passes it);
5. a urlencoded form carrying a NUL is a 422; a JSON body nested too deep is a 422 — that scan
   runs in a worker thread, never on the event loop. Webhook bodies are not scanned here: their
   route checks the signature over the raw bytes first, then scans and parses off the loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from anyio import to_thread
from starlette.datastructures import Headers

Scope = dict[str, Any]
# Deeper JSON is refused before any parser sees it: a C-level JSON parser recursing 100,000 levels
# deep can overflow the stack (web3's dependencies raise Python's recursion limit).
MAX_JSON_DEPTH = 64
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear, no backtracking
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {0x5B: 1, 0x7B: 1, 0x5D: -1, 0x7D: -1}
# A refusal that leaves a body unread closes the connection: the sender cannot keep streaming
# megabytes that the server would have to receive and throw away.
_CLOSE = [(b"connection", b"close")]


def too_deep(body: bytes, limit: int) -> bool:
    """Whether `body` nests brackets deeper than `limit` (brackets inside strings do not count).

    Strings are cut out by a regex and the depth is a running sum, both in C: megabytes take
    milliseconds, not the seconds a byte-by-byte Python loop takes."""
    skeleton = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0) > limit


@dataclass(frozen=True)
class BodyRule:
    """The routes under `prefix`: their body limit, whether a bearer token is needed, whether JSON is
    scanned, and headers without which the body is not read (a signed route's signature headers)."""

    prefix: str
    max_bytes: int
    bearer: bool = False
    scan_json: bool = True
    # (path, headers) -> None to go on, or the status to refuse with before a body byte is read.
    authorize: Callable[[str, Headers], int | None] | None = None
    required_headers: tuple[bytes, ...] = ()


class BodyLimits:
    def __init__(
        self,
        app: Any,
        *,
        rules: list[BodyRule],
        default: BodyRule,
        authenticate: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.rules = sorted(rules, key=lambda rule: -len(rule.prefix))  # longest prefix wins
        self.default = default
        self.authenticate = authenticate

    def rule_for(self, path: str) -> BodyRule:
        return next((rule for rule in self.rules if path.startswith(rule.prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _refuse(send, 422, "the address or query contains a NUL character (%00)")
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        rule = self.rule_for(scope["path"])
        if rule.authorize is not None:
            refused = rule.authorize(scope["path"], Headers(scope=scope))
            if refused is not None:
                await _bare(send, refused)
                return
        headers = dict(scope.get("headers") or [])
        missing = [name.decode() for name in rule.required_headers if not headers.get(name)]
        if missing:  # signature headers first, like every header check: before the size is looked at
            await _refuse(send, 401, f"missing header(s): {', '.join(missing)}", _CLOSE)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > rule.max_bytes:
            await _refuse(send, 422, _too_large(rule.max_bytes, str(int(declared))), _CLOSE)
            return
        if rule.bearer and not await self._authenticated(headers.get(b"authorization", b"")):
            return await _unauthorized(send)
        body = await _read(receive, rule.max_bytes)
        if body is None:
            await _refuse(send, 422, _too_large(rule.max_bytes, f"more than {rule.max_bytes}"), _CLOSE)
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type == b"application/x-www-form-urlencoded" and b"%00" in body:
            await _refuse(send, 422, "a form field contains a NUL character (%00)")
            return
        if rule.scan_json and body and await to_thread.run_sync(too_deep, body, MAX_JSON_DEPTH):
            await _refuse(send, 422, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)

    async def _authenticated(self, authorization: bytes) -> bool:
        scheme, _, token = authorization.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or not token.strip().isascii():
            return False
        return bool(await to_thread.run_sync(self.authenticate, token.strip()))


async def _read(receive: Callable[[], Awaitable[dict[str, Any]]], max_bytes: int) -> bytes | None:
    """The whole body, or None as soon as it passes `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_large(limit: int, measured: str) -> str:
    return f"request body too large: {measured} bytes, the limit here is {limit} bytes; split the upload"


async def _refuse(send: Any, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    detail = [{"loc": ["body"], "msg": message, "type": "too_large" if "too large" in message else "value_error"}]
    payload = json.dumps({"detail": detail if status == 422 else message, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _bare(send: Any, status: int) -> None:
    """A refusal that says nothing to a sender who could not show the secret (a bare 401 or 404)."""
    headers = [(b"content-length", b"0"), *_CLOSE]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _unauthorized(send: Any) -> None:
    message = "missing, unknown or revoked bearer token: send Authorization: Bearer <token>"
    await _refuse(send, 401, message, [(b"www-authenticate", b"Bearer"), *_CLOSE])


def _replay(messages: list[dict[str, Any]], then: Any = None) -> Any:
    pending = list(messages)

    async def receive() -> Any:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
