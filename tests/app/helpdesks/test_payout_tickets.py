"""Tickets asking about a withdrawal (ru/de/en): the payout is investigated, its note tagged
payout-<code>, and a follow-up note comes when it settles."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.runtime.workers import recheck_round
from investigations.models import Investigation
from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.types import utcnow
from tests.app.helpdesks.test_webhooks import app, callbacks, client, desks, drain, post_zendesk  # noqa: F401
from tests.support.ledger import address

PLAYER = address("payout-ticket-player")
HOT = address("payout-ticket-hot")
TIP = 850_010


def _record(engine, tx_hash):
    now = utcnow()
    row = {
        "payout_id": "w-77", "chain": "btc", "player_ref": "p-1842", "to_address": PLAYER, "asset": "BTC",
        "amount": "0.015", "status": "sent", "tx_hash": tx_hash, "requested_at": now - timedelta(minutes=20),
        "sent_at": now - timedelta(minutes=15),
    }  # fmt: skip
    with Session(engine) as session:
        upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
        session.commit()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Здравствуйте, вывод не пришёл! Мой кошелёк {to}", "ru"),
        ("Hallo, meine Auszahlung ist nicht angekommen. Adresse {to}", "de"),
        ("Hi, my withdrawal was not received, wallet {to}", "en"),
    ],
)
def test_a_withdrawal_ticket_gets_a_payout_note_and_a_follow_up(client, app, chain, desks, engine, text, language):  # noqa: F811
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP)
    _record(engine, tx["txid"])
    desks["zendesk"].ticket("301", "Withdrawal", text.format(to=PLAYER))
    post_zendesk(client, "301")
    drain(app)
    [note] = desks["zendesk"].private_notes("301")
    assert (
        "Payout confirming (payout_confirming" in note and "Payout: w\\-77 (sent), 0\\.015 BTC" in note
    )  # escaped for Zendesk markdown
    assert "payout-confirming" in json.dumps(desks["zendesk"].tickets["301"]["tags"])
    with Session(engine) as session:
        record = session.exec(select(Investigation)).one()
        assert record.payout_id == "w-77" and record.ticket_ref == "zendesk:301"
        record.next_check_at = utcnow() - timedelta(seconds=1)
        session.add(record)
        session.commit()
    chain.tip_height = TIP + 2
    recheck_round(engine, app.state.investigator, app.state.work)
    drain(app)
    notes = desks["zendesk"].private_notes("301")
    assert len(notes) == 2 and "update: Payout confirming → Payout delivered" in notes[1]
    assert "payout-delivered" in json.dumps(desks["zendesk"].tickets["301"]["tags"])


def test_a_deposit_hash_in_a_withdrawal_ticket_is_investigated_as_a_deposit(client, app, chain, desks, engine):  # noqa: F811
    payout = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP)
    _record(engine, payout["txid"])
    deposit = chain.build_tx([(address("payout-ticket-casino"), 2_000_000)], height=TIP)
    desks["zendesk"].ticket(
        "302", "Deposit", f"I cannot withdraw, my deposit {deposit['txid']} is missing, wallet {PLAYER}"
    )
    post_zendesk(client, "302")
    drain(app)
    [note] = desks["zendesk"].private_notes("302")
    assert "payout" not in note.lower().split("reply for the player")[0]
    assert deposit["txid"] in note
