"""A local fake of the Telegram Bot API (what python-telegram-bot's `base_url` points at): it records
every call, answers sendMessage like Telegram, and hands out queued updates to getUpdates."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456789:AAtestTokenForTheFakeBotApi_0123456"


def message_update(
    update_id: int, chat_id: int, text: str, *, language: str = "en", chat_type: str = "private"
) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Player", "language_code": language},
            "text": text,
        },
    }


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.pending: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.fail_sends = 0  # answer this many sendMessage calls with a 502 first
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: _maybe_json(v) for k, v in parse_qsl(raw)}
                token, _, method = self.path.removeprefix("/bot").partition("/")
                status, answer = fake.answer(token, method, params)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if token != TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        with self.lock:
            self.calls.append((method, params))
            if method == "sendMessage":
                if self.fail_sends:
                    self.fail_sends -= 1
                    return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
                message = {
                    "message_id": len(self.calls),
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params["text"],
                }
                return 200, {"ok": True, "result": message}
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                ready = [u for u in self.pending if u["update_id"] >= offset]
                return 200, {"ok": True, "result": ready}
            if method in ("setWebhook", "deleteWebhook"):
                return 200, {"ok": True, "result": True}
            if method == "getMe":
                user = {"id": 123456789, "is_bot": True, "first_name": "Desk", "username": "casino_desk_bot"}
                return 200, {"ok": True, "result": user}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def sent(self, chat_id: int) -> list[str]:
        with self.lock:
            return [p["text"] for m, p in self.calls if m == "sendMessage" and int(p["chat_id"]) == chat_id]

    def close(self) -> None:
        self.server.shutdown()


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
