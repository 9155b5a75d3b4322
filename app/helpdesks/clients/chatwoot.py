"""Chatwoot: `message_created` webhooks signed with HMAC over "{timestamp}.{body}"; the verdict is
a private message and labels. Our own private notes echo back as `message_created`: ignored.

- Signing exists from Chatwoot v4.11.2 (account webhooks) and v4.13.0 (API inbox and agent bot
  webhooks); older versions send no `X-Chatwoot-Signature`, and such deliveries are refused with a
  log line saying so.
- A conversation's id in the API is its display id, unique only within its account: a delivery
  whose `account.id` is not `CHATWOOT_ACCOUNT_ID` is ignored (and logged).
- Messages: the list gives the newest 20 (oldest first within them); `before=<id>` gives the 20
  before that id. Read newest first, at most `max_pages` batches.
- Labels: `POST …/labels` replaces the conversation's labels, so they are read, merged and written
  right away (no cached copy), checked in the answer and read once more: when another writer's
  replace removed ours, the job fails and is retried, merging again with what that writer left. A
  label someone adds in the one round trip between our read and our write could still be lost, which
  the API gives no way to prevent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import (
    Delivery,
    HelpdeskError,
    HelpdeskHttp,
    TicketText,
    header,
    ticket_number,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 20  # what Chatwoot's message list gives, with or without `before`
LATEST_MESSAGES = 5


class Chatwoot:
    name = "chatwoot"

    def __init__(
        self,
        base_url: str,
        account_id: str,
        api_token: str,
        secrets: list[str],
        *,
        rate_per_second: float = 5.0,
        inbox_id: int | None = None,  # where the bot's handovers open conversations
        max_pages: int = 10,
    ) -> None:
        self.inbox_id = inbox_id
        self.http = HelpdeskHttp(
            self.name, base_url, rate_per_second=rate_per_second, headers={"api_access_token": api_token}
        )
        self.account = account_id
        self.secrets = secrets
        self.max_pages = max_pages

    def check_headers(self, headers: Mapping[str, str], now: datetime) -> bool:
        if not header(headers, "X-Chatwoot-Signature"):
            return True  # refused by verify, which logs which Chatwoot version signs
        return signatures.fresh(signatures.parse_time(header(headers, "X-Chatwoot-Timestamp")), now)

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        signature = header(headers, "X-Chatwoot-Signature")
        if not signature:
            log.warning(
                "chatwoot: unsigned delivery refused: webhooks are signed from Chatwoot v4.11.2 (account "
                "webhooks) and v4.13.0 (API inbox and agent bot webhooks); upgrade Chatwoot and copy the "
                "webhook's secret into CHATWOOT_WEBHOOK_SECRETS"
            )
            return False
        return signatures.chatwoot(self.secrets, signature, header(headers, "X-Chatwoot-Timestamp"), body, now)

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("event") != "message_created":
            return None
        account = data.get("account") if isinstance(data.get("account"), dict) else {}
        if account.get("id") is None:
            raise ValueError("the delivery has no account.id")
        if str(account["id"]) != self.account:
            log.warning(
                "chatwoot: delivery for account %s ignored: CHATWOOT_ACCOUNT_ID is %s",
                str(account["id"])[:20],
                self.account,
            )
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

    def fetch(self, ticket_ref: str) -> TicketText:
        latest: list[str] = []
        for message in self._newest_messages(ticket_ref):
            if not message.get("private") and message.get("message_type") in (0, "incoming"):
                latest.insert(0, message.get("content") or "")
                if len(latest) == LATEST_MESSAGES:
                    break
        return TicketText("\n".join(latest))

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for message in self._newest_messages(ticket_ref):
            if marker in (message.get("content") or ""):
                return str(message.get("id"))
        return None

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        message = (
            self.http.call(
                "POST",
                f"{self._conversation(ticket_ref)}/messages",
                json={"content": body, "message_type": "outgoing", "private": True},
            )
            or {}
        )
        return str(message.get("id") or ticket_ref)

    def add_tags(self, ticket_ref: str, tags: list[str]) -> None:
        path = f"{self._conversation(ticket_ref)}/labels"
        current = (self.http.call("GET", path) or {}).get("payload") or []
        if set(tags) <= set(current):
            return
        merged = sorted(set(current) | set(tags))
        written = (self.http.call("POST", path, json={"labels": merged}) or {}).get("payload") or []
        if not set(tags) <= set(written):
            raise HelpdeskError("chatwoot: the labels are not on the conversation after setting them", retryable=True)
        # Another writer's replace, based on a list it read before ours, may land right after ours.
        if not set(tags) <= set((self.http.call("GET", path) or {}).get("payload") or ()):
            raise HelpdeskError("chatwoot: a concurrent label update removed ours; adding them again", retryable=True)

    def write_reply(self, ticket_ref: str, body: str, extra: dict[str, Any]) -> str:
        """An outgoing, non-private message the contact sees (issue 26)."""
        message = (
            self.http.call(
                "POST",
                f"{self._conversation(ticket_ref)}/messages",
                json={"content": body, "message_type": "outgoing", "private": False},
            )
            or {}
        )
        return str(message.get("id") or ticket_ref)

    def public_messages(self, ticket_ref: str) -> list[tuple[str, str]]:
        """Non-private messages, newest first: incoming (0) are the contact's, outgoing (1) an agent's."""
        found = []
        for message in self._newest_messages(ticket_ref):
            kind = message.get("message_type")
            if message.get("private") or kind not in (0, 1, "incoming", "outgoing"):
                continue  # notes and activity messages
            found.append(("player" if kind in (0, "incoming") else "agent", message.get("content") or ""))
        return found

    def _conversation(self, ticket_ref: str) -> str:
        return f"/api/v1/accounts/{self.account}/conversations/{ticket_ref}"

    def _newest_messages(self, ticket_ref: str) -> Iterator[dict[str, Any]]:
        """The conversation's messages, newest first, batch by batch (at most `max_pages` batches)."""
        path = f"{self._conversation(ticket_ref)}/messages"
        for _ in range(self.max_pages):
            batch = (self.http.call("GET", path) or {}).get("payload")
            if not isinstance(batch, list):
                raise HelpdeskError("chatwoot: messages answer without payload", retryable=True)
            yield from reversed(batch)
            if len(batch) < PAGE_SIZE:
                return
            oldest = min(int(message["id"]) for message in batch)
            path = f"{self._conversation(ticket_ref)}/messages?before={oldest}"
