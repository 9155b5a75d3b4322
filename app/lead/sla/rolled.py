"""The period figures read from the daily rollups: the same dicts as `figures`, `payout_figures` and
`replies` compute from the source rows (those stay the reference; tests/app/lead/test_rollups.py
compares both on the same data). Percentiles come from the count of each exact value."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, literal_column, or_, select
from sqlmodel import Session

from app.lead.sla import figures, payout_figures, replies
from app.lead.sla.period import Period
from app.lead.sla.rollup_tables import (
    day_automation,
    day_first_notes,
    day_no_hash,
    day_providers,
    day_questions,
    day_rechecks,
    day_replies,
    day_reply_shadow,
    day_reply_times,
    month_providers,
)
from app.lead.sla.rollups import month_days, month_of
from app.lead.sla.sql import day_number, iso_day, percentile_of_counts


def _days(table: Any, period: Period) -> Any:
    return and_(table.c.day >= day_number(period.first_day), table.c.day <= day_number(period.last_day))


def questions(session: Session, period: Period) -> dict[str, Any]:
    q, n = day_questions, day_no_hash
    total = func.sum(q.c.questions)
    per_channel = session.execute(
        select(q.c.bucket, q.c.channel, total).where(_days(q, period)).group_by(q.c.bucket, q.c.channel)
    ).all()
    per_network = session.execute(
        select(q.c.chain, q.c.code, total).where(_days(q, period)).group_by(q.c.chain, q.c.code)
    ).all()
    no_hash = session.execute(
        select(n.c.bucket, n.c.helpdesk, func.sum(n.c.questions))
        .where(_days(n, period))
        .group_by(n.c.bucket, n.c.helpdesk)
    ).all()
    as_int = [[(a, b, int(c)) for a, b, c in rows] for rows in (per_channel, per_network, no_hash)]
    return figures.questions_result(*as_int, period)


def first_note(session: Session, period: Period, target_seconds: float, now: datetime) -> dict[str, Any]:
    t = day_first_notes
    overdue = now - timedelta(seconds=target_seconds)
    missed = or_(t.c.latency > target_seconds, and_(t.c.latency.is_(None), t.c.waiting_since < overdue))
    counts = {
        bucket: (int(n), int(late), int(waiting))
        for bucket, n, late, waiting in session.execute(
            select(
                t.c.bucket,
                func.sum(t.c.questions),
                func.sum(case((missed, t.c.questions), else_=0)),
                func.sum(case((t.c.latency.is_(None), t.c.questions), else_=0)),
            )
            .where(_days(t, period))
            .group_by(t.c.bucket)
        )
    }
    days, fractions = _days(t, period), (0.5, 0.95)
    per_day = _percentiles(session, t.c.bucket, t.c.latency, t.c.questions, days, fractions)
    whole = _percentiles(session, None, t.c.latency, t.c.questions, days, fractions).get(0, {})
    found: dict[str | None, tuple[Any, ...]] = {}
    if counts:
        totals = tuple(sum(column) for column in zip(*counts.values(), strict=True))
        found[None] = (*totals, whole.get(0.5), whole.get(0.95))
    for key, values in counts.items():
        of_day = per_day.get(key, {})
        found[iso_day(key)] = (*values, of_day.get(0.5), of_day.get(0.95))
    return figures.first_note_result(found, period, target_seconds)


def _percentiles(
    session: Session, key: Any, value: Any, weight: Any, where: Any, fractions: tuple[float, ...]
) -> dict[Any, dict[float, float]]:
    """percentile_cont of `value` weighted by `weight` (rows of counts), per `key`: SQL finds the few rows whose ranks
    are near each percentile's (cumulative counts), Python interpolates exactly as `percentile`."""
    # Rows with the same key and value need no grouping: each holds its own range of ranks. The
    # counts are summed as floats (exact below 2**53), which PostgreSQL's windows add far faster.
    grouped = (
        select(
            (literal_column("0") if key is None else key).label("k"),
            value.label("v"),
            cast(weight, Float).label("n"),
        )
        .where(where, value.is_not(None))
        .subquery()
    )
    partition = None if key is None else grouped.c.k
    upto = func.sum(grouped.c.n).over(partition_by=partition, order_by=grouped.c.v, rows=(None, 0))
    total = func.sum(grouped.c.n).over(partition_by=partition)
    ranked = select(grouped.c.k, grouped.c.v, grouped.c.n, upto.label("upto"), total.label("total")).subquery()
    near = [  # a rank within one of fraction * (total - 1), whatever SQL's rounding: both ends are in
        and_(
            ranked.c.upto > literal(f, Float) * (ranked.c.total - 1) - 1,
            ranked.c.upto - ranked.c.n <= literal(f, Float) * (ranked.c.total - 1) + 1,
        )
        for f in fractions
    ]
    by_key: dict[Any, list[tuple[float, int, int, int]]] = defaultdict(list)
    for k, v, n, upto_n, total_n in session.execute(select(ranked).where(or_(*near))).all():
        by_key[k].append((float(v), int(n), int(upto_n), int(total_n)))
    result: dict[Any, dict[float, float]] = {}
    for k, found in by_key.items():

        def at(rank: int, found: list[tuple[float, int, int, int]] = found) -> float:
            return next(v for v, n, upto_n, _t in found if upto_n - n <= rank < upto_n)

        total_n = found[0][3]
        result[k] = {}
        for f in fractions:
            position = f * (total_n - 1)
            low, high = math.floor(position), math.ceil(position)
            result[k][f] = at(low) + (at(high) - at(low)) * (position - low)
    return result


def automation(session: Session, period: Period) -> dict[str, Any]:
    t = day_automation
    investigated = and_(  # the reference's bound on the investigation's creation, by day
        t.c.investigation_day >= day_number(period.first_day) - figures.LINK_AFTER_INVESTIGATION.days,
        t.c.investigation_day <= day_number(period.last_day),
    )
    rows = session.execute(
        select(t.c.bucket, t.c.outcome, func.sum(t.c.questions))
        .where(_days(t, period), investigated)
        .group_by(t.c.bucket, t.c.outcome)
    ).all()
    return figures.automation_result([(b, o, int(c)) for b, o, c in rows], period)


def rechecks(session: Session, period: Period) -> dict[str, Any]:
    t = day_rechecks
    rows = session.execute(
        select(t.c.bucket, t.c.outcome, func.sum(t.c.rechecks))
        .where(_days(t, period))
        .group_by(t.c.bucket, t.c.outcome)
    ).all()
    return figures.recheck_result([(b, o, int(c)) for b, o, c in rows], period)


def providers(session: Session, period: Period) -> list[dict[str, Any]]:
    """Whole calendar months from the monthly rows, the days around them from the daily rows."""
    first, last = day_number(period.first_day), day_number(period.last_day)
    months = [
        m for m in range(month_of(first), month_of(last) + 1) if first <= month_days(m)[0] <= month_days(m)[1] <= last
    ]
    if months:
        edges = [(first, month_days(months[0])[0] - 1), (month_days(months[-1])[1] + 1, last)]
    else:
        edges = [(first, last)]
    d, m = day_providers, month_providers
    rows = []
    for low, high in edges:
        if low <= high:
            rows += session.execute(
                select(d.c.provider, d.c.latency_ms, func.sum(d.c.calls), func.sum(d.c.answered))
                .where(d.c.day >= low, d.c.day <= high)
                .group_by(d.c.provider, d.c.latency_ms)
            ).all()
    if months:
        rows += session.execute(
            select(m.c.provider, m.c.latency_ms, func.sum(m.c.calls), func.sum(m.c.answered))
            .where(m.c.month >= months[0], m.c.month <= months[-1])
            .group_by(m.c.provider, m.c.latency_ms)
        ).all()
    totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    values: dict[Any, Counter[float]] = defaultdict(Counter)
    for provider, latency, calls, answered in rows:
        totals[provider][0] += int(calls)
        totals[provider][1] += int(answered)
        if latency is not None:
            values[provider][latency] += int(calls)
    result = []
    for provider, (calls, answered) in totals.items():
        ordered = sorted(values[provider].items())
        p50, p95 = percentile_of_counts(ordered, 0.5), percentile_of_counts(ordered, 0.95)
        result.append((provider, calls, answered, p50, p95))
    return figures.providers_result(result)


def payouts(session: Session, period: Period, now: datetime) -> dict[str, Any]:
    q = day_questions
    asked = and_(_days(q, period), q.c.payout, q.c.channel != payout_figures.AUDIT_CHANNEL)
    total = func.sum(q.c.questions)
    by_code = Counter[str](
        {c: int(n) for c, n in session.execute(select(q.c.code, total).where(asked).group_by(q.c.code))}
    )
    by_channel = Counter[str](
        {c: int(n) for c, n in session.execute(select(q.c.channel, total).where(asked).group_by(q.c.channel))}
    )
    return payout_figures.result(by_code, by_channel, payout_figures.findings_figures(session, period))


def public_replies(session: Session, period: Period, now: datetime) -> dict[str, Any]:
    tally = replies.Tally()
    for tickets, alone, reopened in session.execute(
        select(
            func.sum(day_replies.c.tickets), func.sum(day_replies.c.answered_alone), func.sum(day_replies.c.reopened)
        ).where(_days(day_replies, period))
    ).all():
        tally.tickets, tally.answered_alone, tally.reopened = int(tickets or 0), int(alone or 0), int(reopened or 0)
    t = day_reply_times
    for with_bot, seconds, tickets in session.execute(
        select(t.c.with_bot, t.c.seconds, func.sum(t.c.tickets))
        .where(_days(t, period))
        .group_by(t.c.with_bot, t.c.seconds)
    ).all():
        (tally.with_bot if with_bot else tally.without_bot)[seconds] += int(tickets)
    s = day_reply_shadow
    for code, shadow, compared, agreed in session.execute(
        select(s.c.code, func.sum(s.c.shadow), func.sum(s.c.compared), func.sum(s.c.agreed))
        .where(_days(s, period))
        .group_by(s.c.code)
    ).all():
        tally.shadow[code] = {"shadow": int(shadow), "compared": int(compared), "agreed": int(agreed)}
    return replies.report(tally)
