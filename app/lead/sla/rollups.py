"""Keeping the daily rollups (`rollup_tables`) current: the source tables' triggers queue each
(figure, day) a write touches in `sla_dirty_days`, in the writing transaction; `refresh` recomputes
the queued days of a period before it is read, `rebuild` recomputes every day (the CLI command).

A day's rows are recomputed from the source rows with the reference queries' own expressions
(`figures`, `replies`), so the values stored are the values those queries compute. One refresher at
a time (a PostgreSQL advisory lock; SQLite's write lock), each in one snapshot: a queued mark is
removed only when the recompute saw the write that queued it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, false, func, insert, literal, select, text, true, tuple_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.lead.sla import figures, replies
from app.lead.sla.rollup_tables import ROLLUPS, dirty_days
from app.lead.sla.rollup_tables import day_automation as t_automation
from app.lead.sla.rollup_tables import day_first_notes as t_first_notes
from app.lead.sla.rollup_tables import day_no_hash as t_no_hash
from app.lead.sla.rollup_tables import day_providers as t_providers
from app.lead.sla.rollup_tables import day_questions as t_questions
from app.lead.sla.rollup_tables import day_rechecks as t_rechecks
from app.lead.sla.rollup_tables import day_replies as t_replies
from app.lead.sla.rollup_tables import day_reply_shadow as t_reply_shadow
from app.lead.sla.rollup_tables import day_reply_times as t_reply_times
from app.lead.sla.rollup_tables import month_providers as t_month_providers
from app.lead.sla.sql import EPOCH, day, day_number, exact_day, seconds_between
from app.lead.sla.tables import (
    NO_HASH_MARKER,
    investigations,
    provider_exchanges,
    ticket_links,
    ticket_notes,
    verdict_events,
)

REFRESH_LOCK = 0x64657032  # PostgreSQL advisory lock key: one refresher at a time
REBUILD_CHUNK_DAYS = 31


def _midnight(number: int) -> datetime:
    return datetime.combine(EPOCH + timedelta(days=number), time.min, tzinfo=UTC)


def _questions(session: Session, pg: bool, start: datetime, end: datetime) -> None:
    inv = investigations
    member, bucket, payout = exact_day(inv.c.created_at, pg), day(inv.c.created_at, pg), inv.c.payout_id.is_not(None)
    dims = (member, bucket, inv.c.channel, inv.c.chain, inv.c.code, payout)
    query = select(*dims, func.count()).where(inv.c.created_at >= start, inv.c.created_at < end).group_by(*dims)
    columns = ["day", "bucket", "channel", "chain", "code", "payout", "questions"]
    session.execute(insert(t_questions).from_select(columns, query))


def _notes(session: Session, pg: bool, start: datetime, end: datetime) -> None:
    notes = ticket_notes
    member, bucket = exact_day(notes.c.received_at, pg), day(notes.c.received_at, pg)
    no_hash = (
        select(member, bucket, notes.c.helpdesk, func.count())
        .where(notes.c.marker == NO_HASH_MARKER, notes.c.received_at >= start, notes.c.received_at < end)
        .group_by(member, bucket, notes.c.helpdesk)
    )
    session.execute(insert(t_no_hash).from_select(["day", "bucket", "helpdesk", "questions"], no_hash))
    asked = (  # as figures.first_note groups them: one question per ticket and webhook time
        select(notes.c.received_at, func.min(notes.c.written_at).label("first_at"))
        .where(notes.c.received_at >= start, notes.c.received_at < end)
        .group_by(notes.c.helpdesk, notes.c.ticket_ref, notes.c.received_at)
        .subquery()
    )
    waiting_since = case((asked.c.first_at.is_(None), asked.c.received_at), else_=None)
    dims = (
        exact_day(asked.c.received_at, pg),
        day(asked.c.received_at, pg),
        seconds_between(asked.c.first_at, asked.c.received_at, pg),
        waiting_since,
    )
    query = select(*dims, func.count()).group_by(*dims)
    columns = ["day", "bucket", "latency", "waiting_since", "questions"]
    session.execute(insert(t_first_notes).from_select(columns, query))


def _automation(session: Session, pg: bool, start: datetime, end: datetime) -> None:
    links, inv = ticket_links, investigations
    dims = (
        exact_day(links.c.received_at, pg),
        day(links.c.received_at, pg),
        exact_day(inv.c.created_at, pg),
        figures.automation_outcome(),
    )
    query = (
        select(*dims, func.count())
        .select_from(links.join(inv, inv.c.id == links.c.investigation_id))
        .where(links.c.received_at >= start, links.c.received_at < end)
        .group_by(*dims)
    )
    columns = ["day", "bucket", "investigation_day", "outcome", "questions"]
    session.execute(insert(t_automation).from_select(columns, query))


def _rechecks(session: Session, pg: bool, start: datetime, end: datetime) -> None:
    events = verdict_events
    dims = (exact_day(events.c.at, pg), day(events.c.at, pg), figures.recheck_outcome())
    query = (
        select(*dims, func.count())
        .where(events.c.kind == "recheck", events.c.at >= start, events.c.at < end)
        .group_by(*dims)
    )
    session.execute(insert(t_rechecks).from_select(["day", "bucket", "outcome", "rechecks"], query))


def _providers(session: Session, pg: bool, start: datetime, end: datetime) -> None:
    calls = provider_exchanges
    dims = (exact_day(calls.c.at, pg), calls.c.provider, calls.c.latency_ms)
    answered = func.sum(case((calls.c.answered == true(), 1), else_=0))
    query = select(*dims, func.count(), answered).where(calls.c.at >= start, calls.c.at < end).group_by(*dims)
    columns = ["day", "provider", "latency_ms", "calls", "answered"]
    session.execute(insert(t_providers).from_select(columns, query))
    first, last = day_number(start.date()), day_number(end.date()) - 1
    for month in range(month_of(first), month_of(last) + 1):  # the months these days are in, from the days
        month_first, month_last = month_days(month)
        session.execute(delete(t_month_providers).where(t_month_providers.c.month == month))
        d = t_providers
        monthly = (
            select(literal(month), d.c.provider, d.c.latency_ms, func.sum(d.c.calls), func.sum(d.c.answered))
            .where(d.c.day >= month_first, d.c.day <= month_last)
            .group_by(d.c.provider, d.c.latency_ms)
        )
        session.execute(insert(t_month_providers).from_select(["month", *columns[1:]], monthly))


def month_of(number: int) -> int:
    """The calendar month (year * 12 + month - 1) of a day number."""
    value = EPOCH + timedelta(days=number)
    return value.year * 12 + value.month - 1


def month_days(month: int) -> tuple[int, int]:
    """The first and last day numbers of a calendar month."""
    first = date(month // 12, month % 12 + 1, 1)
    following = date((month + 1) // 12, (month + 1) % 12 + 1, 1)
    return day_number(first), day_number(following) - 1


def _replies(session: Session, pg: bool, start: datetime, end: datetime) -> None:
    """Tickets first seen in the range: the reference's per-ticket judgement, tallied by day."""
    links = ticket_links
    touched = select(links.c.helpdesk, links.c.ticket_ref).where(
        links.c.received_at >= start, links.c.received_at < end
    )
    first_seen = (  # only the tickets with a link in the range, not every ticket ever linked
        select(links.c.helpdesk, links.c.ticket_ref, func.min(links.c.received_at).label("received_at"))
        .where(tuple_(links.c.helpdesk, links.c.ticket_ref).in_(touched))
        .group_by(links.c.helpdesk, links.c.ticket_ref)
        .subquery()
    )
    tallies: dict[int, replies.Tally] = defaultdict(replies.Tally)
    for received, outcome in replies.ticket_outcomes(session, first_seen, start, end):
        tallies[day_number(received.date())].add(outcome)
    days, times, shadow = [], [], []
    for number, tally in tallies.items():
        days.append(
            {
                "day": number,
                "tickets": tally.tickets,
                "answered_alone": tally.answered_alone,
                "reopened": tally.reopened,
            }
        )
        for with_bot, counts in ((True, tally.with_bot), (False, tally.without_bot)):
            times += [{"day": number, "with_bot": with_bot, "seconds": s, "tickets": n} for s, n in counts.items()]
        shadow += [{"day": number, "code": code, **counts} for code, counts in tally.shadow.items()]
    for table, rows in ((t_replies, days), (t_reply_times, times), (t_reply_shadow, shadow)):
        if rows:
            session.execute(insert(table), rows)


RECOMPUTE = {
    "questions": _questions,
    "notes": _notes,
    "automation": _automation,
    "rechecks": _rechecks,
    "providers": _providers,
    "replies": _replies,
}


def _recompute(session: Session, pg: bool, figure: str, first: int, last: int) -> None:
    for table in ROLLUPS[figure]:
        session.execute(delete(table).where(table.c.day >= first, table.c.day <= last))
    RECOMPUTE[figure](session, pg, _midnight(first), _midnight(last + 1))


def _runs(days: set[int]) -> Iterator[tuple[int, int]]:
    """Consecutive days as (first, last) ranges: one recompute per range."""
    ordered = sorted(days)
    first = previous = ordered[0]
    for number in ordered[1:]:
        if number != previous + 1:
            yield first, previous
            first = number
        previous = number
    yield first, previous


@contextmanager
def _refresher(engine: Engine) -> Iterator[tuple[Session, bool]]:
    """A session that is the only refresher, in one snapshot."""
    pg = engine.dialect.name == "postgresql"
    if not pg:
        with Session(engine) as session:
            # The first statement writes, so SQLite takes its write lock now (waiting for it), not
            # after reads that another writer could make stale.
            session.execute(update(dirty_days).where(false()).values(day=dirty_days.c.day))
            yield session, pg
            session.commit()
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": REFRESH_LOCK})
        try:
            with Session(engine) as session:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                yield session, pg
                session.commit()
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": REFRESH_LOCK})
            lock.commit()


def refresh(engine: Engine, first_day: date, last_day: date) -> int:
    """Recompute the queued days between the two dates (inclusive); returns how many (figure, day) were."""
    first, last = day_number(first_day), day_number(last_day)
    with _refresher(engine) as (session, pg):
        in_range = and_(dirty_days.c.day >= first, dirty_days.c.day <= last)
        queued = session.execute(
            select(dirty_days.c.figure, dirty_days.c.day, func.max(dirty_days.c.id))
            .where(in_range)
            .group_by(dirty_days.c.figure, dirty_days.c.day)
        ).all()
        by_figure: dict[str, set[int]] = defaultdict(set)
        for figure, number, _newest in queued:
            if figure in RECOMPUTE:
                by_figure[figure].add(number)
        for figure, numbers in by_figure.items():
            for run_first, run_last in _runs(numbers):
                _recompute(session, pg, figure, run_first, run_last)
        newest = max((row[2] for row in queued), default=None)
        if newest is not None:  # what this snapshot saw, and nothing queued after it
            session.execute(delete(dirty_days).where(in_range, dirty_days.c.id <= newest))
        return len(queued)


def data_days(engine: Engine) -> tuple[date, date] | None:
    """The first and last UTC day any figure's source rows are on."""
    sources = [
        (investigations.c.created_at,),
        (ticket_links.c.received_at,),
        (ticket_notes.c.received_at,),
        (verdict_events.c.at,),
        (provider_exchanges.c.at,),
    ]
    found: list[Any] = []
    with Session(engine) as session:
        for (column,) in sources:
            found += [v for v in session.execute(select(func.min(column), func.max(column))).one() if v is not None]
    if not found:
        return None
    return min(found).astimezone(UTC).date(), max(found).astimezone(UTC).date()


def rebuild(engine: Engine, first_day: date | None = None, last_day: date | None = None) -> int:
    """Recompute every figure's rows of the days (all days with data when not given); returns the days."""
    if first_day is None or last_day is None:
        span = data_days(engine)
        if span is None:
            return 0
        first_day, last_day = first_day or span[0], last_day or span[1]
    first, last = day_number(first_day), day_number(last_day)
    for chunk in range(first, last + 1, REBUILD_CHUNK_DAYS):
        chunk_last = min(chunk + REBUILD_CHUNK_DAYS - 1, last)
        with _refresher(engine) as (session, pg):
            in_range = and_(dirty_days.c.day >= chunk, dirty_days.c.day <= chunk_last)
            session.execute(delete(dirty_days).where(in_range))  # only what this snapshot sees
            for figure in RECOMPUTE:
                _recompute(session, pg, figure, chunk, chunk_last)
    return last - first + 1
