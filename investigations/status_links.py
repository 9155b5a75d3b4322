"""The player's status link: an unguessable token that the database only holds as a hash.

token = HMAC-SHA256(secret, investigation id + nonce), 256 bits, base64url. The database keeps
sha256(token) to find the investigation, so a copy of the database alone opens no link; the
service can still show an agent the link again, because it holds the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from investigations.models import Investigation

LINK_LIFETIME = timedelta(days=30)  # after the verdict became final


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(investigation_id: str, nonce: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{investigation_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def usable(record: Investigation | None, now: datetime) -> bool:
    """Unknown, revoked and expired links are all the same: not usable."""
    if record is None or record.status_revoked_at is not None:
        return False
    return record.final_at is None or now < record.final_at + LINK_LIFETIME
