"""Fakes of the Zendesk, Freshdesk and Chatwoot APIs, built from their documented request and
response shapes, served by `responses` (in-process) or by a local HTTP server (other processes).
Each records what was written and can fail on cue (500, 429 with Retry-After, a lost answer)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import responses

from app.helpdesks.clients.signatures import standard_sign


def zendesk_headers(secret: str, body: bytes, *, timestamp: str | None = None, invocation: str = "inv-1") -> dict:
    timestamp = timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    signature = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest())
    return {
        "X-Zendesk-Webhook-Signature": signature.decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Invocation-Id": invocation,
        "Content-Type": "application/json",
    }


def chatwoot_headers(secret: str, body: bytes, *, timestamp: str | None = None, delivery: str = "d-1") -> dict:
    timestamp = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Chatwoot-Signature": f"sha256={digest}",
        "X-Chatwoot-Timestamp": timestamp,
        "X-Chatwoot-Delivery": delivery,
        "Content-Type": "application/json",
    }


def standard_headers(secret: str, body: bytes, *, webhook_id: str = "msg_1", timestamp: str | None = None) -> dict:
    timestamp = timestamp or str(int(time.time()))
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": standard_sign(secret, webhook_id, timestamp, body),
        "Content-Type": "application/json",
    }


@dataclass
class Faults:
    """Answers to give instead of the real one, one per write (or tag write), before behaving normally."""

    on_write: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    on_tags: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lose_answer_after_write: int = 0  # record the write, then answer 500 as if the connection broke

    def next_write(self) -> tuple[int, dict[str, str]] | None:
        return self.on_write.pop(0) if self.on_write else None

    def next_tags(self) -> tuple[int, dict[str, str]] | None:
        return self.on_tags.pop(0) if self.on_tags else None


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"at:{index}".encode()).decode()


def _uncursor(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("at:"))


@dataclass
class FakeZendesk:
    """Zendesk as documented: List Comments oldest first by default, cursor pagination with
    `page[size]` (at most 100), `sort=-created_at` for newest first, `meta.has_more`/`links.next`;
    offset pagination (100 a page, `next_page`) without `page[size]`; `additional_tags` on a ticket
    update is not an API field and is ignored; the Tags API adds tags."""

    base: str = "https://casino.zendesk.example"
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)
    block_writes: threading.Event | None = None  # set: writes wait until it is cleared
    write_arrived: threading.Event = field(default_factory=threading.Event)
    reads: list[str] = field(default_factory=list)
    allow_public: bool = False  # issue 26: public replies accepted (and timed) instead of refused
    public_times: dict[str, float] = field(default_factory=dict)  # ticket → perf_counter of its first public reply

    def ticket(self, ticket_id: str, subject: str, description: str) -> None:
        self.tickets[ticket_id] = {
            "id": int(ticket_id),
            "subject": subject,
            "description": description,
            "tags": [],
            "comments": [{"id": 1, "body": description, "public": True}],
        }

    def comment(self, ticket_id: str, body: str, *, public: bool = True) -> None:
        comments = self.tickets[ticket_id]["comments"]
        comments.append({"id": len(comments) + 1, "body": body, "public": public})

    def private_notes(self, ticket_id: str) -> list[str]:
        return [c["body"] for c in self.tickets[ticket_id]["comments"] if c["public"] is False]

    def _comments(self, ticket: dict[str, Any], path: str, query: dict[str, str]) -> tuple[int, dict, str]:
        comments = ticket["comments"]
        if "page[size]" not in query:
            ordered = comments[::-1] if query.get("sort_order") == "desc" else comments
            page = int(query.get("page", "1"))
            chunk = ordered[(page - 1) * 100 : page * 100]
            next_page = f"{self.base}{path}?page={page + 1}" if page * 100 < len(ordered) else None
            return 200, {}, json.dumps({"comments": chunk, "next_page": next_page, "count": len(ordered)})
        size = int(query["page[size]"])
        if size > 100:
            return 400, {}, json.dumps({"error": "InvalidPaginationParameter"})
        ordered = comments[::-1] if query.get("sort") == "-created_at" else comments
        start = _uncursor(query["page[after]"]) if "page[after]" in query else 0
        chunk = ordered[start : start + size]
        has_more = start + size < len(ordered)
        sort = f"&sort={query['sort']}" if "sort" in query else ""
        after = _cursor(start + size)
        body = {
            "comments": chunk,
            "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": _cursor(start)},
            "links": {
                "next": f"{self.base}{path}?page[size]={size}{sort}&page[after]={after}" if has_more else None,
                "prev": None,
            },
        }
        return 200, {}, json.dumps(body)

    def answer(self, method: str, path: str, body: bytes | None) -> tuple[int, dict[str, str], str]:
        path, _, raw_query = path.partition("?")
        query = {key: values[0] for key, values in parse_qs(raw_query).items()}
        match = re.match(r"/api/v2/tickets/(\d+)(/comments|/tags)?\.json$", path)
        if not match or match.group(1) not in self.tickets:
            return 404, {}, json.dumps({"error": "RecordNotFound"})
        ticket = self.tickets[match.group(1)]
        if method == "GET" and match.group(2) == "/comments":
            self.reads.append(path)
            return self._comments(ticket, path, query)
        if method == "GET" and not match.group(2):
            return 200, {}, json.dumps({"ticket": {k: v for k, v in ticket.items() if k != "comments"}})
        if method == "GET" and match.group(2) == "/tags":
            return 200, {}, json.dumps({"tags": ticket["tags"]})
        if method == "PUT" and match.group(2) == "/tags":
            with self.lock:
                fault = self.faults.next_tags()
                if fault is not None:
                    return fault[0], fault[1], json.dumps({"error": "fault"})
                ticket["tags"] = sorted(set(ticket["tags"]) | set(json.loads(body or b"{}")["tags"]))
            return 200, {}, json.dumps({"tags": ticket["tags"]})
        if method == "PUT" and not match.group(2):
            update = json.loads(body or b"{}")["ticket"]
            self.write_arrived.set()
            while self.block_writes is not None and self.block_writes.is_set():
                time.sleep(0.05)
            with self.lock:
                fault = self.faults.next_write()
                if fault is not None:
                    return fault[0], fault[1], json.dumps({"error": "fault"})
                comment = update["comment"]
                if self.allow_public and comment["public"] is True:
                    self.public_times.setdefault(match.group(1), time.perf_counter())
                else:
                    assert comment["public"] is False, "notes must be private, explicitly"
                self.comment(match.group(1), comment["body"], public=comment["public"])
                self.writes.append(update)
                if self.faults.lose_answer_after_write:
                    self.faults.lose_answer_after_write -= 1
                    return 502, {}, "bad gateway"
            return 200, {}, json.dumps({"ticket": {"id": ticket["id"]}, "audit": {"id": 1000 + len(self.writes)}})
        return 405, {}, "{}"

    def serve(self, mock: responses.RequestsMock) -> None:
        def callback(request: Any) -> tuple[int, dict[str, str], str]:
            return self.answer(request.method, unquote(request.path_url), request.body)

        mock.add_callback(responses.GET, re.compile(re.escape(self.base) + r"/api/v2/.*"), callback=callback)
        mock.add_callback(responses.PUT, re.compile(re.escape(self.base) + r"/api/v2/.*"), callback=callback)


class LocalZendesk:
    """A FakeZendesk served over real HTTP on 127.0.0.1, for worker processes."""

    def __init__(self, fake: FakeZendesk) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Zendesk answers
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def log_message(self, *args: Any) -> None:
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                status, headers, text = fake.answer(self.command, unquote(self.path), body)
                data = text.encode()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker that asked was killed meanwhile

            do_GET = do_PUT = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        fake.base = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
