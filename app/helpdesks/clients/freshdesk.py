"""Freshdesk: it does not sign webhooks, so a shared secret travels in a custom header; the verdict
is a private note (`private: true`), and tags are set by updating the ticket.

- Webhook body: Freshdesk's own "Simple" JSON (`{"freshdesk_webhook": {"ticket_id": …}}`, which
  Freshdesk serialises itself, so a comment with quotes or newlines cannot break it) or a hand-written
  `{"ticket_id": {{ticket.id}}}` (a number: nothing to escape). Comment text in the body is never
  used: the ticket job reads the ticket from the API.
- De-duplication: Freshdesk sends no delivery id, and the same body comes again for every update of
  a ticket (or for a player repeating their words), so a body is not an identity. Every delivery is
  recorded (`ticket-<id>-<time received>`) and coalesced on the ticket's pending work instead: while
  a ticket job for it is still queued, no other is added, since that job reads the ticket when it
  runs (`intake`). Beyond that, repeats are harmless: each transaction is investigated once per
  ticket and each note has a marker.
- Conversations: List All Conversations, oldest first, `per_page=100` (the most; 30 by default),
  following `page` while the answer's `Link` header names a next page, at most `max_pages` pages
  (`include=conversations` gives only the first ten, so it is not used).
- Tags: `PUT /api/v2/tickets/{id}` replaces the ticket's tags, so they are read, merged and written
  right away (no cached copy), checked in the answer and read once more: when another writer's
  replace removed ours, the job fails and is retried, merging again with what that writer left. A tag
  someone adds in the one round trip between our read and our write could still be lost, which the
  API gives no way to prevent. Ticket
  updates have their own, lower plan limit (80 a minute on Growth): `FRESHDESK_UPDATE_RATE_LIMIT`.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskError, HelpdeskHttp, TicketText, header, ticket_number
from chains.resilience import RateLimiter

SECRET_HEADER = "X-Depositdesk-Secret"
PAGE_SIZE = 100
LATEST_CONVERSATIONS = 5


class Freshdesk:
    name = "freshdesk"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        secrets: list[str],
        *,
        rate_per_second: float = 1.0,
        update_rate_per_second: float = 0.5,
        max_pages: int = 10,
    ) -> None:
        self.http = HelpdeskHttp(self.name, base_url, rate_per_second=rate_per_second, auth=(api_key, "X"))
        self.updates = RateLimiter(update_rate_per_second)
        self.secrets = secrets
        self.max_pages = max_pages

    def check_headers(self, headers: Mapping[str, str], now: datetime) -> bool:
        return signatures.shared_secret(self.secrets, header(headers, SECRET_HEADER))  # the whole check

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        return signatures.shared_secret(self.secrets, header(headers, SECRET_HEADER))

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        inner = data.get("freshdesk_webhook", data) if isinstance(data, dict) else {}
        ticket = ticket_number(inner.get("ticket_id") if isinstance(inner, dict) else None)
        return Delivery(delivery_id=f"ticket-{ticket}-{time.time_ns()}", ticket_ref=ticket, coalesce=True)

    def fetch(self, ticket_ref: str) -> TicketText:
        ticket = self.http.call("GET", f"/api/v2/tickets/{ticket_ref}") or {}
        public = [c.get("body_text") or "" for c in self._conversations(ticket_ref) if not c.get("private")]
        parts = [ticket.get("subject") or "", ticket.get("description_text") or "", *public[-LATEST_CONVERSATIONS:]]
        return TicketText("\n".join(p for p in parts if p), tuple(ticket.get("tags") or ()))

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for conversation in reversed(self._conversations(ticket_ref)):
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
        return str(note.get("id") or ticket_ref)

    def add_tags(self, ticket_ref: str, tags: list[str]) -> None:
        current = (self.http.call("GET", f"/api/v2/tickets/{ticket_ref}") or {}).get("tags") or []
        if set(tags) <= set(current):
            return
        merged = sorted(set(current) | set(tags))
        answer = (
            self.http.call("PUT", f"/api/v2/tickets/{ticket_ref}", json={"tags": merged}, limiter=self.updates) or {}
        )
        if not set(tags) <= set(answer.get("tags") or ()):
            raise HelpdeskError("freshdesk: the tags are not on the ticket after updating it", retryable=True)
        # Another writer's replace, based on tags it read before ours, may land right after ours.
        if not set(tags) <= set((self.http.call("GET", f"/api/v2/tickets/{ticket_ref}") or {}).get("tags") or ()):
            raise HelpdeskError("freshdesk: a concurrent update removed our tags; adding them again", retryable=True)

    def write_reply(self, ticket_ref: str, body: str, extra: dict[str, Any]) -> str:
        """A public reply to the requester (`/tickets/{id}/reply`, issue 26)."""
        answer = (
            self.http.call(
                "POST", f"/api/v2/tickets/{ticket_ref}/reply", json={"body": html.escape(body).replace("\n", "<br>")}
            )
            or {}
        )
        return str(answer.get("id") or ticket_ref)

    def public_messages(self, ticket_ref: str) -> list[tuple[str, str]]:
        """Public conversations, newest first: `incoming` ones are the requester's."""
        return [
            ("player" if c.get("incoming") else "agent", c.get("body_text") or c.get("body") or "")
            for c in reversed(self._conversations(ticket_ref))
            if not c.get("private")
        ]

    def _conversations(self, ticket_ref: str) -> list[dict[str, Any]]:
        """The ticket's conversations, oldest first, page by page (at most `max_pages` pages)."""
        conversations: list[dict[str, Any]] = []
        for page in range(1, self.max_pages + 1):
            answer = self.http.answer(
                "GET", f"/api/v2/tickets/{ticket_ref}/conversations?page={page}&per_page={PAGE_SIZE}"
            )
            if not isinstance(answer.data, list):
                raise HelpdeskError("freshdesk: conversations answer is not a list", retryable=True)
            conversations.extend(answer.data)
            if not answer.next_link or not answer.data:
                break
        return conversations
