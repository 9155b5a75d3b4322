"""The dashboard's public-reply figures (issue 26) on a constructed day of tickets, on SQLite and
PostgreSQL: time to first public reply with and without the bot, answered without an agent, reopened
within 24 h, and shadow-mode agreement per code."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.helpdesks.models import TicketLink, TicketNote
from app.helpdesks.public_reply import AGENT_REPLY_MARKER, PLAYER_ANSWERED
from app.lead.sla import period, replies, stats
from tests.support.sla_history import NOW, at

CREDITED = (
    "Your deposit of 0.015 BTC is confirmed and has already been credited to your balance. If you do not see it, "
    "please refresh the page.\n\nhttps://desk.example/s/abc\n[depositdesk reply inv4 #1]"
)
CONFIRMING = (
    "Your deposit of 0.015 BTC is confirming: 1 of 3 confirmations. It will be credited automatically in about "
    "20 minutes.\n\nhttps://desk.example/s/def\n[depositdesk reply inv5 #1]"
)


def _link(session, ticket, received, number):
    session.add(TicketLink(helpdesk="zendesk", ticket_ref=ticket, tx_hash=f"{number:064x}",
                           investigation_id=f"inv{number}", received_at=received))  # fmt: skip


def _note(session, ticket, marker, code, status, created, body="", written=None, received=None):
    session.add(TicketNote(helpdesk="zendesk", ticket_ref=ticket, marker=marker, code=code, body=body, status=status,
                           extra={"public": True}, created_at=created, written_at=written, received_at=received))  # fmt: skip


def build(session: Session) -> None:
    _link(session, "t1", at(20, 10), 1)
    _link(session, "t1", at(20, 10, 30), 11)  # a second hash on the same ticket: one ticket
    _note(session, "t1", "[depositdesk reply inv1 #1]", "confirming", "written", at(20, 10), CONFIRMING,
          at(20, 10, 0, 5), at(20, 10))  # fmt: skip
    _link(session, "t2", at(20, 11), 2)
    _note(session, "t2", "[depositdesk reply inv2 #1]", "credited", "written", at(20, 11), CREDITED,
          at(20, 11, 0, 10), at(20, 11))  # fmt: skip
    _note(session, "t2", "[depositdesk silenced]", "silenced", "silenced", at(20, 12), PLAYER_ANSWERED)
    _link(session, "t3", at(20, 12), 3)
    _note(session, "t3", AGENT_REPLY_MARKER, "agent_reply", "seen", at(20, 12, 30), "Checking it", at(20, 12, 30))
    _link(session, "t4", at(21, 13), 4)
    _note(session, "t4", "[depositdesk reply inv4 #1]", "credited", "shadow", at(21, 13, 0, 2), CREDITED)
    _note(session, "t4", AGENT_REPLY_MARKER, "agent_reply", "seen", at(21, 13, 20),
          "Hi! Your 0.015 BTC were credited to your balance.", at(21, 13, 20))  # fmt: skip
    _link(session, "t5", at(21, 14), 5)
    _note(session, "t5", "[depositdesk reply inv5 #1]", "confirming", "shadow", at(21, 14, 0, 2), CONFIRMING)
    _note(session, "t5", AGENT_REPLY_MARKER, "agent_reply", "seen", at(21, 14, 10),
          "It has 2 confirmations now, please wait a little.", at(21, 14, 10))  # fmt: skip
    _link(session, "t6", at(21, 15), 6)
    _note(session, "t6", "[depositdesk reply inv6 #1]", "confirming", "shadow", at(21, 15, 0, 2), CONFIRMING)
    _link(session, "t0", at(19, 9), 7)  # before the period
    _note(session, "t0", "[depositdesk reply inv7 #1]", "credited", "written", at(19, 9), CREDITED, at(19, 9, 0, 1))
    session.commit()


@pytest.fixture
def figures(engine):
    with Session(engine) as session:
        build(session)
        return stats.compute(session, period.Period(date(2026, 11, 20), date(2026, 11, 21)), stats.Targets(), NOW)


def test_time_to_first_public_reply_with_and_without_the_bot(figures):
    pr = figures["public_replies"]
    assert pr["tickets"] == 6
    assert pr["first_public_reply_with_bot"] == {"tickets": 2, "p50_seconds": 7.5, "p90_seconds": 9.5}
    assert pr["first_public_reply_without_bot"] == {"tickets": 3, "p50_seconds": 1200.0, "p90_seconds": 1680.0}


def test_answered_without_an_agent_and_reopened_within_a_day(figures):
    pr = figures["public_replies"]
    assert (pr["answered_without_agent"], pr["share_answered_without_agent"]) == (2, 0.3333)
    assert (pr["reopened_within_24h"], pr["share_reopened_within_24h"]) == (1, 0.5)


def test_shadow_agreement_per_code(figures):
    assert figures["public_replies"]["shadow_agreement"] == [
        {"code": "confirming", "shadow": 2, "compared": 1, "agreed": 0, "agreement": 0.0},  # "2 confirmations"
        {"code": "credited", "shadow": 1, "compared": 1, "agreed": 1, "agreement": 1.0},
    ]


@pytest.mark.parametrize(
    ("code", "agent", "same"),
    [
        ("credited", "Зачислено на ваш баланс: 0,015 BTC.", True),
        ("credited", "Your 0.02 BTC were credited.", False),  # another amount
        ("confirming", "It is confirming, 1 of 3 so far.", True),
        ("confirming", "It is confirmed and credited now.", False),  # a later state
        ("confirming", "Wir warten noch auf Bestätigungen.", True),
    ],
)
def test_agreement_is_the_same_state_and_no_other_number(code, agent, same):
    bot = CREDITED if code == "credited" else CONFIRMING
    assert replies.agrees(code, bot, agent) is same


def test_the_dashboard_shows_the_public_reply_figures(agent, app):
    with Session(app.state.engine) as session:
        build(session)
    page = agent.get("/dashboard", params={"from": "2026-11-20", "to": "2026-11-21"}).text
    section = page.split('id="public-replies"', 1)[1]
    assert "by the bot" in section and "7.5 s" in section and "20 min" in section
    assert "33.3 % of deposit tickets" in section and "50.0 % of those" in section
    assert 'id="shadow-agreement"' in section and "100.0 %" in section


def test_the_csv_has_the_public_reply_figures(figures):
    from app.lead.sla import csv_rows

    text = csv_rows.to_csv(figures)
    assert "public_replies,total,first_public_reply_with_bot,p90_seconds,9.5" in text
    assert "public_replies,total,shadow_agreement,credited,1.0" in text
    assert "public_replies,total,reopened_within_24h,,1" in text
