"""Discord's signature on an interaction: Ed25519 by the application's key over the timestamp header
followed by the raw body (PyNaCl). The headers are checked for shape and freshness before the
signature, and nothing of the body is parsed before the signature holds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import lru_cache

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

MAX_AGE_SECONDS = 300  # Discord sends at once; an older timestamp is a replay (ids are remembered longer)
_SIGNATURE = re.compile(r"[0-9a-fA-F]{128}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


@lru_cache(maxsize=4)
def _key(public_key_hex: str) -> VerifyKey:
    return VerifyKey(bytes.fromhex(public_key_hex))


def headers_fresh(signature: str, timestamp: str, *, clock: Callable[[], float] = time.time) -> str | None:
    """Why the headers alone refuse the request (missing, malformed, stale), or None when they may be checked."""
    if not _SIGNATURE.fullmatch(signature) or not _TIMESTAMP.fullmatch(timestamp):
        return "missing or malformed X-Signature-Ed25519 / X-Signature-Timestamp"
    if abs(clock() - int(timestamp)) > MAX_AGE_SECONDS:
        return "stale X-Signature-Timestamp"
    return None


def signed(public_key_hex: str, signature: str, timestamp: str, body: bytes) -> bool:
    """Whether the application's key signed `timestamp` + `body` (headers already checked for shape)."""
    try:
        _key(public_key_hex).verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        return False
    return True
