"""The bot's "where is my withdrawal?": a linked player's own payout (never another's), its state, ETA
and follow-ups; a payout that is the casino's error goes to a person."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.runtime.workers import recheck_round
from investigations.models import Investigation
from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.types import utcnow
from tests.app.players.test_telegram import CHAT, OTHER_CHAT, app, bot_api, client, link, say, zendesk  # noqa: F401
from tests.support.jobs import drain
from tests.support.ledger import address

PLAYER = address("telegram-payout-player")
HOT = address("telegram-payout-hot")
TIP = 850_010


def _record(app, payout_id, player_ref, tx_hash):  # noqa: F811
    now = utcnow()
    row = {
        "payout_id": payout_id, "chain": "btc", "player_ref": player_ref, "to_address": PLAYER, "asset": "BTC",
        "amount": "0.015", "status": "sent", "tx_hash": tx_hash, "requested_at": now - timedelta(minutes=20),
        "sent_at": now - timedelta(minutes=15),
    }  # fmt: skip
    with Session(app.state.engine) as session:
        upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
        session.commit()


def test_a_linked_player_asks_where_the_withdrawal_is_and_hears_when_it_arrives(client, app, chain, bot_api, engine):  # noqa: F811
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP)
    _record(app, "w-77", "p-1842", tx["txid"])
    link(client, app, CHAT, "p-1842", language="ru")
    say(client, app, CHAT, "где мой вывод? не пришёл", language="ru")
    answer = bot_api.sent(CHAT)[-1]
    assert "Вывод подтверждается" in answer and "0.015 BTC" in answer and "/s/" in answer
    assert PLAYER not in answer
    with Session(app.state.engine) as session:
        record = session.exec(select(Investigation).where(Investigation.payout_id == "w-77")).one()
        record.next_check_at = utcnow() - timedelta(seconds=1)
        session.add(record)
        session.commit()
    chain.tip_height = TIP + 2
    recheck_round(app.state.engine, app.state.investigator, app.state.work)
    drain(app)
    assert "Вывод поступил на ваш кошелёк" in bot_api.sent(CHAT)[-1]


def test_an_unlinked_chat_learns_nothing_of_a_withdrawal(client, app, chain, bot_api):  # noqa: F811
    say(client, app, OTHER_CHAT, "Where is my withdrawal?")
    assert "not linked to a casino account" in bot_api.sent(OTHER_CHAT)[-1]


def test_another_players_payout_is_never_shown(client, app, chain, bot_api):  # noqa: F811
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], height=TIP)
    _record(app, "w-90", "p-2000", tx["txid"])
    link(client, app, CHAT, "p-1842")
    say(client, app, CHAT, "my withdrawal w-90 did not arrive")
    assert "cannot find a withdrawal of yours" in bot_api.sent(CHAT)[-1]
    say(client, app, CHAT, f"withdrawal {tx['txid']}")
    answer = bot_api.sent(CHAT)[-1]
    assert "0.015" not in answer and "w-90" not in answer


def test_a_stuck_withdrawal_is_handed_to_a_person(client, app, chain, bot_api, zendesk):  # noqa: F811
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], fee=150)
    _record(app, "w-78", "p-1842", tx["txid"])
    link(client, app, CHAT, "p-1842")
    say(client, app, CHAT, "withdrawal not received")
    answer = bot_api.sent(CHAT)
    assert any("taking longer than usual" in text for text in answer[-2:])
    assert any("ticket #" in text or "passing this to our support team" in text for text in answer[-2:])
    assert zendesk.opened and "Withdrawal question" in zendesk.opened[0]["subject"]
