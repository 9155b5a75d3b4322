"""The card as a helpdesk side panel (issue 30): /panel finds the ticket's investigation, may be framed
only by EMBED_ORIGINS (every other page by none), and signing in on the way to it works in the frame
(the sign-in page may be framed too; with TLS the cookies are SameSite=None)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.runtime.accounts import add_agent, hash_password
from app.settings import SettingsError, load_settings
from investigations.service import InvestigationRequest
from tests.support.ledger import add_addresses
from tests.support.web import OURS, PASSWORD, TIP, _csrf

ZENDESK = "https://acme.zendesk.com"


@pytest.fixture
def embedded(settings, sqlite_engine, chain):
    app = create_app(settings.model_copy(update={"embed_origins": [ZENDESK]}), engine=sqlite_engine)
    with Session(sqlite_engine) as session:
        add_agent(session, "alice", password_hash=hash_password(PASSWORD))
        add_addresses(session, (OURS, "p-1842"))
        tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
        request = InvestigationRequest(tx["txid"], None, None, None, "zendesk:4711", channel="zendesk")
        app.state.investigator.investigate(session, request)
    return app, tx["txid"]


def _sign_in(client: TestClient, next_url: str):
    page = client.get(f"/login?next={next_url}")
    return page, client.post(
        "/login", data={"csrf": _csrf(page.text), "name": "alice", "password": PASSWORD, "next": next_url}
    )


def test_the_panel_shows_the_tickets_card_and_may_be_framed_by_the_helpdesk_only(embedded):
    app, txid = embedded
    with TestClient(app) as client:
        login, panel = _sign_in(client, "/panel?helpdesk=zendesk&ticket=4711")
        assert f"frame-ancestors 'self' {ZENDESK}" in login.headers["content-security-policy"]
        assert "x-frame-options" not in login.headers
        assert panel.status_code == 200 and str(panel.url).endswith("/panel?helpdesk=zendesk&ticket=4711")
        assert 'id="verdict-card"' in panel.text and txid in panel.text and 'class="topbar"' not in panel.text
        assert f"frame-ancestors 'self' {ZENDESK}" in panel.headers["content-security-policy"]
        assert "x-frame-options" not in panel.headers
        assert 'target="_blank"' in panel.text  # the full pages open outside the frame
        assert client.get(f"/panel?hash={txid.upper()}").text.count('id="verdict-card"') == 1
        assert 'id="panel-empty"' in client.get("/panel?ticket=zendesk:999").text
        waiting = client.get("/panel")  # a Chatwoot Dashboard App: the context comes by postMessage
        assert 'data-await-context="yes"' in waiting.text and f'data-origins="{ZENDESK}"' in waiting.text
        other = client.get("/investigations")
        assert "frame-ancestors 'none'" in other.headers["content-security-policy"]
        assert other.headers["x-frame-options"] == "DENY"
        plain_login = client.get("/login?next=/audit")
        assert plain_login.headers["x-frame-options"] == "DENY"


def test_without_embed_origins_the_panel_is_framed_by_nobody(agent, chain):
    page = agent.get("/panel?ticket=zendesk:1")
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_with_tls_the_frame_gets_cookies_it_can_send(embedded):
    app, _txid = embedded
    with TestClient(app, base_url="https://desk.example") as client:
        page, signed_in = _sign_in(client, "/panel")
        cookies = [c for r in (page, *signed_in.history) for c in r.headers.get_list("set-cookie")]
        session = next(c for c in cookies if c.startswith("dd_session="))
        csrf = next(c for c in cookies if c.startswith("dd_csrf="))
        assert "samesite=none" in session.lower() and "secure" in session.lower()
        assert "samesite=none" in csrf.lower()


def test_embed_origins_must_be_origins(monkeypatch):
    monkeypatch.setenv("EMBED_ORIGINS", "https://acme.zendesk.com, https://chat.acme.com/")
    assert load_settings().embed_origins == ["https://acme.zendesk.com", "https://chat.acme.com"]
    for bad in ("http://acme.zendesk.com", "https://acme.zendesk.com/agent/tickets", "acme.zendesk.com"):
        monkeypatch.setenv("EMBED_ORIGINS", bad)
        with pytest.raises(SettingsError) as error:
            load_settings()
        assert "EMBED_ORIGINS" in str(error.value)
