"""Opening a ticket for a player who asked for a person (the bot's handover), one function per
helpdesk. Each first looks for a ticket it may have opened before (a crash or a lost answer between
the create call and our commit), by an id of ours stored on the ticket, so a retry never opens two.

The player is known by pseudonym only: no e-mail, no phone, no messenger handle is sent.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from app.helpdesks.clients.base import Helpdesk, HelpdeskError


def external_id(key: str) -> str:
    return "depositdesk-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def open_ticket(desk: Helpdesk, *, key: str, subject: str, text: str, requester: str) -> str:
    """The helpdesk's reference of the (possibly already opened) ticket for `key`."""
    opener = _OPENERS.get(desk.name)
    if opener is None:
        raise HelpdeskError(f"{desk.name}: cannot open tickets", retryable=False)
    return opener(desk, external_id(key), subject, text, requester)


def _zendesk(desk: Any, ours: str, subject: str, text: str, requester: str) -> str:
    found = desk.http.call("GET", f"/api/v2/tickets.json?external_id={quote(ours)}") or {}
    for ticket in found.get("tickets") or []:
        return str(ticket["id"])
    user = desk.http.call(
        "POST",
        "/api/v2/users/create_or_update.json",
        json={"user": {"name": requester, "external_id": f"depositdesk-player-{requester}", "role": "end-user"}},
    )
    ticket = {
        "subject": subject,
        "comment": {"body": text, "public": False},
        "requester_id": ((user or {}).get("user") or {}).get("id"),
        "external_id": ours,
        "tags": ["depositdesk", "deposit-handover"],
    }
    created = desk.http.call("POST", "/api/v2/tickets.json", json={"ticket": ticket}) or {}
    return str((created.get("ticket") or {})["id"])


def _freshdesk(desk: Any, ours: str, subject: str, text: str, requester: str) -> str:
    query = quote(f"\"tag:'{ours}'\"")
    found = desk.http.call("GET", f"/api/v2/search/tickets?query={query}") or {}
    for ticket in found.get("results") or []:
        return str(ticket["id"])
    ticket = {
        "subject": subject,
        "description": "<br>".join(_html(line) for line in text.splitlines()),
        "name": requester,
        "unique_external_id": f"depositdesk-player-{requester}",
        "status": 2,
        "priority": 2,
        "tags": ["depositdesk", "deposit-handover", ours],
    }
    created = desk.http.call("POST", "/api/v2/tickets", json=ticket) or {}
    return str(created["id"])


def _chatwoot(desk: Any, ours: str, subject: str, text: str, requester: str) -> str:
    if not getattr(desk, "inbox_id", None):
        raise HelpdeskError("chatwoot: CHATWOOT_INBOX_ID is needed to open conversations", retryable=False)
    base = f"/api/v1/accounts/{desk.account}"
    identifier = f"depositdesk-player-{requester}"
    found = desk.http.call("GET", f"{base}/contacts/search?q={quote(identifier)}") or {}
    contact = next((c for c in found.get("payload") or [] if c.get("identifier") == identifier), None)
    if contact is None:
        created = (
            desk.http.call(
                "POST",
                f"{base}/contacts",
                json={"inbox_id": desk.inbox_id, "name": requester, "identifier": identifier},
            )
            or {}
        )
        contact = (created.get("payload") or {}).get("contact") or created.get("payload") or {}
    conversations = desk.http.call("GET", f"{base}/contacts/{contact['id']}/conversations") or {}
    for conversation in conversations.get("payload") or []:
        if (conversation.get("custom_attributes") or {}).get("depositdesk_ref") == ours:
            return str(conversation["id"])
    source_id = next(
        (
            ci.get("source_id")
            for ci in contact.get("contact_inboxes") or []
            if (ci.get("inbox") or {}).get("id") == desk.inbox_id
        ),
        None,
    )
    body: dict[str, Any] = {
        "inbox_id": desk.inbox_id,
        "contact_id": contact["id"],
        "custom_attributes": {"depositdesk_ref": ours},
        "message": {"content": f"{subject}\n\n{text}"},
    }
    if source_id:
        body["source_id"] = source_id
    created = desk.http.call("POST", f"{base}/conversations", json=body) or {}
    return str(created["id"])


def _generic(desk: Any, ours: str, subject: str, text: str, requester: str) -> str:
    desk.write_note(
        ours,
        text,
        ["deposit-handover"],
        {"event": "handover", "subject": subject, "requester": requester, "marker": ours},
    )
    return ours


def _intercom(desk: Any, ours: str, subject: str, text: str, requester: str) -> str:
    """A conversation started by the player's contact (found or created by our external id), its
    first message carrying our id so a retry finds it (conversation search on `source.body`)."""
    identifier = f"depositdesk-player-{requester}"
    query = {"query": {"field": "external_id", "operator": "=", "value": identifier}}
    found = desk.http.call("POST", "/contacts/search", json=query) or {}
    contact = next(iter(found.get("data") or []), None)
    if contact is None:
        contact = (
            desk.http.call("POST", "/contacts", json={"role": "user", "external_id": identifier, "name": requester})
            or {}
        )
    search = {
        "query": {
            "operator": "AND",
            "value": [
                {"field": "contact_ids", "operator": "=", "value": str(contact["id"])},
                {"field": "source.body", "operator": "~", "value": ours},
            ],
        }
    }
    existing = desk.http.call("POST", "/conversations/search", json=search) or {}
    for conversation in existing.get("conversations") or []:
        return str(conversation["id"])
    body = "<br>".join(_html(line) for line in [subject, "", *text.splitlines(), "", f"[{ours}]"])
    created = (
        desk.http.call(
            "POST", "/conversations", json={"from": {"type": "user", "id": str(contact["id"])}, "body": body}
        )
        or {}
    )
    reference = created.get("conversation_id") or created.get("id")
    if not reference:
        raise HelpdeskError("intercom: the new conversation has no id", retryable=True)
    return str(reference)


def _html(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_OPENERS = {
    "zendesk": _zendesk,
    "freshdesk": _freshdesk,
    "chatwoot": _chatwoot,
    "generic": _generic,
    "intercom": _intercom,
}
