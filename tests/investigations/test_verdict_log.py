"""Every check is kept whole (verdict, evidence, the providers' answers), and raw answers expire."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.runtime.workers import recheck_round
from investigations import provider_log, verdict_log
from investigations.rechecks import recheck_due
from investigations.service import InvestigationRequest
from tests.support.ledger import add_addresses, address

OURS = address("log-p-1")
TIP = 850_010


def test_each_check_keeps_its_verdict_evidence_and_provider_answers(chain, investigator, session):
    add_addresses(session, (OURS, "p-1"))
    tx = chain.build_tx([(OURS, 1_500_000)])
    record = investigator.investigate(session, InvestigationRequest(tx["txid"], player_ref="p-1", channel="zendesk"))
    assert record.channel == "zendesk"
    chain.confirm(tx["txid"], TIP - 5)
    recheck_due(session, investigator, now=record.next_check_at + timedelta(seconds=1))
    first, second = verdict_log.for_investigation(session, record.id)
    assert (first.kind, first.code, first.previous_code) == ("first", "pending", None)
    assert (second.kind, second.code, second.previous_code, second.final) == (
        "recheck",
        "confirmed_not_credited",
        "pending",
        True,
    )
    assert second.verdict["evidence"]["tx"]["confirmations"] == 6
    answers = provider_log.for_investigation(session, record.id)
    assert {a.check_id for a in answers} == {first.id, second.id}
    assert all(a.body is not None and len(a.body_sha256 or "") == 64 for a in answers if a.status == 200)


def test_the_api_channel_is_the_default(chain, investigator, session):
    record = investigator.investigate(session, InvestigationRequest("ee" * 32))
    assert record.channel == "api"


class _Quiet:
    def after_recheck(self, session, record, *, gave_up=False):  # noqa: ANN001, ANN201
        pass

    def housekeeping(self, session):  # noqa: ANN001, ANN201
        pass


def test_the_recheck_round_drops_raw_answers_past_their_retention(chain, investigator, sqlite_engine):
    with Session(sqlite_engine) as session:
        record = investigator.investigate(session, InvestigationRequest("ee" * 32))
        kept = [a.id for a in provider_log.for_investigation(session, record.id) if a.body is not None]
        assert kept
    investigator.body_retention = timedelta(days=30)
    recheck_round(sqlite_engine, investigator, _Quiet())
    with Session(sqlite_engine) as session:
        assert all(a.body is not None for a in provider_log.for_investigation(session, record.id))
    investigator.clock = lambda: record.created_at + timedelta(days=31)
    recheck_round(sqlite_engine, investigator, _Quiet())
    with Session(sqlite_engine) as session:
        rows = provider_log.for_investigation(session, record.id)
        assert all(a.body is None and a.request_body is None for a in rows)
        assert all(a.body_sha256 for a in rows if a.status == 200)
