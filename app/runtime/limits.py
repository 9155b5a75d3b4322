"""A request body size limit, enforced before anything parses the body (pure ASGI).

The body is read here up to the limit and replayed to the app: a chunked upload without a
Content-Length is cut off as soon as it passes the limit, never buffered whole.
"""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]
# Deeper JSON is refused before any parser sees it: a C-level JSON parser recursing 100,000 levels
# deep can overflow the stack (web3's dependencies raise Python's recursion limit).
MAX_JSON_DEPTH = 64


def too_deep(body: bytes, limit: int) -> bool:
    """Whether `body` nests brackets deeper than `limit` (brackets inside strings do not count)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class BodySizeLimit:
    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, int(declared))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, size, at_least=True)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if too_deep(body, MAX_JSON_DEPTH):
            await self._refuse(send, 0, message=f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)

    async def _refuse(self, send: Any, size: int, *, at_least: bool = False, message: str | None = None) -> None:
        measured = f"more than {self.max_bytes}" if at_least else str(size)
        message = (
            message
            or f"request body too large: {measured} bytes, the limit is {self.max_bytes} bytes; split the upload"
        )
        body = json.dumps({"detail": [{"loc": ["body"], "msg": message, "type": "too_large"}], "message": message})
        payload = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _replay(messages: list[dict[str, Any]], then: Any = None) -> Any:
    pending = list(messages)

    async def receive() -> Any:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
