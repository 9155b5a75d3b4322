"""Payouts on the agent's pages and the player's status link: the lookup form (payout id field, a
withdrawal question in ru/de/en), the verdict card, and a status page that shows state, ETA, amount
and network but never the casino's internal reason or the player's address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.types import utcnow
from tests.support.ledger import address
from tests.support.web import TIP, _lookup

PLAYER = address("payout-page-player")
HOT = address("payout-page-hot")
ELSEWHERE = address("payout-page-elsewhere")


def _record(engine, tx_hash, **change):
    now = utcnow()
    row = {
        "payout_id": "w-77", "chain": "btc", "player_ref": "p-1842", "to_address": PLAYER, "asset": "BTC",
        "amount": "0.015", "status": "sent", "tx_hash": tx_hash, "requested_at": now - timedelta(minutes=20),
        "sent_at": now - timedelta(minutes=15), **change,
    }  # fmt: skip
    with Session(engine) as session:
        upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
        session.commit()


def _status_url(page_text: str) -> str:
    return re.search(r'id="status-url" readonly value="https://desk.example(/s/[^"]+)"', page_text).group(1)


def test_the_payout_id_field_shows_a_payout_card(agent, chain, sqlite_engine):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP)
    _record(sqlite_engine, tx["txid"])
    page = _lookup(agent, payout_id="w-77")
    assert page.status_code == 200
    assert 'data-code="payout_confirming"' in page.text and "Payout confirming" in page.text
    assert "w-77" in page.text and PLAYER in page.text  # the agent sees the record
    missing = _lookup(agent, payout_id="w-404")
    assert missing.status_code == 422 and "payout_id" in missing.text


@pytest.mark.parametrize(
    "message",
    ["вывод не пришёл уже час, кошелёк {to}", "Auszahlung nicht angekommen! Meine Adresse: {to}", "withdrawal not received to {to}"],
)  # fmt: skip
def test_a_withdrawal_question_finds_the_payout_by_the_players_address(agent, chain, sqlite_engine, message):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP - 3)
    _record(sqlite_engine, tx["txid"])
    page = _lookup(agent, text=message.format(to=PLAYER))
    assert 'data-code="payout_delivered"' in page.text


def test_the_status_page_of_a_payout_shows_the_state_and_none_of_the_internals(agent, chain, app, sqlite_engine):
    tx = chain.build_tx([(ELSEWHERE, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP - 3)
    _record(sqlite_engine, tx["txid"])
    card = _lookup(agent, payout_id="w-77")
    assert 'data-code="payout_wrong_address"' in card.text
    with TestClient(app) as player:
        page = player.get(_status_url(card.text))
        data = player.get("/api/status/" + _status_url(card.text).removeprefix("/s/")).json()
    assert page.status_code == 200 and "Needs our support team" in page.text and "0.015 BTC" in page.text
    for secret in ("p-1842", PLAYER, ELSEWHERE, "wrong", "finance must", "Escalate", "w-77"):
        assert secret not in page.text
    assert data["state"] == "needs_support" and data["amount"] == "0.015" and data["network"] == "Bitcoin"


def test_the_status_page_of_a_pending_payout_shows_its_eta(agent, chain, app, sqlite_engine):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], fee=2_500)
    _record(sqlite_engine, tx["txid"])
    card = _lookup(agent, payout_id="w-77")
    assert 'data-code="payout_pending"' in card.text and "ETA" in card.text
    with TestClient(app) as player:
        page = player.get(_status_url(card.text) + "?lang=de")
    assert "Auszahlung gesendet" in page.text and "Erwartet in etwa 10 Min." in page.text


def test_the_evidence_file_of_a_payout_holds_its_record_and_verdicts(agent, chain, app, sqlite_engine, tmp_path):
    app.state.settings = app.state.settings.model_copy(update={"evidence_key_file": str(tmp_path / "k.pem")})
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], fee=150)
    _record(sqlite_engine, tx["txid"])
    card = _lookup(agent, payout_id="w-77")
    investigation = re.search(r"/investigations/([0-9a-f]{32})", str(card.url)).group(1)
    signed = agent.get(f"/investigations/{investigation}/evidence.json").json()
    doc = signed["evidence"]
    assert doc["payout_record_now"]["payout_id"] == "w-77" and doc["payout_record_now"]["amount"] == "0.015"
    assert doc["verdicts"][0]["code"] == "payout_stuck"
    assert doc["verdicts"][0]["evidence"]["advice"]["kind"] == "cpfp"
    assert doc["explorer_links"][0].endswith(tx["txid"])
