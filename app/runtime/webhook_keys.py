"""Webhook signing keys derived from configured secrets: shared by the settings check at start-up
and the signature checks of the webhook route, so both read a secret the same way."""

from __future__ import annotations

import base64
import binascii


def standard_key(secret: str) -> bytes:
    """The key exactly as the official Standard Webhooks library derives it: `whsec_` dropped if
    present, the rest base64-decoded with padding added (so unpadded secrets work, and a secret
    without the prefix is decoded too). ValueError (say why) when no key comes out."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    except (binascii.Error, ValueError):
        raise ValueError("is not base64 (whsec_ followed by base64, as the sender shows it)") from None
    if not key:
        raise ValueError("is empty once decoded")
    return key
