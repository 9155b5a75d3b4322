"""Headers on every answer, whatever route (or refusal) wrote it (pure ASGI, outermost):

- `Strict-Transport-Security` when `PUBLIC_BASE_URL` is https (browsers then never try plain http);
- `X-Content-Type-Options: nosniff` on every answer;
- `Cache-Control: no-store` on every answer that carries data (JSON, CSV, HTML, text) unless its route
  chose a cache policy itself; static files keep theirs.
"""

from __future__ import annotations

from typing import Any

HSTS = b"max-age=31536000; includeSubDomains"
_DATA_TYPES = (b"application/json", b"text/csv", b"text/html", b"text/plain", b"application/problem+json")


class SecurityHeaders:
    def __init__(self, app: Any, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.add(list(message.get("headers") or []))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def add(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        if b"x-content-type-options" not in names:
            headers.append((b"x-content-type-options", b"nosniff"))
        if self.https and b"strict-transport-security" not in names:
            headers.append((b"strict-transport-security", HSTS))
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        if b"cache-control" not in names and content_type.split(b";")[0].strip().lower() in _DATA_TYPES:
            headers.append((b"cache-control", b"no-store"))
        return headers
