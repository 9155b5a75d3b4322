"""Who may send what before a route runs: the body limit of each route family and the bearer
check the limits middleware makes before it reads a byte of an API body."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.runtime.accounts import agent_for_token
from app.runtime.limits import BodyRule
from app.settings import Settings

# Bodies of the JSON API need a bearer token, except these public routes.
PUBLIC_API_PREFIXES = ("/api/status/",)
LEDGER_UPLOADS = ("/api/deposits", "/api/deposit-addresses")


def body_rules(settings: Settings) -> list[BodyRule]:
    """Ledger uploads are large and authenticated; webhooks are small and signed (checked by their
    route over the raw bytes, so not scanned here); every other API body is small and authenticated."""
    rules = [BodyRule(path, settings.max_body_bytes, bearer=True) for path in LEDGER_UPLOADS]
    rules.append(BodyRule("/api/", settings.request_max_body_bytes, bearer=True))
    rules += [BodyRule(prefix, settings.request_max_body_bytes) for prefix in PUBLIC_API_PREFIXES]
    rules.append(BodyRule("/webhooks/", settings.webhook_max_body_bytes, scan_json=False))
    return rules


def bearer_valid(engine: Engine, token: str) -> bool:
    """Whether the token belongs to an agent that is not revoked (runs in a worker thread)."""
    if len(token) > 200:
        return False
    with Session(engine) as session:
        return agent_for_token(session, token) is not None
