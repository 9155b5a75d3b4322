"""The agent's pages and the player's status link, over HTTP (the browser tests drive the same)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import add_agent
from app.main import create_app
from app.sessions import hash_password
from investigations.models import Investigation
from investigations.types import utcnow
from tests.support.ledger import add_addresses, address

OURS = address("web-p-1")
TIP = 850_010
PASSWORD = "correct horse battery"


@pytest.fixture
def app(settings, sqlite_engine, chain):
    application = create_app(settings.model_copy(update={"status_rate_limit_per_ip": 1000}), engine=sqlite_engine)
    with Session(sqlite_engine) as session:
        add_agent(session, "alice", password_hash=hash_password(PASSWORD))
        add_addresses(session, (OURS, "p-1842"))
    return application


@pytest.fixture
def browser(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def agent(browser):
    """A signed-in agent's browser."""
    page = browser.get("/login")
    browser.post(
        "/login", data={"csrf": _csrf(page.text), "name": "alice", "password": PASSWORD}, follow_redirects=False
    )
    return browser


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _lookup(agent, **form):
    page = agent.get("/")
    return agent.post("/lookup", data={"csrf": _csrf(page.text), **form}, follow_redirects=True)


def test_pages_need_a_signed_in_agent(browser):
    response = browser.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert browser.get("/investigations", follow_redirects=False).status_code == 303


def test_sign_in_with_password_or_token_and_sign_out(browser, app, sqlite_engine):
    page = browser.get("/login")
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in page.headers["set-cookie"]
    wrong = browser.post("/login", data={"csrf": _csrf(page.text), "name": "alice", "password": "nope"})
    assert wrong.status_code == 401 and "Wrong name, password or token" in wrong.text
    ok = browser.post(
        "/login", data={"csrf": _csrf(page.text), "name": "alice", "password": PASSWORD}, follow_redirects=False
    )
    assert ok.status_code == 303
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("dd_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = browser.get("/")
    assert home.status_code == 200 and "Investigate a deposit" in home.text
    browser.post("/logout", data={"csrf": _csrf(home.text)})
    assert browser.get("/", follow_redirects=False).status_code == 303
    with Session(sqlite_engine) as session:
        _agent, token = add_agent(session, "bob")
    page = browser.get("/login")
    assert browser.post("/login", data={"csrf": _csrf(page.text), "token": token}).status_code == 200


def test_sign_in_never_redirects_off_site(browser):
    page = browser.get("/login?next=//evil.example/x")
    response = browser.post(
        "/login",
        data={"csrf": _csrf(page.text), "name": "alice", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_forms_without_the_csrf_token_are_refused(agent):
    assert agent.post("/lookup", data={"text": "ab" * 32}).status_code == 403
    assert agent.post("/lookup", data={"text": "ab" * 32, "csrf": "forged"}).status_code == 403
    assert agent.post("/logout", data={}).status_code == 403
    assert agent.post("/login", data={"name": "alice", "password": PASSWORD}).status_code == 403


def test_a_chat_message_is_investigated_and_shown_as_a_verdict_card(agent, chain):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    message = f"hi!! I deposited 0.015 btc an hour ago, see https://mempool.space/tx/{tx['txid']} , my wallet {OURS}"
    page = _lookup(agent, text=message, player_ref="p-1842")
    assert page.status_code == 200 and "/investigations/" in str(page.url)
    assert "Confirming" in page.text and "1 / 2" in page.text
    assert 'id="reply-ru"' in page.text and "подтверждение" in page.text
    assert "/s/" in page.text and "Copy link" in page.text


def test_lookup_without_javascript_answers_a_fragment_to_fetch(agent, chain):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 3)
    page = agent.get("/")
    fragment = agent.post(
        "/lookup", data={"csrf": _csrf(page.text), "text": tx["txid"]}, headers={"X-Requested-With": "fetch"}
    )
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<article")
    assert fragment.headers["X-Investigation-Url"].startswith("/investigations/")


def test_text_without_a_hash_is_a_clear_error(agent, chain):
    page = _lookup(agent, text="my deposit is missing!!")
    assert page.status_code == 422 and "No transaction hash found" in page.text


@pytest.mark.parametrize("field", ["text", "address", "player_ref"])
def test_markup_in_any_field_comes_back_escaped(agent, chain, field):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 3)
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    form = {"text": tx["txid"], "player_ref": "p-1842"} | {
        field: f"{tx['txid']} {attack}" if field == "text" else attack
    }
    page = _lookup(agent, **form)
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    if field != "text":
        assert "&lt;script&gt;" in page.text or "&lt;img" in page.text or page.status_code == 422


def test_recent_list_filters_by_code_chain_and_date(agent, chain):
    confirming = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    settled = chain.build_tx([(OURS, 2_500_000)], height=TIP - 5)
    _lookup(agent, text=confirming["txid"])
    _lookup(agent, text=settled["txid"])
    everything = agent.get("/investigations").text
    assert confirming["txid"][:10] in everything and settled["txid"][:10] in everything
    only = agent.get("/investigations?code=confirming&chain=btc").text
    assert confirming["txid"][:10] in only and settled["txid"][:10] not in only
    today = utcnow().date().isoformat()
    assert settled["txid"][:10] in agent.get(f"/investigations?date_from={today}&date_to={today}").text
    assert "No investigations match" in agent.get("/investigations?date_to=2001-01-01").text


def _status_url(agent, chain, **tx_kw) -> tuple[str, dict]:
    tx = chain.build_tx([(OURS, 1_500_000)], **tx_kw)
    page = _lookup(agent, text=tx["txid"], player_ref="p-1842")
    url = re.search(r'id="status-url" readonly value="https://desk.example(/s/[^"]+)"', page.text).group(1)
    return url, tx


def test_status_page_shows_the_state_and_none_of_the_internals(agent, chain, app):
    url, tx = _status_url(agent, chain, height=TIP)
    with TestClient(app) as player:
        page = player.get(url)
    assert page.status_code == 200
    assert "Confirming" in page.text and "1 of 2 confirmations" in page.text and "0.015 BTC" in page.text
    for secret in ("p-1842", OURS, "Action:", "casino"):  # the tx hash is theirs: shown short, linked
        assert secret not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "never ask for your private keys" in page.text
    assert 'aria-live="polite"' in page.text and "<progress" in page.text


def test_status_page_language_from_query_cookie_then_accept_language(agent, chain, app):
    url, _tx = _status_url(agent, chain, height=TIP)
    with TestClient(app) as player:
        assert "Wird bestätigt" in player.get(url, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).text
        russian = player.get(url + "?lang=ru")
        assert "Подтверждается" in russian.text and "1 подтверждение из 2" in russian.text
        assert "Подтверждается" in player.get(url, headers={"Accept-Language": "en"}).text  # the cookie remembers
        assert "Confirming" in player.get(url + "?lang=en").text


def test_unknown_tampered_expired_and_revoked_links_are_the_same_404(agent, chain, app, sqlite_engine):
    url, _tx = _status_url(agent, chain, height=TIP - 5)
    with TestClient(app) as player:
        assert player.get(url).status_code == 200
        tampered = player.get(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
        unknown = player.get("/s/" + "x" * 43)
        with Session(sqlite_engine) as session:
            record = session.exec(select(Investigation)).one()
            record.final_at = utcnow() - timedelta(days=31)
            session.add(record)
            session.commit()
        expired = player.get(url)
        with Session(sqlite_engine) as session:
            record = session.exec(select(Investigation)).one()
            record.final_at, record.status_revoked_at = utcnow(), utcnow()
            session.add(record)
            session.commit()
        revoked = player.get(url)
        api = player.get("/api/status/" + url.removeprefix("/s/"))
    assert {r.status_code for r in (tampered, unknown, expired, revoked)} == {404}
    assert tampered.text == unknown.text == expired.text == revoked.text
    assert api.status_code == 404


def test_agent_revokes_a_link(agent, chain, app):
    url, _tx = _status_url(agent, chain, height=TIP - 5)
    page = agent.get("/investigations")
    investigation = re.search(r'href="(/investigations/[0-9a-f]{32})"', page.text).group(1)
    card = agent.get(investigation)
    agent.post(f"{investigation}/revoke-link", data={"csrf": _csrf(card.text)})
    with TestClient(app) as player:
        assert player.get(url).status_code == 404


def test_status_json_has_an_etag_and_many_viewers_cost_one_lookup(agent, chain, app, sqlite_engine):
    url, tx = _status_url(agent, chain, height=TIP)
    api = "/api/status/" + url.removeprefix("/s/")
    with TestClient(app) as player:
        first = player.get(api)
        assert first.status_code == 200 and first.json()["state"] == "confirming"
        assert "p-1842" not in first.text and OURS not in first.text
        assert player.get(api, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        chain.confirm(tx["txid"], TIP - 5)
        with Session(sqlite_engine) as session:
            record = session.exec(select(Investigation)).one()
            record.next_check_at = utcnow() - timedelta(seconds=1)
            session.add(record)
            session.commit()
        chain.requests.clear()
        answers = [player.get(api).json()["state"] for _ in range(5)]
    assert answers == ["confirmed"] * 5
    assert len([u for u in chain.requests if "/tx/" in u]) == 1  # one viewer re-checked, the rest read


def test_status_link_is_rate_limited(agent, chain, settings, sqlite_engine):
    tight = create_app(settings.model_copy(update={"status_rate_limit_per_ip": 3}), engine=sqlite_engine)
    url, _tx = _status_url(agent, chain, height=TIP - 5)
    with TestClient(tight) as player:
        codes = [player.get(url).status_code for _ in range(10)]
    assert 429 in codes and codes[0] == 200
