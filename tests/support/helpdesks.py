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
    """Answers to give instead of the real one, one per write, before behaving normally."""

    on_write: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lose_answer_after_write: int = 0  # record the write, then answer 500 as if the connection broke

    def next_write(self) -> tuple[int, dict[str, str]] | None:
        return self.on_write.pop(0) if self.on_write else None


@dataclass
class FakeZendesk:
    base: str = "https://casino.zendesk.example"
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)
    block_writes: threading.Event | None = None  # set: writes wait until it is cleared
    write_arrived: threading.Event = field(default_factory=threading.Event)

    def ticket(self, ticket_id: str, subject: str, description: str) -> None:
        self.tickets[ticket_id] = {
            "id": int(ticket_id),
            "subject": subject,
            "description": description,
            "tags": [],
            "comments": [{"id": 1, "body": description, "public": True}],
        }

    def private_notes(self, ticket_id: str) -> list[str]:
        return [c["body"] for c in self.tickets[ticket_id]["comments"] if c["public"] is False]

    def answer(self, method: str, path: str, body: bytes | None) -> tuple[int, dict[str, str], str]:
        match = re.match(r"/api/v2/tickets/(\d+)(/comments)?\.json", path)
        if not match or match.group(1) not in self.tickets:
            return 404, {}, json.dumps({"error": "RecordNotFound"})
        ticket = self.tickets[match.group(1)]
        if method == "GET" and match.group(2):
            return 200, {}, json.dumps({"comments": ticket["comments"], "next_page": None})
        if method == "GET":
            return 200, {}, json.dumps({"ticket": {k: v for k, v in ticket.items() if k != "comments"}})
        if method == "PUT":
            update = json.loads(body or b"{}")["ticket"]
            self.write_arrived.set()
            while self.block_writes is not None and self.block_writes.is_set():
                time.sleep(0.05)
            with self.lock:
                fault = self.faults.next_write()
                if fault is not None:
                    return fault[0], fault[1], json.dumps({"error": "fault"})
                comment = update["comment"]
                assert comment["public"] is False, "notes must be private, explicitly"
                ticket["comments"].append({"id": len(ticket["comments"]) + 1, "body": comment["body"], "public": False})
                ticket["tags"] = sorted(set(ticket["tags"]) | set(update.get("additional_tags", [])))
                self.writes.append(update)
                if self.faults.lose_answer_after_write:
                    self.faults.lose_answer_after_write -= 1
                    return 502, {}, "bad gateway"
            return 200, {}, json.dumps({"ticket": {"id": ticket["id"]}, "audit": {"id": 1000 + len(self.writes)}})
        return 405, {}, "{}"

    def serve(self, mock: responses.RequestsMock) -> None:
        def callback(request: Any) -> tuple[int, dict[str, str], str]:
            path = request.path_url.split("?")[0]
            return self.answer(request.method, path, request.body)

        mock.add_callback(responses.GET, re.compile(re.escape(self.base) + r"/api/v2/.*"), callback=callback)
        mock.add_callback(responses.PUT, re.compile(re.escape(self.base) + r"/api/v2/.*"), callback=callback)


@dataclass
class FakeFreshdesk:
    base: str = "https://casino.freshdesk.example"
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def ticket(self, ticket_id: str, subject: str, description: str) -> None:
        self.tickets[ticket_id] = {
            "id": int(ticket_id),
            "subject": subject,
            "description_text": description,
            "tags": ["vip"],
            "conversations": [],
        }

    def serve(self, mock: responses.RequestsMock) -> None:
        prefix = re.escape(self.base) + r"/api/v2/tickets/(\d+)"

        def ticket_of(request: Any) -> dict[str, Any]:
            return self.tickets[re.search(r"/tickets/(\d+)", request.url).group(1)]

        def get_ticket(request: Any):
            return 200, {}, json.dumps(ticket_of(request))

        def conversations(request: Any):
            return 200, {}, json.dumps(ticket_of(request)["conversations"])

        def add_note(request: Any):
            note = json.loads(request.body)
            assert note["private"] is True
            ticket = ticket_of(request)
            entry = {
                "id": 500 + len(self.notes),
                "body": note["body"],
                "body_text": note["body"].replace("<br>", "\n"),
                "private": True,
            }
            ticket["conversations"].append(entry)
            self.notes.append(entry)
            return 201, {}, json.dumps(entry)

        def set_tags(request: Any):
            ticket_of(request)["tags"] = json.loads(request.body)["tags"]
            return 200, {}, json.dumps(ticket_of(request))

        mock.add_callback(responses.GET, re.compile(prefix + r"(\?.*)?$"), callback=get_ticket)
        mock.add_callback(responses.GET, re.compile(prefix + r"/conversations$"), callback=conversations)
        mock.add_callback(responses.POST, re.compile(prefix + r"/notes$"), callback=add_note)
        mock.add_callback(responses.PUT, re.compile(prefix + r"$"), callback=set_tags)


@dataclass
class FakeChatwoot:
    base: str = "https://chat.casino.example"
    account: str = "7"
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)

    def serve(self, mock: responses.RequestsMock) -> None:
        prefix = re.escape(self.base) + rf"/api/v1/accounts/{self.account}/conversations/(\d+)"

        def conversation(request: Any) -> str:
            return re.search(r"/conversations/(\d+)", request.url).group(1)

        def list_messages(request: Any):
            return 200, {}, json.dumps({"payload": self.messages.setdefault(conversation(request), [])})

        def post_message(request: Any):
            message = json.loads(request.body)
            assert message["private"] is True
            stored = {"id": 900 + sum(len(v) for v in self.messages.values()), **message}
            self.messages.setdefault(conversation(request), []).append(stored)
            return 200, {}, json.dumps(stored)

        def get_labels(request: Any):
            return 200, {}, json.dumps({"payload": self.labels.get(conversation(request), [])})

        def set_labels(request: Any):
            self.labels[conversation(request)] = json.loads(request.body)["labels"]
            return 200, {}, json.dumps({"payload": self.labels[conversation(request)]})

        mock.add_callback(responses.GET, re.compile(prefix + r"/messages$"), callback=list_messages)
        mock.add_callback(responses.POST, re.compile(prefix + r"/messages$"), callback=post_message)
        mock.add_callback(responses.GET, re.compile(prefix + r"/labels$"), callback=get_labels)
        mock.add_callback(responses.POST, re.compile(prefix + r"/labels$"), callback=set_labels)


class LocalZendesk:
    """A FakeZendesk served over real HTTP on 127.0.0.1, for worker processes."""

    def __init__(self, fake: FakeZendesk) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                status, headers, text = fake.answer(self.command, self.path.split("?")[0], body)
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
