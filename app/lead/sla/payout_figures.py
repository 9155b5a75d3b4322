"""Payout (withdrawal) figures for the dashboard and `/api/stats` (`payouts`): the
questions about payouts by verdict code and channel, and the payout auditor's findings — how many
came before a player asked about that payout."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from app.lead.sla.period import Period
from app.lead.sla.tables import investigations
from investigations.audit.models import Finding

AUDIT_CHANNEL = "audit"  # the payout auditor's own investigations are not questions
findings = Finding.__table__  # type: ignore[attr-defined]


def compute(session: Session, period: Period, now: datetime) -> dict[str, Any]:
    inv = investigations
    asked = and_(
        inv.c.created_at >= period.start,
        inv.c.created_at < period.end,
        inv.c.payout_id.is_not(None),
        inv.c.channel != AUDIT_CHANNEL,
    )
    by_code = Counter[str](
        dict(session.execute(select(inv.c.code, func.count()).where(asked).group_by(inv.c.code)).all())
    )
    by_channel = Counter[str](
        dict(session.execute(select(inv.c.channel, func.count()).where(asked).group_by(inv.c.channel)).all())
    )
    return result(by_code, by_channel, findings_figures(session, period))


def findings_figures(session: Session, period: Period) -> tuple[Counter[str], int]:
    """The payout auditor's findings of the period by code, and how many came before the first question."""
    inv = investigations
    found = and_(
        findings.c.found_at >= period.start, findings.c.found_at < period.end, findings.c.payout_id.is_not(None)
    )
    finding_codes = Counter[str](
        dict(session.execute(select(findings.c.code, func.count()).where(found).group_by(findings.c.code)).all())
    )
    first_question = (
        select(inv.c.payout_id, func.min(inv.c.created_at).label("asked_at"))
        .where(inv.c.payout_id.is_not(None), inv.c.channel != AUDIT_CHANNEL)
        .group_by(inv.c.payout_id)
        .subquery()
    )
    before = session.execute(
        select(func.count())
        .select_from(findings.join(first_question, first_question.c.payout_id == findings.c.payout_id))
        .where(found, findings.c.found_at < first_question.c.asked_at)
    ).scalar_one()
    return finding_codes, int(before or 0)


def result(by_code: Counter[str], by_channel: Counter[str], found: tuple[Counter[str], int]) -> dict[str, Any]:
    finding_codes, before = found
    return {
        "questions": sum(by_code.values()),
        "by_code": dict(by_code.most_common()),
        "by_channel": dict(by_channel.most_common()),
        "findings": sum(finding_codes.values()),
        "findings_by_code": dict(finding_codes.most_common()),
        "found_before_the_player_asked": before,
    }
