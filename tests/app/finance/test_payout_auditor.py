"""The payout auditor: approved payouts without a tx after the grace, and sent payouts stuck under
the fee horizon, become findings before the player writes (on /audit, the findings API and the
callback); a finding is resolved when its payout confirms."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from app.runtime.workers import Worker
from app.wiring import build_auditor, build_investigator
from chains.base import Chain
from investigations.audit.models import Finding
from investigations.audit.payouts import audit_payouts
from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.types import utcnow
from tests.app.finance.test_auditor import CALLBACK, SECRET, _btc
from tests.support.ledger import address

PLAYER = address("payout-audit-player")
HOT = address("payout-audit-hot")
TIP = 850_010
NOW = utcnow()


def _record(session, payout_id="w-77", tx_hash=None, *, status="approved", minutes_ago=45):
    row = {
        "payout_id": payout_id, "chain": "btc", "player_ref": "p-1842", "to_address": PLAYER, "asset": "BTC",
        "amount": "0.015", "status": status, "tx_hash": tx_hash,
        "requested_at": NOW - timedelta(minutes=minutes_ago + 1),
        "sent_at": NOW - timedelta(minutes=minutes_ago) if tx_hash else None,
    }  # fmt: skip
    upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
    session.commit()


def _round(session, investigator, at=NOW):
    investigator.clock = lambda: at
    outcome = audit_payouts(session, investigator, Chain.BTC, now=at)
    session.commit()
    return outcome


def test_an_approved_payout_without_a_tx_is_a_finding_only_after_the_grace(chain, investigator, session):
    _record(session, minutes_ago=10)
    assert _round(session, investigator).new_findings == []
    later = _round(session, investigator, at=NOW + timedelta(minutes=25))
    [finding] = later.new_findings
    assert finding.code == "payout_not_sent" and finding.payout_id == "w-77" and finding.tx_hash == ""
    assert finding.player_ref == "p-1842" and finding.amount_base_units == 1_500_000
    again = _round(session, investigator, at=NOW + timedelta(minutes=50))
    assert again.new_findings == []  # one open finding per payout
    assert len(session.exec(select(Finding)).all()) == 1


def test_a_stuck_payout_is_a_finding_that_follows_it_and_is_resolved_when_it_confirms(chain, investigator, session):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], fee=150)
    _record(session, tx_hash=tx["txid"], status="sent", minutes_ago=5)
    [finding] = _round(session, investigator).new_findings
    assert finding.code == "payout_stuck" and finding.tx_hash == tx["txid"]
    assert "sat/vB" in finding.summary
    chain.confirm(tx["txid"], TIP)
    outcome = _round(session, investigator, at=NOW + timedelta(minutes=11))
    assert [f.id for f in outcome.resolved] == [finding.id]
    session.refresh(finding)
    assert finding.status == "resolved" and finding.resolved_by == "chain"
    assert "payout_confirming" in finding.resolution


def test_a_payout_on_its_way_is_no_finding(chain, investigator, session):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 9_000_000)], senders=[HOT], fee=3_000)
    _record(session, tx_hash=tx["txid"], status="sent", minutes_ago=5)
    outcome = _round(session, investigator)
    assert outcome.checked == 1 and outcome.new_findings == []


def test_payout_findings_are_on_the_findings_api_filtered_by_code(api, chain, engine, settings):
    with Session(engine) as session:
        _record(session)
        investigator = build_investigator(settings)
        _round(session, investigator)
    found = api.get("/api/findings", params={"code": "payout_not_sent"})
    assert found.status_code == 200, found.text
    [row] = found.json()["findings"]
    assert row["payout_id"] == "w-77" and row["amount"] == "0.015" and row["block_height"] is None
    assert row["card_url"].startswith("/investigations/")


def test_the_auditor_round_posts_a_payout_finding_to_the_callback(http_mock, chain, settings, sqlite_engine):
    received = []
    http_mock.add_callback("POST", CALLBACK, callback=lambda request: received.append(request) or (200, {}, ""))
    _btc(http_mock, chain)
    configured = settings.model_copy(
        update={"audit_callback_url": CALLBACK, "audit_callback_secret": SECRET, "audit_chains": [Chain.BTC],
                "audit_btc_start_height": 890_001}
    )  # fmt: skip
    auditor = build_auditor(configured, sqlite_engine, build_investigator(configured))
    with Session(sqlite_engine) as session:
        _record(session)
    auditor.round()
    Worker(sqlite_engine, auditor.handlers()).run_once()
    [request] = received
    body = json.loads(request.body)
    assert body["type"] == "finding.opened"
    assert body["finding"]["code"] == "payout_not_sent" and body["finding"]["payout_id"] == "w-77"


def test_the_audit_page_shows_a_payout_finding(agent, app, chain, sqlite_engine):
    with Session(sqlite_engine) as session:
        _record(session)
        _round(session, app.state.investigator)
    page = agent.get("/audit", params={"code": "payout_not_sent"})
    assert page.status_code == 200
    assert "Payout not sent" in page.text and "w-77" in page.text and "no tx" in page.text
    csv = agent.get("/audit.csv")
    assert "payout_not_sent" in csv.text


def test_the_dashboard_counts_payout_questions_and_findings_found_before_the_player_asked(
    agent, app, chain, sqlite_engine
):
    from datetime import date

    from app.lead.sla import period, stats

    with Session(sqlite_engine) as session:
        _record(session)
        _round(session, app.state.investigator)  # the auditor finds it first
        investigator = app.state.investigator
        investigator.clock = lambda: NOW + timedelta(minutes=5)
        investigator.investigate_payout(session, investigator.payout(session, "w-77"), channel="lookup")
        today = NOW.date()
        figures = stats.compute(session, period.Period(today, today), stats.Targets(), NOW + timedelta(minutes=6))
    payouts = figures["payouts"]
    assert payouts["questions"] == 1 and payouts["by_code"] == {"payout_not_sent": 1}
    assert payouts["by_channel"] == {"lookup": 1}
    assert payouts["findings"] == 1 and payouts["found_before_the_player_asked"] == 1
    assert date.fromisoformat(figures["from"]) == today
    page = agent.get("/dashboard")
    assert page.status_code == 200 and "Payout questions and findings" in page.text


def test_payouts_requested_more_than_a_week_ago_are_not_watched_any_more(chain, investigator, session):
    _record(session, minutes_ago=8 * 24 * 60)
    outcome = _round(session, investigator)
    assert outcome.checked == 0 and outcome.new_findings == []
