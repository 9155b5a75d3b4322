"""Fakes of the Freshdesk and Chatwoot APIs, paginating and replacing tags/labels exactly as their
documentation (and Chatwoot's source) say, served by `responses`; both can fail a tag write on cue."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from tests.support.helpdesks import Faults


def _query(request: Any) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}


@dataclass
class FakeFreshdesk:
    """View Ticket (`include=conversations`: the first ten only), List All Conversations oldest first,
    `per_page` 30 by default and at most 100, `page` from 1, a `Link: <…>; rel="next"` header while
    more pages exist; Update Ticket's `tags` replaces the ticket's tags."""

    base: str = "https://casino.freshdesk.example"
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    next_id: int = 500

    def ticket(self, ticket_id: str, subject: str, description: str) -> None:
        self.tickets[ticket_id] = {
            "id": int(ticket_id),
            "subject": subject,
            "description_text": description,
            "tags": ["vip"],
            "conversations": [],
        }

    def conversation(self, ticket_id: str, body_text: str, *, private: bool = False) -> dict[str, Any]:
        self.next_id += 1
        entry = {"id": self.next_id, "body": body_text, "body_text": body_text, "private": private, "incoming": True}
        self.tickets[ticket_id]["conversations"].append(entry)
        return entry

    def serve(self, mock: responses.RequestsMock) -> None:
        prefix = re.escape(self.base) + r"/api/v2/tickets/(\d+)"

        def ticket_of(request: Any) -> dict[str, Any]:
            return self.tickets[re.search(r"/tickets/(\d+)", request.url).group(1)]

        def view(ticket: dict[str, Any], request: Any) -> dict[str, Any]:
            shown = {k: v for k, v in ticket.items() if k != "conversations"}
            if _query(request).get("include") == "conversations":
                shown["conversations"] = ticket["conversations"][:10]
            return shown

        def get_ticket(request: Any):
            return 200, {}, json.dumps(view(ticket_of(request), request))

        def conversations(request: Any):
            query = _query(request)
            per_page, page = int(query.get("per_page", "30")), int(query.get("page", "1"))
            if per_page > 100:
                return 400, {}, json.dumps({"description": "Validation failed", "errors": [{"field": "per_page"}]})
            listed = ticket_of(request)["conversations"]
            headers = {}
            if page * per_page < len(listed):
                url = request.url.split("?")[0]
                headers["Link"] = f'<{url}?page={page + 1}&per_page={per_page}>; rel="next"'
            return 200, headers, json.dumps(listed[(page - 1) * per_page : page * per_page])

        def add_note(request: Any):
            note = json.loads(request.body)
            assert note["private"] is True
            ticket = ticket_of(request)
            self.next_id += 1
            entry = {
                "id": self.next_id,
                "body": note["body"],
                "body_text": note["body"].replace("<br>", "\n"),
                "private": True,
                "incoming": False,
            }
            ticket["conversations"].append(entry)
            self.notes.append(entry)
            return 201, {}, json.dumps(entry)

        def update(request: Any):
            fault = self.faults.next_tags()
            if fault is not None:
                return fault[0], fault[1], json.dumps({"code": "fault"})
            ticket_of(request)["tags"] = json.loads(request.body)["tags"]
            return 200, {}, json.dumps(view(ticket_of(request), request))

        mock.add_callback(responses.GET, re.compile(prefix + r"(\?.*)?$"), callback=get_ticket)
        mock.add_callback(responses.GET, re.compile(prefix + r"/conversations(\?.*)?$"), callback=conversations)
        mock.add_callback(responses.POST, re.compile(prefix + r"/notes$"), callback=add_note)
        mock.add_callback(responses.PUT, re.compile(prefix + r"$"), callback=update)


@dataclass
class FakeChatwoot:
    """Chatwoot's message list as its MessageFinder has it: the newest 20 (ascending within them), or
    with `before=<id>` the 20 before that id; `POST …/labels` replaces the conversation's labels."""

    base: str = "https://chat.casino.example"
    account: str = "7"
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    next_id: int = 900
    replaced_after_ours: list[list[str]] = field(default_factory=list)  # another writer's stale replace

    def message(self, conversation: str, content: str, *, message_type: int = 0, private: bool = False) -> dict:
        self.next_id += 1
        stored = {"id": self.next_id, "content": content, "message_type": message_type, "private": private}
        self.messages.setdefault(conversation, []).append(stored)
        return stored

    def serve(self, mock: responses.RequestsMock) -> None:
        prefix = re.escape(self.base) + rf"/api/v1/accounts/{self.account}/conversations/(\d+)"

        def conversation(request: Any) -> str:
            return re.search(r"/conversations/(\d+)", request.url).group(1)

        def list_messages(request: Any):
            listed = self.messages.setdefault(conversation(request), [])
            before = _query(request).get("before")
            if before is not None:
                listed = [m for m in listed if m["id"] < int(before)]
            return 200, {}, json.dumps({"meta": {"labels": []}, "payload": listed[-20:]})

        def post_message(request: Any):
            message = json.loads(request.body)
            assert message["private"] is True
            stored = self.message(conversation(request), message["content"], message_type=1, private=True)
            return 200, {}, json.dumps(stored)

        def get_labels(request: Any):
            return 200, {}, json.dumps({"payload": self.labels.get(conversation(request), [])})

        def set_labels(request: Any):
            fault = self.faults.next_tags()
            if fault is not None:
                return fault[0], fault[1], json.dumps({"error": "fault"})
            written = self.labels[conversation(request)] = json.loads(request.body)["labels"]
            if self.replaced_after_ours:
                self.labels[conversation(request)] = self.replaced_after_ours.pop(0)
            return 200, {}, json.dumps({"payload": written})

        mock.add_callback(responses.GET, re.compile(prefix + r"/messages(\?.*)?$"), callback=list_messages)
        mock.add_callback(responses.POST, re.compile(prefix + r"/messages$"), callback=post_message)
        mock.add_callback(responses.GET, re.compile(prefix + r"/labels$"), callback=get_labels)
        mock.add_callback(responses.POST, re.compile(prefix + r"/labels$"), callback=set_labels)
