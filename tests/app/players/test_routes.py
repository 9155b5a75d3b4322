"""The player's status link over HTTP: what it shows and hides, languages, 404s, ETag, rate limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.main import create_app
from investigations.audit.models import Finding
from investigations.models import Investigation
from investigations.types import utcnow
from tests.support.catalogs import add_language
from tests.support.web import OURS, TIP, _csrf, _lookup


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
    assert answers == ["confirmed_waiting"] * 5  # no finding or ticket yet: nobody is crediting it
    # One viewer re-checked (one lookup: both providers asked at once, once each), the rest read.
    assert sorted(u.split("/api/")[0] for u in chain.requests if "/tx/" in u) == [
        "https://esplora-one.test",
        "https://esplora-two.test",
    ]


def test_status_link_is_rate_limited(agent, chain, settings, sqlite_engine):
    tight = create_app(settings.model_copy(update={"status_rate_limit_per_ip": 3}), engine=sqlite_engine)
    url, _tx = _status_url(agent, chain, height=TIP - 5)
    with TestClient(tight) as player:
        codes = [player.get(url).status_code for _ in range(10)]
    assert 429 in codes and codes[0] == 200


def test_a_language_added_as_a_catalog_is_offered_on_the_page_and_the_card(agent, chain, app, monkeypatch, tmp_path):
    before, _tx = _status_url(agent, chain, height=TIP)  # its replies were written in ru, de and en only
    # A translator's "<" or "%" is text: escaped on the page, never markup or a format error.
    add_language(monkeypatch, tmp_path / "locale", "pt", lambda text: f"[pt] {text} <100%>")
    after, _tx = _status_url(agent, chain, height=TIP)
    with TestClient(app) as player:
        old = player.get(before, headers={"Accept-Language": "pt-BR,pt;q=0.9"})
        new = player.get(after, headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    assert '<html lang="pt">' in new.text and 'href="?lang=pt"' in new.text
    assert "<title>[pt] Deposit status &lt;100%&gt;</title>" in new.text and "<100%>" not in new.text
    assert "[pt] Confirming" in new.text and "[pt] 1 of 2 confirmations" in new.text
    assert "[pt] Your deposit of 0.015 BTC is confirming" in new.text
    # A verdict from before Portuguese existed has no reply in it: the page words are Portuguese, the reply English.
    assert "[pt] Confirming" in old.text and "Your deposit of 0.015 BTC is confirming" in old.text
    lookup = _lookup(agent, text=_tx["txid"], player_ref="p-1842")
    assert 'id="reply-pt"' in lookup.text and "Português" in lookup.text


def test_the_status_page_names_the_casino_and_leads_to_support_on_every_state(agent, chain, settings, sqlite_engine):
    branded = settings.model_copy(
        update={
            "brand_name": "Lucky Owl",
            "brand_logo_url": "https://cdn.luckyowl.example/logo.svg",
            "support_url": "https://t.me/luckyowl_support_bot",
            "status_rate_limit_per_ip": 1000,
        }
    )
    app = create_app(branded, engine=sqlite_engine)
    with TestClient(app) as player:
        for token_page in (player.get("/s/" + "x" * 43), player.get("/s/" + "y" * 43, params={"lang": "ru"})):
            assert token_page.status_code == 404
            assert "Lucky Owl" in token_page.text and 'href="https://t.me/luckyowl_support_bot"' in token_page.text
        assert "Написать в поддержку" in token_page.text
        url, _tx = _status_url(agent, chain, height=TIP)
        page = player.get(url)
    assert "Lucky Owl" in page.text and 'id="support-link"' in page.text
    assert "https://cdn.luckyowl.example" in page.headers["Content-Security-Policy"]
    assert 'id="eta"' in page.text and "min left" in page.text  # the ETA beside the progress bar


def test_a_payment_a_person_must_see_does_not_claim_finance_has_it(agent, chain, app, sqlite_engine):
    with Session(sqlite_engine) as session:
        record_url, tx = _status_url(agent, chain, height=TIP - 5)
        record = session.exec(select(Investigation).where(Investigation.tx_hash == tx["txid"])).one()
        record.code = "unsupported_asset"  # its reply says "passed to our finance team"
        session.add(record)
        session.commit()
    with TestClient(app) as player:
        page = player.get(record_url)
    assert "Needs our support team" in page.text
    assert "finance" not in page.text and "contact our support team" in page.text


STATE_AND_REPLY = {  # (state line, reply) without a finding or ticket, then with one, per language
    "en": (
        ("Confirmed — not on your balance yet", "contact our support team"),
        ("our team is crediting it", "finance team"),
    ),
    "ru": (("ещё не на балансе", "свяжитесь с нашей службой поддержки"), ("зачисляется нашей командой", "финанс")),
    "de": (("noch nicht auf Ihrem Guthaben", "an unseren Support"), ("Finanz", "Finanz")),
}


@pytest.mark.parametrize("language", sorted(STATE_AND_REPLY))
def test_confirmed_not_credited_says_finance_has_it_only_once_a_finding_exists(
    agent, chain, app, sqlite_engine, language
):
    url, tx = _status_url(agent, chain, height=TIP - 5)
    (state_before, reply_before), (state_after, reply_after) = STATE_AND_REPLY[language]
    with TestClient(app) as player:
        before = player.get(f"{url}?lang={language}")
        with Session(sqlite_engine) as session:
            record = session.exec(select(Investigation)).one()
            assert record.code == "confirmed_not_credited"
            session.add(
                Finding(chain="btc", tx_hash=tx["txid"], address=OURS, player_ref="p-1842", asset="BTC",
                        amount_base_units=1_500_000, code=record.code, investigation_id=record.id)
            )  # fmt: skip
            session.commit()
        after = player.get(f"{url}?lang={language}")
        api = player.get("/api/status/" + url.removeprefix("/s/") + f"?lang={language}").json()
    assert state_before in before.text and reply_before in before.text
    assert "finance" not in before.text and "финанс" not in before.text and "Finanz" not in before.text
    assert state_after in after.text and reply_after in after.text and reply_before not in after.text
    assert api["state"] == "confirmed"
