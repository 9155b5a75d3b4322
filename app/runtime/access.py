"""Who may send what before a route runs: the body limit of each route family and the bearer
check the limits middleware makes before it reads a byte of an API body."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.datastructures import Headers

from app.runtime.authorize import caller_for_secret
from app.runtime.limits import BodyRule

# Bodies of the JSON API need a bearer token, except these public routes.
PUBLIC_API_PREFIXES = ("/api/status/",)
LEDGER_UPLOADS = ("/api/deposits", "/api/deposit-addresses", "/api/payouts")


TELEGRAM_WEBHOOK = "/telegram/webhook"
TELEGRAM_UPDATE_BYTES = 64 * 1024  # a text message update is a few kilobytes
Authorize = Callable[[str, Headers], int | None]


def body_rules(
    *,
    upload_bytes: int,
    webhook_bytes: int,
    other_bytes: int,
    webhook_headers: Authorize | None = None,
    telegram_headers: Authorize | None = None,
) -> list[BodyRule]:
    """Ledger uploads are large and authenticated; webhooks are small and signed (checked by their
    route over the raw bytes, so not scanned here; what their headers can show — a shared secret,
    a signature's presence and freshness — is checked before a byte is read, by `webhook_headers`);
    the Telegram webhook's secret token is checked by `telegram_headers` before its body is read;
    every other API body is small and authenticated."""
    rules = [BodyRule(path, upload_bytes, bearer=True) for path in LEDGER_UPLOADS]
    rules.append(BodyRule("/api/", other_bytes, bearer=True))
    rules += [BodyRule(prefix, other_bytes) for prefix in PUBLIC_API_PREFIXES]
    rules.append(BodyRule("/webhooks/", webhook_bytes, scan_json=False, authorize=webhook_headers))
    rules.append(BodyRule(TELEGRAM_WEBHOOK, min(other_bytes, TELEGRAM_UPDATE_BYTES), authorize=telegram_headers))
    # Discord's interactions: unsigned bodies are not read; the route checks the signature over the raw bytes.
    signature = (b"x-signature-ed25519", b"x-signature-timestamp")
    rules.append(BodyRule("/discord/", webhook_bytes, scan_json=False, required_headers=signature))
    return rules


def bearer_valid(engine: Engine, token: str) -> bool:
    """Whether the token is an agent's (not revoked) or a live machine token (runs in a worker thread)."""
    if len(token) > 200:
        return False
    with Session(engine) as session:
        return caller_for_secret(session, token) is not None
