"""Every SLA figure on a constructed history (tests/support/sla_history.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.lead.sla import period, stats
from tests.support import sla_history
from tests.support.sla_history import NOW


@pytest.fixture
def figures(engine):
    with Session(engine) as session:
        sla_history.build(session)
        return stats.compute(session, period.Period(date(2026, 11, 20), date(2026, 11, 21)), stats.Targets(), NOW)


def test_questions_by_channel_and_code_per_day(figures):
    questions = figures["questions"]
    assert questions["total"] == 6  # five investigations and one ticket with no hash
    assert questions["by_channel"] == {"lookup": 1, "zendesk": 2, "freshdesk": 2, "chatwoot": 1}
    assert questions["by_code"] == {"credited": 3, "not_found": 1, "pending": 1, "no_hash": 1}
    assert questions["per_day"] == [
        {"day": "2026-11-20", "total": 2, "by_channel": {"lookup": 1, "zendesk": 1}},
        {"day": "2026-11-21", "total": 4, "by_channel": {"zendesk": 1, "freshdesk": 2, "chatwoot": 1}},
    ]


def test_webhook_to_first_note_percentiles_and_misses(figures):
    first = figures["first_note"]
    # first notes after 20, 50 (not 70: the ticket's second note), 120 and 30 s; one never written
    assert first["questions"] == 5
    assert (first["p50_seconds"], first["p95_seconds"]) == (40.0, 109.5)
    assert (first["missed"], first["waiting"]) == (2, 1)
    assert first["target_seconds"] == 60
    day_one, day_two = first["per_day"]
    assert day_one == {
        "day": "2026-11-20",
        "questions": 1,
        "missed": 0,
        "waiting": 0,
        "p50_seconds": 20.0,
        "p95_seconds": 20.0,
    }
    assert day_two == {
        "day": "2026-11-21",
        "questions": 4,
        "missed": 2,
        "waiting": 1,
        "p50_seconds": 50.0,
        "p95_seconds": 113.0,
    }


def test_share_answered_without_an_agent_and_escalated(figures):
    automation = figures["automation"]
    assert {k: automation[k] for k in ("questions", "first_note", "follow_ups", "escalated", "open")} == {
        "questions": 4,
        "first_note": 1,
        "follow_ups": 1,
        "escalated": 1,
        "open": 1,
    }
    assert (automation["share_without_agent"], automation["share_escalated"]) == (0.5, 0.25)
    assert automation["per_day"][0] == {
        "day": "2026-11-20",
        "questions": 1,
        "first_note": 1,
        "follow_ups": 0,
        "escalated": 0,
        "open": 0,
    }


def test_open_investigations_by_age_against_the_resolve_target(figures):
    open_now = figures["open"]
    assert open_now["total"] == 3
    assert [(b["age"], b["count"]) for b in open_now["by_age"]] == [
        ("under 1 h", 1),
        ("1 h to 12 h", 0),
        ("12 h to 24 h: will breach", 1),
        ("over 24 h", 1),
    ]
    assert [(o["id"][-1], o["age_hours"]) for o in open_now["oldest"]] == [("7", 59.0), ("4", 13.0), ("5", 0.5)]


def test_recheck_outcomes(figures):
    rechecks = figures["rechecks"]
    assert {k: rechecks[k] for k in ("rechecks", "final", "changed", "unchanged")} == {
        "rechecks": 3,
        "final": 1,
        "changed": 1,
        "unchanged": 1,
    }
    assert rechecks["per_day"][0]["rechecks"] == 0


def test_provider_health(figures):
    assert figures["providers"] == [
        {"provider": "blockstream.info", "calls": 2, "answers": 1, "errors": 1, "p50_ms": 750.0, "p95_ms": 975.0},
        {"provider": "mempool.space", "calls": 4, "answers": 4, "errors": 0, "p50_ms": 250.0, "p95_ms": 385.0},
    ]


def test_an_empty_period_has_zeros_not_errors(engine):
    with Session(engine) as session:
        result = stats.compute(session, period.Period(date(2020, 1, 1), date(2020, 1, 2)), stats.Targets(), NOW)
    assert result["questions"]["total"] == 0
    assert result["first_note"]["p95_seconds"] is None and result["first_note"]["questions"] == 0
    assert result["automation"]["share_without_agent"] is None
    assert result["providers"] == []
    assert len(result["questions"]["per_day"]) == 2


def test_a_registered_section_appears_beside_the_figures(engine):
    stats.register("auditor", lambda session, chosen, now: {"found": 0, "days": len(chosen.days)})
    try:
        with Session(engine) as session:
            result = stats.compute(session, period.Period(date(2026, 11, 20), date(2026, 11, 21)), stats.Targets(), NOW)
    finally:
        stats.SECTIONS.pop("auditor")
    assert result["sections"] == {"auditor": {"found": 0, "days": 2}}


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        ("2026-13-01", None, "from: '2026-13-01' is not a date"),
        ("2026-11-20", "2026-11-01", "is after to"),
        ("2024-01-01", "2026-01-01", "at most 366"),
    ],
)
def test_a_bad_period_is_refused_with_the_reason(date_from, date_to, message):
    with pytest.raises(period.PeriodError, match=message):
        period.parse(date_from, date_to, date(2026, 11, 21))


def test_presets_count_back_from_today():
    today = date(2026, 11, 21)
    assert period.preset("today", today).days == ["2026-11-21"]
    assert len(period.preset("30d", today).days) == 30
    assert period.parse(None, None, today) == period.preset("7d", today)
