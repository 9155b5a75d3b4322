"""Standard Webhooks signing, shared by every outgoing signed callback (helpdesk verdicts, findings)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def standard_key(secret: str) -> bytes:
    """Standard Webhooks secrets are `whsec_` + base64; anything else is used as it is."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def standard_sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`."""
    digest = hmac.new(standard_key(secret), f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
