"""A status link never shows a state or an amount that is not the ticket player's own: a batch
payout to several players with a ticket that names neither says only "we are checking which
payment is yours"."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.ledger import add_addresses, add_deposit, address
from tests.support.web import OURS, TIP, _lookup

OTHER = address("web-p-2")
WORDS = {
    "en": "We are checking which payment is yours",
    "de": "Wir prüfen, welche Zahlung Ihre ist",
    "ru": "Мы проверяем, какой из платежей ваш",
}


def _status_path(agent, text: str, **form) -> str:
    page = _lookup(agent, text=text, **form)
    return re.search(r'id="status-url" readonly value="https://desk.example(/s/[^"]+)"', page.text).group(1)


@pytest.fixture
def batch(app, agent, chain, sqlite_engine):
    with Session(sqlite_engine) as session:
        add_addresses(session, (OTHER, "p-2"))
    tx = chain.build_tx([(OTHER, 7_000_000), (OURS, 1_500_000)], height=TIP - 5)
    with Session(sqlite_engine) as session:
        add_deposit(session, tx["txid"], OTHER, "0.07", "p-2")  # the other player's output: credited
    return tx


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_an_ambiguous_batch_payout_shows_only_that_we_are_checking(app, agent, batch, lang):
    path = _status_path(agent, batch["txid"])
    with TestClient(app) as player:
        page = player.get(f"{path}?lang={lang}")
        data = player.get(f"/api/status/{path.removeprefix('/s/')}?lang={lang}").json()
    assert WORDS[lang] in page.text
    for leaked in ("0.07", "0.015", "BTC</dd>", "Credited", "Confirmed", "Gutgeschrieben", "Зачислено", "✓"):
        assert leaked not in page.text
    assert data["state"] == "which_payment" and data["amount"] is None and data["asset"] is None
    assert data["message"] is None and data["confirmations"] is None and data["explorer_url"] is None


def test_the_players_own_payment_is_shown_once_the_ticket_names_them(app, agent, batch):
    path = _status_path(agent, batch["txid"], player_ref="p-1842")
    with TestClient(app) as player:
        data = player.get(f"/api/status/{path.removeprefix('/s/')}").json()
    assert data["amount"] == "0.015" and data["state"] == "confirmed_waiting"


def test_another_players_payment_is_never_shown_as_the_tickets(app, agent, chain, sqlite_engine):
    with Session(sqlite_engine) as session:
        add_addresses(session, (OTHER, "p-2"))
    tx = chain.build_tx([(OTHER, 7_000_000)], height=TIP - 5)
    path = _status_path(agent, tx["txid"], player_ref="p-1842")
    with TestClient(app) as player:
        data = player.get(f"/api/status/{path.removeprefix('/s/')}").json()
        page = player.get(path)
    assert data["amount"] is None and "0.07" not in page.text
