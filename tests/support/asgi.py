"""Requests sent straight to an ASGI app, to see what it reads."""

from __future__ import annotations

import asyncio


def raw_post(app, path: str, headers: dict[str, str], body: bytes) -> tuple[int, int]:
    """The status of a POST sent straight to the ASGI app, and how many times the app asked for the
    body (0: refused on the headers alone, not a byte read)."""
    reads = 0
    sent: list[dict] = []

    async def receive():
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), reads
