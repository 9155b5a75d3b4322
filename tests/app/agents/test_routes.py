"""The agent's pages over HTTP: sign-in, lookup form, verdict card, lists (the browser tests drive the same)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.runtime.accounts import add_agent
from investigations.types import utcnow
from tests.support.web import OURS, PASSWORD, TIP, _csrf, _lookup


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
    assert "Confirming" in page.text and "1 confirmation, 2 needed" in page.text
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
