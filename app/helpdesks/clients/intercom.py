"""Intercom (issue 26): the chat most casinos run. Webhooks are `notification_event`s signed with
`X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body with the app's client secret>`; the event
`id` is the delivery id. The conversation is read with `GET /conversations/{id}` (its `source` and
`conversation_parts`); the verdict goes on as an admin reply of `message_type` `note` (private),
the public answer as one of `message_type` `comment`. Tags are found or created by name
(`POST /tags`) and attached with `POST /conversations/{id}/tags`, which adds and keeps the others.

Intercom has no signed timestamp, so replays are caught by the event id and by the digest of the
body (the same event re-sent under a new id is the same delivery)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskError, HelpdeskHttp, TicketText, header, ticket_number

LATEST_PARTS = 5
_TAGS = re.compile(r"<[^>]+>")
# Topics that mean the conversation changed in a way worth reading it again.
TOPICS = frozenset(
    {
        "conversation.user.created",
        "conversation.user.replied",
        "conversation.admin.replied",
        "conversation.admin.single.created",
    }
)


def sign(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _text(body: str | None) -> str:
    return html.unescape(_TAGS.sub("\n", body or "")).strip()


class Intercom:
    name = "intercom"

    def __init__(
        self,
        access_token: str,
        secrets: list[str],
        admin_id: str,
        *,
        base_url: str = "https://api.intercom.io",
        rate_per_second: float = 10.0,
    ) -> None:
        self.http = HelpdeskHttp(
            self.name,
            base_url,
            rate_per_second=rate_per_second,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        self.secrets = secrets
        self.admin_id = admin_id

    def check_headers(self, headers: Mapping[str, str], now: datetime) -> bool:
        return (header(headers, "X-Hub-Signature") or "").strip().startswith("sha1=")

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        given = header(headers, "X-Hub-Signature")
        if not given:
            return False
        return signatures.any_equal([sign(s, body).encode() for s in self.secrets], given.strip().encode())

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("type") != "notification_event":
            raise ValueError("the body must be an Intercom notification_event")
        if data.get("topic") not in TOPICS:
            return None  # ping and topics we do not act on
        item = (data.get("data") or {}).get("item") or {}
        conversation = ticket_number(item.get("id") if isinstance(item, dict) else None)
        if data.get("topic") == "conversation.admin.replied" and self._last_author_is_us(item):
            return None  # our own note or reply echoing back
        event = str(data.get("id") or "")[:128] or hashlib.sha256(body).hexdigest()
        by = {"conversation.admin.replied": "agent", "conversation.user.replied": "player"}.get(data["topic"])
        return Delivery(
            delivery_id=event,
            ticket_ref=conversation,
            replay_key=signatures.signed_digest(None, body),
            public_reply_by=by,
        )

    def _last_author_is_us(self, item: dict[str, Any]) -> bool:
        parts = ((item.get("conversation_parts") or {}).get("conversation_parts")) or []
        author = (parts[-1].get("author") or {}) if parts else {}
        return author.get("type") == "admin" and str(author.get("id")) == self.admin_id

    def fetch(self, ticket_ref: str) -> TicketText:
        conversation = self._conversation(ticket_ref)
        source = conversation.get("source") or {}
        parts = [p for p in self._parts(conversation) if p.get("part_type") == "comment"]
        texts = [_text(source.get("subject")), _text(source.get("body"))]
        texts += [_text(p.get("body")) for p in parts[-LATEST_PARTS:]]
        tags = tuple(t.get("name") for t in ((conversation.get("tags") or {}).get("tags") or []) if t.get("name"))
        return TicketText("\n".join(t for t in texts if t), tags)

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        for part in reversed(self._parts(self._conversation(ticket_ref))):
            if marker in _text(part.get("body")):
                return str(part.get("id"))
        return None

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        return self._reply(ticket_ref, "note", body)

    def write_reply(self, ticket_ref: str, body: str, extra: dict[str, Any]) -> str:
        return self._reply(ticket_ref, "comment", body)

    def public_messages(self, ticket_ref: str) -> list[tuple[str, str]]:
        """Comments, newest first: a contact's (user/lead/contact) are the player's, an admin's a person's;
        Intercom's own bots (Fin, workflows) are neither."""
        conversation = self._conversation(ticket_ref)
        found = []
        for part in reversed(self._parts(conversation)):
            kind = (part.get("author") or {}).get("type")
            if part.get("part_type") != "comment" or kind == "bot":
                continue
            found.append(("agent" if kind == "admin" else "player", _text(part.get("body"))))
        source = conversation.get("source") or {}
        if (source.get("author") or {}).get("type") in ("user", "lead", "contact"):
            found.append(("player", _text(source.get("body"))))
        return found

    def add_tags(self, ticket_ref: str, tags: list[str]) -> None:
        for name in tags:
            tag = self.http.call("POST", "/tags", json={"name": name}) or {}  # finds or creates by name
            if not tag.get("id"):
                raise HelpdeskError("intercom: tag answer without id", retryable=True)
            self.http.call(
                "POST", f"/conversations/{ticket_ref}/tags", json={"id": str(tag["id"]), "admin_id": self.admin_id}
            )

    def _reply(self, ticket_ref: str, message_type: str, body: str) -> str:
        html_body = "<p>" + html.escape(body).replace("\n", "<br>") + "</p>"
        answer = (
            self.http.call(
                "POST",
                f"/conversations/{ticket_ref}/reply",
                json={"message_type": message_type, "type": "admin", "admin_id": self.admin_id, "body": html_body},
            )
            or {}
        )
        parts = self._parts(answer)
        return str(parts[-1].get("id") if parts else answer.get("id") or ticket_ref)

    def _conversation(self, ticket_ref: str) -> dict[str, Any]:
        answer = self.http.call("GET", f"/conversations/{ticket_ref}?display_as=plaintext")
        if not isinstance(answer, dict):
            raise HelpdeskError("intercom: conversation answer is not an object", retryable=True)
        return answer

    @staticmethod
    def _parts(conversation: dict[str, Any]) -> list[dict[str, Any]]:
        return list(((conversation.get("conversation_parts") or {}).get("conversation_parts")) or [])
