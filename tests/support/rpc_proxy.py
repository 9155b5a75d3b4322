"""A JSON-RPC proxy in front of a real node, playing a hosted provider's limits: eth_getLogs refused
past a block range (in the several wordings providers use), methods it does not offer, and a count
of what was asked."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import cycle
from typing import Any

import requests

from tests.support.net import free_port

# (code, message) as hosted providers answer a too-wide eth_getLogs.
RANGE_REFUSALS = [
    (-32005, "query returned more than 10000 results"),
    (-32600, "eth_getLogs is limited to a 5 block range"),
    (-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"),
    (-32000, "block range is too large"),
    (-32062, "Block range is too large"),
    (-32000, "exceed maximum block range: 5"),
]


@dataclass
class RpcProxy:
    upstream: str
    max_log_blocks: int | None = None
    missing_methods: set[str] = field(default_factory=set)  # answered "method not found"
    calls: Counter[str] = field(default_factory=Counter)
    refusals: int = 0

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._wordings = cycle(RANGE_REFUSALS)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls = body if isinstance(body, list) else [body]
                answers = [proxy._answer(call) for call in calls]
                data = json.dumps(answers if isinstance(body, list) else answers[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, call: dict[str, Any]) -> dict[str, Any]:
        method = call["method"]
        with self._lock:
            self.calls[method] += 1
        if method in self.missing_methods:
            return {"jsonrpc": "2.0", "id": call["id"], "error": {"code": -32601, "message": f"{method} not found"}}
        if method == "eth_getLogs" and self.max_log_blocks is not None:
            query = call["params"][0]
            blocks = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if blocks > self.max_log_blocks:
                with self._lock:
                    self.refusals += 1
                    code, message = next(self._wordings)
                return {"jsonrpc": "2.0", "id": call["id"], "error": {"code": code, "message": message}}
        return requests.post(self.upstream, json=call, timeout=30).json()
