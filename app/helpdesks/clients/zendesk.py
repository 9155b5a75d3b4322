"""Zendesk: a thin signed trigger (`{"ticket_id": "{{ticket.id}}"}`), the ticket read with the
Tickets API, the verdict written back as a private comment (`public: false`, always explicit)
with `additional_tags` and, if configured, a custom field."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskError, HelpdeskHttp, TicketText, header, ticket_number


class Zendesk:
    name = "zendesk"

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        secrets: list[str],
        *,
        rate_per_second: float = 5.0,
        verdict_field_id: int | None = None,
    ) -> None:
        self.http = HelpdeskHttp(
            self.name, base_url, rate_per_second=rate_per_second, auth=(f"{email}/token", api_token)
        )
        self.secrets = secrets
        self.verdict_field_id = verdict_field_id

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        return signatures.zendesk(
            self.secrets,
            header(headers, "X-Zendesk-Webhook-Signature"),
            header(headers, "X-Zendesk-Webhook-Signature-Timestamp"),
            body,
            now,
        )

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object with ticket_id")
        nested = data.get("ticket") if isinstance(data.get("ticket"), dict) else {}
        ticket = ticket_number(data.get("ticket_id") or nested.get("id"))
        delivery = (
            header(headers, "X-Zendesk-Webhook-Invocation-Id")
            or hashlib.sha256((header(headers, "X-Zendesk-Webhook-Signature") or "").encode() + body).hexdigest()
        )
        timestamp = header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
        return Delivery(
            delivery_id=delivery[:128], ticket_ref=ticket, replay_key=signatures.signed_digest(timestamp, body)
        )

    def fetch(self, ticket_ref: str) -> TicketText:
        ticket = (self.http.call("GET", f"/api/v2/tickets/{ticket_ref}.json") or {}).get("ticket") or {}
        comments = self._comments(ticket_ref)
        latest = [c.get("body") or "" for c in comments if c.get("public", True)][-5:]
        parts = [ticket.get("subject") or "", ticket.get("description") or "", *latest]
        return TicketText("\n".join(p for p in parts if p), tuple(ticket.get("tags") or ()))

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for comment in self._comments(ticket_ref):
            if marker in (comment.get("body") or ""):
                return str(comment.get("id"))
        return None

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        ticket: dict[str, Any] = {"comment": {"body": body, "public": False}, "additional_tags": tags}
        if self.verdict_field_id and extra.get("code"):
            ticket["custom_fields"] = [{"id": self.verdict_field_id, "value": extra["code"]}]
        answer = self.http.call("PUT", f"/api/v2/tickets/{ticket_ref}.json", json={"ticket": ticket}) or {}
        audit = answer.get("audit") or {}
        return str(audit.get("id") or (answer.get("ticket") or {}).get("id") or ticket_ref)

    def _comments(self, ticket_ref: str) -> list[dict[str, Any]]:
        answer = self.http.call("GET", f"/api/v2/tickets/{ticket_ref}/comments.json?sort_order=asc") or {}
        comments = answer.get("comments")
        if not isinstance(comments, list):
            raise HelpdeskError("zendesk: comments answer without comments", retryable=True)
        return comments
