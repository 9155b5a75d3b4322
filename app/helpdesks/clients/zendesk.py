"""Zendesk: a thin signed trigger (`{"ticket_id": "{{ticket.id}}"}`), the ticket read with the
Tickets API, the verdict written back as a private comment (`public: false`, always explicit) and,
if configured, a custom field; tags through the Tags API (`PUT /api/v2/tickets/{id}/tags`, which adds
to the ticket's tags and never replaces them, so concurrent updates by agents or triggers are kept;
Zendesk warns that simultaneous updates can still lose tags, so they are read once more after).

Comments come from List Comments with cursor pagination (`page[size]=100`, `sort=-created_at`:
newest first; the next page is `links.next` while `meta.has_more`), at most `max_pages` pages."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskError, HelpdeskHttp, TicketText, header, ticket_number

PAGE_SIZE = 100  # the most List Comments gives per page
LATEST_COMMENTS = 5


class Zendesk:
    name = "zendesk"

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        secrets: list[str],
        *,
        rate_per_second: float = 2.5,
        verdict_field_id: int | None = None,
        max_pages: int = 10,
        player_field_id: int | None = None,
    ) -> None:
        self.http = HelpdeskHttp(
            self.name, base_url, rate_per_second=rate_per_second, auth=(f"{email}/token", api_token)
        )
        self.secrets = secrets
        self.verdict_field_id = verdict_field_id
        self.max_pages = max_pages
        self.player_field_id = player_field_id  # a custom ticket field holding the player reference

    def check_headers(self, headers: Mapping[str, str], now: datetime) -> bool:
        timestamp = header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
        signed = bool(header(headers, "X-Zendesk-Webhook-Signature"))
        return signed and signatures.fresh(signatures.parse_time(timestamp), now)

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
        latest: list[str] = []
        for comment in self._newest_comments(ticket_ref):
            if comment.get("public", True):
                latest.insert(0, comment.get("body") or "")
                if len(latest) == LATEST_COMMENTS:
                    break
        parts = [ticket.get("subject") or "", ticket.get("description") or "", *latest]
        fields = ticket.get("custom_fields") or [] if self.player_field_id else []
        player = next((f.get("value") for f in fields if f.get("id") == self.player_field_id), None)
        text = "\n".join(p for p in parts if p)
        return TicketText(text, tuple(ticket.get("tags") or ()), str(player).strip() if player else None)

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for comment in self._newest_comments(ticket_ref):
            if marker in (comment.get("body") or ""):
                return str(comment.get("id"))
        return None

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        ticket: dict[str, Any] = {"comment": {"body": body, "public": False}}
        if self.verdict_field_id and extra.get("code"):
            ticket["custom_fields"] = [{"id": self.verdict_field_id, "value": extra["code"]}]
        answer = self.http.call("PUT", f"/api/v2/tickets/{ticket_ref}.json", json={"ticket": ticket}) or {}
        audit = answer.get("audit") or {}
        return str(audit.get("id") or (answer.get("ticket") or {}).get("id") or ticket_ref)

    def add_tags(self, ticket_ref: str, tags: list[str]) -> None:
        path = f"/api/v2/tickets/{ticket_ref}/tags.json"
        answer = self.http.call("PUT", path, json={"tags": tags}) or {}
        if not set(tags) <= set(answer.get("tags") or ()):
            raise HelpdeskError("zendesk: the tags are not on the ticket after adding them", retryable=True)
        # Zendesk warns that simultaneous updates of one ticket can lose tags: look once more.
        if not set(tags) <= set((self.http.call("GET", path) or {}).get("tags") or ()):
            raise HelpdeskError("zendesk: a concurrent update removed our tags; adding them again", retryable=True)

    def write_reply(self, ticket_ref: str, body: str, extra: dict[str, Any]) -> str:
        """A public comment the player sees (issue 26); `public: true` always explicit."""
        ticket = {"comment": {"body": body, "public": True}}
        answer = self.http.call("PUT", f"/api/v2/tickets/{ticket_ref}.json", json={"ticket": ticket}) or {}
        audit = answer.get("audit") or {}
        return str(audit.get("id") or ticket_ref)

    def public_messages(self, ticket_ref: str) -> list[tuple[str, str]]:
        """The ticket's public comments, newest first, as (player | agent, text)."""
        ticket = (self.http.call("GET", f"/api/v2/tickets/{ticket_ref}.json") or {}).get("ticket") or {}
        requester = ticket.get("requester_id")
        return [
            ("player" if comment.get("author_id") == requester else "agent", comment.get("body") or "")
            for comment in self._newest_comments(ticket_ref)
            if comment.get("public", True)
        ]

    def _newest_comments(self, ticket_ref: str) -> Iterator[dict[str, Any]]:
        """The ticket's comments, newest first, page by page (at most `max_pages` pages)."""
        path = f"/api/v2/tickets/{ticket_ref}/comments.json?page[size]={PAGE_SIZE}&sort=-created_at"
        for _ in range(self.max_pages):
            answer = self.http.call("GET", path) or {}
            comments = answer.get("comments")
            if not isinstance(comments, list):
                raise HelpdeskError("zendesk: comments answer without comments", retryable=True)
            yield from comments
            next_page = (answer.get("links") or {}).get("next")
            if not (answer.get("meta") or {}).get("has_more") or not next_page:
                return
            path = next_page
