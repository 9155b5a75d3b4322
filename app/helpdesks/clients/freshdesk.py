"""Freshdesk: it does not sign webhooks, so a shared secret travels in a custom header; the verdict
is a private note (`private: true`) and tags are set by updating the ticket (keeping its tags)."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskHttp, TicketText, header, ticket_number

SECRET_HEADER = "X-Depositdesk-Secret"


class Freshdesk:
    name = "freshdesk"

    def __init__(self, base_url: str, api_key: str, secrets: list[str], *, rate_per_second: float = 2.0) -> None:
        self.http = HelpdeskHttp(self.name, base_url, rate_per_second=rate_per_second, auth=(api_key, "X"))
        self.secrets = secrets

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        return signatures.shared_secret(self.secrets, header(headers, SECRET_HEADER))

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        inner = data.get("freshdesk_webhook", data) if isinstance(data, dict) else {}
        ticket = ticket_number(inner.get("ticket_id") if isinstance(inner, dict) else None)
        # No delivery id: a retry repeats the same body, so the body's hash identifies the delivery.
        return Delivery(delivery_id=hashlib.sha256(body).hexdigest(), ticket_ref=ticket)

    def fetch(self, ticket_ref: str) -> TicketText:
        ticket = self.http.call("GET", f"/api/v2/tickets/{ticket_ref}?include=conversations") or {}
        conversations = [c.get("body_text") or "" for c in ticket.get("conversations") or [] if not c.get("private")]
        parts = [ticket.get("subject") or "", ticket.get("description_text") or "", *conversations[-5:]]
        return TicketText("\n".join(p for p in parts if p), tuple(ticket.get("tags") or ()))

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for conversation in self.http.call("GET", f"/api/v2/tickets/{ticket_ref}/conversations") or []:
            if marker in (conversation.get("body_text") or "") or marker in (conversation.get("body") or ""):
                return str(conversation.get("id"))
        return None

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        note = (
            self.http.call(
                "POST",
                f"/api/v2/tickets/{ticket_ref}/notes",
                json={"body": html.escape(body).replace("\n", "<br>"), "private": True},
            )
            or {}
        )
        if tags:
            current = (self.http.call("GET", f"/api/v2/tickets/{ticket_ref}") or {}).get("tags") or []
            merged = sorted(set(current) | set(tags))
            if merged != sorted(current):
                self.http.call("PUT", f"/api/v2/tickets/{ticket_ref}", json={"tags": merged})
        return str(note.get("id") or ticket_ref)
