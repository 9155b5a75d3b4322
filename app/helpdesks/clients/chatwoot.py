"""Chatwoot: `message_created` webhooks signed with HMAC over "{timestamp}.{body}"; the verdict is
a private message and labels. Our own private notes echo back as `message_created`: ignored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskHttp, TicketText, header, ticket_number


class Chatwoot:
    name = "chatwoot"

    def __init__(
        self, base_url: str, account_id: str, api_token: str, secrets: list[str], *, rate_per_second: float = 5.0
    ) -> None:
        self.http = HelpdeskHttp(
            self.name, base_url, rate_per_second=rate_per_second, headers={"api_access_token": api_token}
        )
        self.account = account_id
        self.secrets = secrets

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        return signatures.chatwoot(
            self.secrets, header(headers, "X-Chatwoot-Signature"), header(headers, "X-Chatwoot-Timestamp"), body, now
        )

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("event") != "message_created":
            return None
        if data.get("private") or data.get("message_type") not in ("incoming", 0):
            return None  # agents' messages and our own private notes
        conversation = data.get("conversation") if isinstance(data.get("conversation"), dict) else {}
        ticket = ticket_number(conversation.get("id"))
        content = data.get("content") or ""
        if not isinstance(content, str):
            raise ValueError("the message content must be text")
        delivery = header(headers, "X-Chatwoot-Delivery") or f"message-{data.get('id')}"
        return Delivery(
            delivery_id=str(delivery)[:128],
            ticket_ref=ticket,
            text=content[:50_000],
            replay_key=signatures.signed_digest(header(headers, "X-Chatwoot-Timestamp"), body),
        )

    def _messages(self, ticket_ref: str) -> list[dict[str, Any]]:
        path = f"/api/v1/accounts/{self.account}/conversations/{ticket_ref}/messages"
        return (self.http.call("GET", path) or {}).get("payload") or []

    def fetch(self, ticket_ref: str) -> TicketText:
        incoming = [
            m.get("content") or ""
            for m in self._messages(ticket_ref)
            if not m.get("private") and m.get("message_type") in (0, "incoming")
        ]
        return TicketText("\n".join(incoming[-5:]))

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for message in self._messages(ticket_ref):
            if marker in (message.get("content") or ""):
                return str(message.get("id"))
        return None

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        base = f"/api/v1/accounts/{self.account}/conversations/{ticket_ref}"
        message = (
            self.http.call(
                "POST", f"{base}/messages", json={"content": body, "message_type": "outgoing", "private": True}
            )
            or {}
        )
        if tags:
            current = (self.http.call("GET", f"{base}/labels") or {}).get("payload") or []
            merged = sorted(set(current) | set(tags))
            if merged != sorted(current):
                self.http.call("POST", f"{base}/labels", json={"labels": merged})
        return str(message.get("id") or ticket_ref)
