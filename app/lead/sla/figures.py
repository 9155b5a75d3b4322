"""Each SLA figure is one aggregate query over the period, grouped by UTC day; totals are the sums
(or, for percentiles, computed over the whole period, never averaged from the days)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select, true
from sqlmodel import Session

from app.lead.sla.period import Period
from app.lead.sla.sql import day, is_postgres, iso_day, percentile, percentile_sql, rounded, seconds_between
from app.lead.sla.tables import (
    NO_HASH_MARKER,
    investigations,
    provider_exchanges,
    ticket_links,
    ticket_notes,
    verdict_events,
)

AUTOMATION_OUTCOMES = ("first_note", "follow_ups", "escalated", "open")
LINK_AFTER_INVESTIGATION = timedelta(days=1)  # far more than the seconds between an investigation and its link
RECHECK_OUTCOMES = ("final", "changed", "unchanged")


def questions(session: Session, period: Period) -> dict[str, Any]:
    """Deposit questions by channel and by verdict code: investigations, plus helpdesk tickets with no hash.
    Two small groupings (day × channel, and code) rather than day × channel × code: the result stays a
    few thousand rows on a year."""
    pg, inv, notes = is_postgres(session), investigations, ticket_notes
    in_period = and_(inv.c.created_at >= period.start, inv.c.created_at < period.end)
    inv_day = day(inv.c.created_at, pg)
    per_channel = session.execute(
        select(inv_day, inv.c.channel, func.count()).where(in_period).group_by(inv_day, inv.c.channel)
    ).all()
    per_network = session.execute(
        select(inv.c.chain, inv.c.code, func.count()).where(in_period).group_by(inv.c.chain, inv.c.code)
    ).all()
    note_day = day(notes.c.received_at, pg)  # the webhook's time: indexed, and set on every no-hash note
    no_hash = session.execute(
        select(note_day, notes.c.helpdesk, func.count())
        .where(notes.c.marker == NO_HASH_MARKER, notes.c.received_at >= period.start, notes.c.received_at < period.end)
        .group_by(note_day, notes.c.helpdesk)
    ).all()
    return questions_result(per_channel, per_network, no_hash, period)


def questions_result(per_channel: Any, per_network: Any, no_hash: Any, period: Period) -> dict[str, Any]:
    """The questions figure from (day, channel, count), (network, code, count) and (day, helpdesk, count) rows."""
    codes = Counter[str]()
    by_network: dict[str, Counter[str]] = defaultdict(Counter)  # issue 23: BSC, Polygon, Base… apart
    for network, code, count in per_network:
        codes[code] += count
        by_network[network][code] += count
    by_channel, by_code = Counter[str](), Counter[str](dict(codes))
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for day_number, channel, count in [*per_channel, *no_hash]:
        by_channel[channel] += count
        per_day[iso_day(day_number)][channel] += count
    if no_hash:
        by_code["no_hash"] += sum(count for _day, _desk, count in no_hash)
    return {
        "total": sum(by_channel.values()),
        "by_channel": dict(by_channel.most_common()),
        "by_code": dict(by_code.most_common()),
        "by_network": {
            network: {"total": sum(counts.values()), "by_code": dict(counts.most_common())}
            for network, counts in sorted(by_network.items(), key=lambda item: -sum(item[1].values()))
        },
        "per_day": [{"day": d, "total": sum(per_day[d].values()), "by_channel": dict(per_day[d])} for d in period.days],
    }


def first_note(session: Session, period: Period, target_seconds: float, now: datetime) -> dict[str, Any]:
    """Webhook to the first note on the ticket: p50/p95 and misses against the target (a note not
    written yet counts as missed once the target has passed)."""
    pg, notes = is_postgres(session), ticket_notes
    asked = (
        select(notes.c.received_at, func.min(notes.c.written_at).label("first_at"))
        .where(notes.c.received_at >= period.start, notes.c.received_at < period.end)
        .group_by(notes.c.helpdesk, notes.c.ticket_ref, notes.c.received_at)
        .subquery()
    )
    latency = seconds_between(asked.c.first_at, asked.c.received_at, pg)
    waiting = asked.c.first_at.is_(None)
    missed = or_(latency > target_seconds, and_(waiting, asked.c.received_at < now - timedelta(seconds=target_seconds)))
    question_day = day(asked.c.received_at, pg)
    counts = [func.count(), func.sum(case((missed, 1), else_=0)), func.sum(case((waiting, 1), else_=0))]
    if pg:
        query = select(question_day, *counts, percentile_sql(0.5, latency), percentile_sql(0.95, latency))
        found = {r[0]: r[1:] for r in session.execute(query.group_by(func.rollup(question_day))).all()}
    else:
        found = _sqlite_distribution(session, question_day, latency, counts)
    return first_note_result({iso_day(number): values for number, values in found.items()}, period, target_seconds)


def first_note_result(rows: dict[str | None, Any], period: Period, target_seconds: float) -> dict[str, Any]:
    """The figure from (questions, missed, waiting, p50, p95) by ISO day, the period's under None."""

    def entry(values: Any) -> dict[str, Any]:
        count, missed_count, waiting_count, p50, p95 = values or (0, 0, 0, None, None)
        return {
            "questions": int(count),
            "missed": int(missed_count or 0),
            "waiting": int(waiting_count or 0),
            "p50_seconds": rounded(p50),
            "p95_seconds": rounded(p95),
        }

    return {
        "target_seconds": target_seconds,
        **entry(rows.get(None)),
        "per_day": [{"day": d, **entry(rows.get(d))} for d in period.days],
    }


def _sqlite_distribution(
    session: Session, group: Any, value: Any, counts: list[Any], where: Any = None, *, total: bool = True
) -> dict[Any, tuple[Any, ...]]:
    """Counts by SQL; percentiles over the values in Python (SQLite has no percentile_cont)."""
    where = true() if where is None else where
    rows = {r[0]: list(r[1:]) for r in session.execute(select(group, *counts).where(where).group_by(group)).all()}
    values: dict[Any, list[float]] = defaultdict(list)
    for key, number in session.execute(select(group, value).where(where, value.is_not(None))).all():
        values[key].append(float(number))
    result: dict[Any, tuple[Any, ...]] = {}
    for key, row in rows.items():
        result[key] = (*row, percentile(values[key], 0.5), percentile(values[key], 0.95))
    if rows and total:
        totals = [sum(int(r[i] or 0) for r in rows.values()) for i in range(len(counts))]
        everything = [v for vs in values.values() for v in vs]
        result[None] = (*totals, percentile(everything, 0.5), percentile(everything, 0.95))
    return result


def automation(session: Session, period: Period) -> dict[str, Any]:
    """Helpdesk questions answered without an agent (first note final, or closed by follow-ups alone),
    escalated, or still open."""
    pg, links, inv = is_postgres(session), ticket_links, investigations
    outcome = automation_outcome()
    link_day = day(links.c.received_at, pg)
    rows = session.execute(
        select(link_day, outcome, func.count())
        .select_from(links.join(inv, inv.c.id == links.c.investigation_id))
        .where(links.c.received_at >= period.start, links.c.received_at < period.end)
        # A link is made right after its investigation: bounding both lets the join use both indexes.
        .where(inv.c.created_at >= period.start - LINK_AFTER_INVESTIGATION, inv.c.created_at < period.end)
        .group_by(link_day, outcome)
    ).all()
    return automation_result(rows, period)


def automation_outcome() -> Any:
    links, inv = ticket_links, investigations
    final_at_once = and_(inv.c.final_at.is_not(None), inv.c.final_at <= inv.c.created_at)
    return case(
        (links.c.escalated == true(), "escalated"),
        (final_at_once, "first_note"),
        (inv.c.final_at.is_not(None), "follow_ups"),
        else_="open",
    )


def automation_result(rows: list[Any], period: Period) -> dict[str, Any]:
    return _outcomes(rows, period, AUTOMATION_OUTCOMES, "questions") | {
        "share_without_agent": _share(rows, ("first_note", "follow_ups")),
        "share_escalated": _share(rows, ("escalated",)),
    }


def rechecks(session: Session, period: Period) -> dict[str, Any]:
    """What the re-checks in the period led to: a final verdict, another non-final one, or no change."""
    pg, events = is_postgres(session), verdict_events
    outcome = recheck_outcome()
    event_day = day(events.c.at, pg)
    rows = session.execute(
        select(event_day, outcome, func.count())
        .where(events.c.kind == "recheck", events.c.at >= period.start, events.c.at < period.end)
        .group_by(event_day, outcome)
    ).all()
    return recheck_result(rows, period)


def recheck_outcome() -> Any:
    events = verdict_events
    return case(
        (events.c.final == true(), "final"),
        (events.c.code != events.c.previous_code, "changed"),
        else_="unchanged",
    )


def recheck_result(rows: list[Any], period: Period) -> dict[str, Any]:
    return _outcomes(rows, period, RECHECK_OUTCOMES, "rechecks")


def _outcomes(rows: list[Any], period: Period, names: tuple[str, ...], total_name: str) -> dict[str, Any]:
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for day_number, name, count in rows:
        per_day[iso_day(day_number)][name] += count
    totals = sum(per_day.values(), Counter[str]())
    return {
        total_name: sum(totals.values()),
        **{name: totals[name] for name in names},
        "per_day": [
            {"day": d, total_name: sum(per_day[d].values()), **{n: per_day[d][n] for n in names}} for d in period.days
        ],
    }


def _share(rows: list[Any], names: tuple[str, ...]) -> float | None:
    total = sum(count for _d, _n, count in rows)
    return round(sum(count for _d, name, count in rows if name in names) / total, 4) if total else None


def open_by_age(session: Session, resolve_hours: float, now: datetime, *, oldest: int = 10) -> dict[str, Any]:
    """Non-final investigations now, by age against the resolve target: the ones about to breach it."""
    inv, target = investigations, timedelta(hours=resolve_hours)
    buckets = [
        ("under 1 h", now - timedelta(hours=1)),
        (f"1 h to {resolve_hours / 2:g} h", now - target / 2),
        (f"{resolve_hours / 2:g} h to {resolve_hours:g} h: will breach", now - target),
    ]
    bucket = case(*[(inv.c.created_at >= since, name) for name, since in buckets], else_=f"over {resolve_hours:g} h")
    rows = dict(session.execute(select(bucket, func.count()).where(inv.c.final == false()).group_by(bucket)).all())
    names = [name for name, _since in buckets] + [f"over {resolve_hours:g} h"]
    listed = session.execute(
        select(
            inv.c.id,
            inv.c.code,
            inv.c.chain,
            inv.c.channel,
            inv.c.created_at,
            inv.c.tx_hash,
            inv.c.player_ref,
            inv.c.ticket_ref,
        )
        .where(inv.c.final == false())
        .order_by(inv.c.created_at)
        .limit(oldest)
    ).all()
    return {
        "resolve_target_hours": resolve_hours,
        "total": sum(rows.values()),
        "by_age": [{"age": name, "count": rows.get(name, 0)} for name in names],
        # The lead's first look (issue 30): past the resolve target, and in its last half.
        "breached": rows.get(names[-1], 0),
        "about_to_breach": rows.get(names[-2], 0),
        "oldest": [
            {
                "id": r.id,
                "code": r.code,
                "chain": r.chain,
                "channel": r.channel,
                "age_hours": _hours(now - r.created_at),
                "age_seconds": int((now - r.created_at).total_seconds()),
                "tx_hash": r.tx_hash,
                "player_ref": r.player_ref,
                "ticket_ref": r.ticket_ref,
            }
            for r in listed
        ],
    }


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def providers(session: Session, period: Period) -> list[dict[str, Any]]:
    """Per provider: HTTP calls, answers, errors (no answer, 429, 5xx, refused credentials), latency."""
    pg, calls = is_postgres(session), provider_exchanges
    in_period = and_(calls.c.at >= period.start, calls.c.at < period.end)
    counts = [func.count(), func.sum(case((calls.c.answered == true(), 1), else_=0))]
    if pg:
        query = select(
            calls.c.provider,
            *counts,
            percentile_sql(0.5, calls.c.latency_ms),
            percentile_sql(0.95, calls.c.latency_ms),
        )
        rows = [tuple(r) for r in session.execute(query.where(in_period).group_by(calls.c.provider)).all()]
    else:
        found = _sqlite_distribution(session, calls.c.provider, calls.c.latency_ms, counts, in_period, total=False)
        rows = [(name, *values) for name, values in found.items()]
    return providers_result(rows)


def providers_result(rows: list[Any]) -> list[dict[str, Any]]:
    """The figure from (provider, calls, answered, p50, p95) rows."""
    return [
        {
            "provider": name,
            "calls": int(total),
            "answers": int(answered or 0),
            "errors": int(total) - int(answered or 0),
            "p50_ms": rounded(p50, 1),
            "p95_ms": rounded(p95, 1),
        }
        for name, total, answered, p50, p95 in sorted(rows, key=lambda r: str(r[0]))
    ]
