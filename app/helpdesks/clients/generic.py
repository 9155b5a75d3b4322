"""Any system that speaks Standard Webhooks: `{ticket_ref, text}` in, the verdict posted back to
WEBHOOK_CALLBACK_URL, signed the same way. The callback's `webhook-id` is derived from the note's
marker, so a repeated delivery is recognisable by the receiver."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

from app.helpdesks.clients import signatures
from app.helpdesks.clients.base import Delivery, HelpdeskError, HelpdeskHttp, TicketText, header


class Generic:
    name = "generic"

    def __init__(self, callback_url: str | None, secrets: list[str], *, rate_per_second: float = 10.0) -> None:
        self.callback_url = callback_url
        self.http = HelpdeskHttp(self.name, callback_url or "http://callback.invalid", rate_per_second=rate_per_second)
        self.secrets = secrets

    def check_headers(self, headers: Mapping[str, str], now: datetime) -> bool:
        if not header(headers, "webhook-id") or not header(headers, "webhook-signature"):
            return False
        return signatures.fresh(signatures.parse_time(header(headers, "webhook-timestamp")), now)

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        return signatures.standard(
            self.secrets,
            header(headers, "webhook-id"),
            header(headers, "webhook-timestamp"),
            header(headers, "webhook-signature"),
            body,
            now,
        )

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        data = json.loads(body)
        if not isinstance(data, dict) or not str(data.get("ticket_ref") or "").strip():
            raise ValueError("the body needs ticket_ref and text")
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError("text must be a string")
        if len(str(data["ticket_ref"]).strip()) > 100:
            raise ValueError("ticket_ref is longer than 100 characters")
        by = data.get("public_reply_by")
        if by is not None and by not in ("agent", "player"):
            raise ValueError('public_reply_by must be "agent" or "player"')
        return Delivery(
            delivery_id=str(header(headers, "webhook-id"))[:128],
            ticket_ref=str(data["ticket_ref"]).strip()[:128],
            text=text[:50_000],
            public_reply_by=by,
        )

    def fetch(self, ticket_ref: str) -> TicketText:
        raise HelpdeskError("generic: the ticket text only comes with the webhook", retryable=False)

    def find_note(self, ticket_ref: str, marker: str) -> str | None:
        return None  # the receiver de-duplicates by webhook-id

    def add_tags(self, ticket_ref: str, tags: list[str]) -> None:
        return  # the tags travel in the callback with the note

    def write_note(self, ticket_ref: str, body: str, tags: list[str], extra: dict[str, Any]) -> str:
        return self._post(ticket_ref, {"ticket_ref": ticket_ref, "note": body, "tags": tags, **extra}, extra)

    def write_reply(self, ticket_ref: str, body: str, extra: dict[str, Any]) -> str:
        """The public answer: the same signed callback with `"public": true` and `reply` (issue 26)."""
        return self._post(ticket_ref, {"ticket_ref": ticket_ref, "reply": body, **extra, "public": True}, extra)

    def public_messages(self, ticket_ref: str) -> list[tuple[str, str]]:
        return []  # nothing to read back: a person's reply comes in the webhook (`"public_reply_by"`)

    def _post(self, ticket_ref: str, fields: dict[str, Any], extra: dict[str, Any]) -> str:
        if not self.callback_url:
            raise HelpdeskError("generic: WEBHOOK_CALLBACK_URL is not set", retryable=False)
        payload = json.dumps(fields).encode()
        webhook_id = "msg_" + hashlib.sha256(f"{ticket_ref}:{extra.get('marker')}".encode()).hexdigest()[:32]
        timestamp = str(int(time.time()))
        signature = signatures.standard_sign(self.secrets[0], webhook_id, timestamp, payload) if self.secrets else ""
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature,
            "Content-Type": "application/json",
        }
        try:
            response = self.http.session.post(self.callback_url, data=payload, headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise HelpdeskError(f"generic: callback failed ({type(exc).__name__})", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise HelpdeskError(f"generic: callback HTTP {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise HelpdeskError(f"generic: callback HTTP {response.status_code}", retryable=False)
        return webhook_id
