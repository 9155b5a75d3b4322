"""Standard Webhooks signing, shared by every outgoing signed callback (helpdesk verdicts, findings)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from app.runtime.webhook_keys import standard_key


def standard_sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`."""
    digest = hmac.new(standard_key(secret), f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
