"""Public replies through the whole app (issue 26): a signed Zendesk webhook, the investigation, and
the public comment on the ticket when AUTO_REPLY lists the code and AUTO_REPLY_MODE is on."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from tests.app.helpdesks.test_webhooks import post_zendesk
from tests.support.helpdesks import FakeZendesk
from tests.support.jobs import drain
from tests.support.ledger import add_addresses, add_deposit, address

OURS = address("public-reply-p-1")
TIP = 850_010


def _public(fake: FakeZendesk, ticket: str) -> list[str]:
    return [c["body"] for c in fake.tickets[ticket]["comments"][1:] if c["public"] is True]


@pytest.fixture
def zendesk(http_mock):
    fake = FakeZendesk(allow_public=True)
    fake.serve(http_mock)
    return fake


def _client(settings, engine, zendesk, mode: str):
    configured = settings.model_copy(
        update={
            "zendesk_base_url": zendesk.base,
            "zendesk_email": "bot@casino.example",
            "zendesk_api_token": "zt",
            "zendesk_webhook_secrets": ["zendesk-signing-secret"],
            "zendesk_rate_limit": 1000,
            "auto_reply": ["credited", "confirming", "pending"],
            "auto_reply_mode": mode,
        }
    )
    return create_app(configured, engine=engine)


@pytest.mark.parametrize("mode", ["on", "off"])
def test_a_credited_ticket_gets_its_public_answer_only_when_the_mode_is_on(settings, engine, chain, zendesk, mode):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    app = _client(settings, engine, zendesk, mode)
    with Session(engine) as session:
        add_addresses(session, (OURS, "p-1842"))
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
        session.commit()
    zendesk.ticket("301", "Deposit", f"where is my deposit? tx {tx['txid']}")
    with TestClient(app) as client:
        post_zendesk(client, "301")
        drain(app)
    public = _public(zendesk, "301")
    if mode == "off":
        assert public == []
        return
    [reply] = public
    assert "/s/" in reply and "p-1842" not in reply
    assert any("answered the player publicly" in note for note in zendesk.private_notes("301"))


def test_a_confirmed_not_credited_ticket_gets_no_public_word(settings, engine, chain, zendesk):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    app = _client(settings, engine, zendesk, "on")
    with Session(engine) as session:
        add_addresses(session, (OURS, "p-1842"))
    zendesk.ticket("302", "Deposit", f"tx {tx['txid']}")
    with TestClient(app) as client:
        post_zendesk(client, "302")
        drain(app)
    assert _public(zendesk, "302") == []
    assert any("confirmed_not_credited" in note for note in zendesk.private_notes("302"))
