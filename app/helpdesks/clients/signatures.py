"""Webhook signature checks: over the raw body, in constant time, any of several secrets
(so they can be rotated), and a timestamp within a tolerance (no replay of old deliveries)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from app.runtime.signing import standard_sign  # noqa: F401  (shared with callbacks)
from app.runtime.webhook_keys import standard_key  # noqa: F401  (the library-exact key derivation)

TOLERANCE = timedelta(minutes=5)


def _mac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def any_equal(candidates: list[bytes], given: bytes) -> bool:
    """Compares against every candidate (no early exit), each in constant time."""
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate, given)
    return matched


def fresh(timestamp: datetime | None, now: datetime) -> bool:
    return timestamp is not None and abs(now - timestamp) <= TOLERANCE


def parse_time(value: str | None) -> datetime | None:
    """Unix seconds or ISO-8601; None for anything else."""
    if not value:
        return None
    value = value.strip()
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zendesk(secrets: list[str], signature: str | None, timestamp: str | None, body: bytes, now: datetime) -> bool:
    """base64(HMAC-SHA256(secret, timestamp + body))."""
    if not signature or not timestamp or not fresh(parse_time(timestamp), now):
        return False
    expected = [base64.b64encode(_mac(s.encode(), timestamp.encode() + body)) for s in secrets]
    return any_equal(expected, signature.strip().encode())


def chatwoot(secrets: list[str], signature: str | None, timestamp: str | None, body: bytes, now: datetime) -> bool:
    """sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>."""
    if not signature or not timestamp or not fresh(parse_time(timestamp), now):
        return False
    expected = [("sha256=" + _mac(s.encode(), timestamp.encode() + b"." + body).hex()).encode() for s in secrets]
    return any_equal(expected, signature.strip().encode())


def signed_digest(timestamp: str | None, body: bytes) -> str:
    """sha256 of what a timestamped signature covers: the same for a replay under a new delivery id."""
    return hashlib.sha256((timestamp or "").encode() + b"\n" + body).hexdigest()


def shared_secret(secrets: list[str], given: str | None) -> bool:
    """A plain shared secret in a header (Freshdesk cannot sign)."""
    if not given:
        return False
    return any_equal([hashlib.sha256(s.encode()).digest() for s in secrets], hashlib.sha256(given.encode()).digest())


def standard(
    secrets: list[str],
    webhook_id: str | None,
    timestamp: str | None,
    signatures: str | None,
    body: bytes,
    now: datetime,
) -> bool:
    """Standard Webhooks: `webhook-signature: v1,<base64> [v1,<base64> …]` over "{id}.{timestamp}.{body}"."""
    if not webhook_id or not timestamp or not signatures or not fresh(parse_time(timestamp), now):
        return False
    expected = []
    for secret in secrets:
        try:
            expected.append(standard_sign(secret, webhook_id, timestamp, body).encode())
        except ValueError:
            continue  # refused at start-up; never a 500 here
    given = [part.encode() for part in signatures.split() if part.startswith("v1,")]
    return any(any_equal(expected, candidate) for candidate in given)
