"""The figures from the daily rollups are the reference queries' figures, exactly, on both
databases: on a varied history (days, codes, networks, channels, helpdesks, public replies, times on
the days' edges), after edits and re-checks made later, and after a rebuild."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from click.testing import CliRunner
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app.cli import main
from app.helpdesks.models import TicketLink, TicketNote
from app.lead.sla import period, rollups, stats
from app.lead.sla.rollup_tables import day_questions, dirty_days
from app.lead.sla.sql import percentile, percentile_of_counts
from app.lead.sla.tables import (
    AGENT_REPLY_MARKER,
    BOT_REPLY_MARKER_PREFIX,
    NO_HASH_MARKER,
    PLAYER_ANSWERED,
    SILENCED_CODE,
    investigations,
    provider_exchanges,
    ticket_links,
    ticket_notes,
)
from investigations.models import Investigation
from investigations.provider_log import ProviderExchange
from investigations.verdict_log import VerdictEvent

FIRST = date(2026, 11, 16)
DAYS = 6
NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
CODES = ("credited", "pending", "confirming", "not_found", "amount_mismatch")
CHAINS = ("btc", "eth", "bsc", "tron")
CHANNELS = ("lookup", "api", "zendesk", "freshdesk", "chatwoot", "audit")
HELPDESKS = ("zendesk", "freshdesk", "chatwoot")
PROVIDERS = ("mempool.space", "blockstream.info", "publicnode")
# Times on the days' edges: midnight, the last microsecond, and (SQLite rounds julianday to the
# millisecond) the last half millisecond.
EDGES = (timedelta(0), timedelta(days=1, microseconds=-1), timedelta(days=1, microseconds=-300))


def _when(rng: random.Random, day: int) -> datetime:
    start = datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
    if rng.random() < 0.15:
        return start + rng.choice(EDGES)
    return start + timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(1_000_000))


def _investigation(number: int, created: datetime, rng: random.Random) -> Investigation:
    code = rng.choice(CODES)
    final = code in ("credited", "amount_mismatch")
    return Investigation(
        id=f"inv{number:029d}",
        chain=rng.choice(CHAINS),
        tx_hash=f"{number:064x}",
        code=code,
        final=final,
        verdict={"code": code},
        evidence={},
        status_token_hash=f"{number:064x}",
        status_nonce="n",
        created_at=created,
        final_at=(created + timedelta(seconds=rng.choice((0, 0, 90)))) if final else None,
        history=[],
        channel=rng.choice(CHANNELS),
        payout_id=f"payout-{number % 7}" if rng.random() < 0.2 else None,
    )


def _note(helpdesk: str, ticket: str, marker: str, received: datetime | None, **fields) -> TicketNote:  # type: ignore[no-untyped-def]
    written = fields.pop("written_at", None)
    values = {"code": "credited", "body": "note", "status": "written" if written else "pending"} | fields
    return TicketNote(
        helpdesk=helpdesk,
        ticket_ref=ticket,
        marker=marker,
        received_at=received,
        created_at=fields.get("created_at") or received or written,
        written_at=written,
        **{k: v for k, v in values.items() if k != "created_at"},
    )


def _build(session: Session, rng: random.Random) -> list[Investigation]:
    made = []
    for number in range(160):
        created = _when(rng, rng.randrange(DAYS))
        made.append(_investigation(number, created, rng))
    session.add_all(made)
    session.flush()
    for number, inv in enumerate(made):
        if inv.channel not in HELPDESKS:
            continue
        ticket = f"t{number % 70}"  # some tickets carry several hashes
        received = inv.created_at + timedelta(seconds=rng.choice((0, 1, 3)))
        session.add(
            TicketLink(
                helpdesk=inv.channel,
                ticket_ref=ticket,
                tx_hash=inv.tx_hash,
                investigation_id=inv.id,
                escalated=rng.random() < 0.1,
                received_at=received,
            )
        )
        written = received + timedelta(seconds=rng.choice((5, 30, 61, 200))) if rng.random() < 0.85 else None
        session.add(_note(inv.channel, ticket, f"[depositdesk {inv.id} #1]", received, written_at=written))
        if rng.random() < 0.5:
            bot_at = received + timedelta(seconds=rng.choice((10, 20, 20, 40)), microseconds=rng.randrange(999))
            status = rng.choice(("written", "shadow"))
            session.add(
                _note(
                    inv.channel,
                    ticket,
                    f"{BOT_REPLY_MARKER_PREFIX}{inv.id}]",
                    None,
                    written_at=bot_at,
                    status=status,
                    code=inv.code,
                    body=f"Your deposit is {inv.code}: 2 confirmations",
                    created_at=bot_at,
                )
            )
            if rng.random() < 0.3:
                session.add(
                    _note(
                        inv.channel,
                        ticket,
                        f"[depositdesk silenced {inv.id}]",
                        None,
                        written_at=bot_at + timedelta(hours=rng.choice((1, 30))),
                        code=SILENCED_CODE,
                        body=PLAYER_ANSWERED,
                        created_at=bot_at + timedelta(hours=rng.choice((1, 30))),
                    )
                )
    for day in range(DAYS):
        for desk in HELPDESKS[: 1 + day % 3]:
            received = _when(rng, day)
            session.add(_note(desk, f"nh{day}{desk}", NO_HASH_MARKER, received, code="no_hash", written_at=received))
    for inv in made:
        if rng.random() < 0.4:
            when = inv.created_at + timedelta(minutes=rng.choice((10, 600, 1500)))
            final = rng.random() < 0.5
            session.add(
                VerdictEvent(
                    investigation_id=inv.id,
                    at=when,
                    kind="recheck",
                    code=rng.choice(CODES),
                    final=final,
                    previous_code=rng.choice((*CODES, None)),
                    verdict={},
                )
            )
        session.add(
            VerdictEvent(
                investigation_id=inv.id, at=inv.created_at, kind="first", code=inv.code, final=False, verdict={}
            )
        )
        for _call in range(rng.randrange(3)):
            answered = rng.random() < 0.9
            session.add(
                ProviderExchange(
                    investigation_id=inv.id,
                    at=inv.created_at + rng.choice(EDGES[:1] + (timedelta(milliseconds=rng.randrange(900)),)),
                    provider=rng.choice(PROVIDERS),
                    method="GET",
                    url="https://x.test/tx",
                    status=200 if answered else None,
                    answered=answered,
                    latency_ms=rng.choice((40.0, 120.5, 120.5, 333.25, float(rng.randrange(1000)))),
                    error=None if answered else "ReadTimeout",
                )
            )
    kept = [SimpleNamespace(id=i.id, tx_hash=i.tx_hash, created_at=i.created_at, code=i.code) for i in made]
    session.commit()
    return kept  # type: ignore[return-value]


def _edit_later(session: Session, made: list[Investigation], rng: random.Random) -> None:
    """What happens after the fact: re-checks, codes and finals changing, escalations, notes written
    late, an agent's reply, a hash linked days later, an earlier link, a call removed."""
    for inv in rng.sample(made, 40):
        code = rng.choice(CODES)
        final_at = NOW if code == "credited" else None
        session.execute(
            update(investigations).where(investigations.c.id == inv.id).values(code=code, final_at=final_at)
        )
        session.add(
            VerdictEvent(
                investigation_id=inv.id,
                at=NOW - timedelta(hours=rng.randrange(100)),
                kind="recheck",
                code=code,
                final=final_at is not None,
                previous_code=inv.code,
                verdict={},
            )
        )
    session.execute(
        update(investigations).where(investigations.c.id == made[3].id).values(chain="polygon", channel="api")
    )
    session.execute(update(investigations).where(investigations.c.id == made[4].id).values(payout_id="payout-late"))
    session.execute(
        update(investigations)
        .where(investigations.c.id == made[5].id)
        .values(created_at=made[5].created_at - timedelta(days=2))
    )
    session.execute(
        update(ticket_links).where(ticket_links.c.ticket_ref.in_(["t1", "t2", "t3"])).values(escalated=True)
    )
    session.execute(
        update(ticket_notes).where(ticket_notes.c.written_at.is_(None)).values(written_at=NOW, status="written")
    )
    links = session.execute(
        select(ticket_links.c.helpdesk, ticket_links.c.ticket_ref, ticket_links.c.received_at)
    ).all()
    for helpdesk, ticket, received in links[:12]:
        session.add(
            _note(
                helpdesk,
                ticket,
                AGENT_REPLY_MARKER,
                None,
                written_at=received + timedelta(seconds=15),
                body="It is credited, 2 confirmations",
                created_at=received + timedelta(seconds=15),
            )
        )
    old = made[0]
    session.add(  # an old investigation's hash, on a ticket days later
        TicketLink(
            helpdesk="zendesk",
            ticket_ref="late",
            tx_hash=old.tx_hash,
            investigation_id=old.id,
            escalated=False,
            received_at=old.created_at + timedelta(days=4, hours=1),
        )
    )
    helpdesk, ticket, received = links[-1]
    session.add(  # a ticket seen a day earlier than its first link said
        TicketLink(
            helpdesk=helpdesk,
            ticket_ref=ticket,
            tx_hash="e" * 64,
            investigation_id=made[1].id,
            escalated=False,
            received_at=received - timedelta(days=1),
        )
    )
    first_call = session.execute(select(func.min(provider_exchanges.c.id))).scalar_one()
    session.execute(delete(provider_exchanges).where(provider_exchanges.c.id == first_call))
    session.commit()


def _periods() -> list[period.Period]:
    days = [FIRST + timedelta(days=n) for n in range(-1, DAYS + 2)]
    chosen = [period.Period(d, d) for d in days]
    chosen += [period.Period(a, b) for a, b in zip(days, days[2:], strict=False)]
    chosen += [period.Period(days[0], days[-1]), period.Period(days[-1] - timedelta(days=365), days[-1])]
    # whole calendar months inside the period (the providers' monthly rows), and around them
    chosen += [
        period.Period(date(2026, 11, 1), date(2026, 11, 30)),
        period.Period(date(2026, 10, 20), date(2026, 12, 5)),
    ]
    return chosen


def _assert_same_figures(engine) -> None:  # type: ignore[no-untyped-def]
    for chosen in _periods():
        for targets in (stats.Targets(), stats.Targets(first_note_seconds=30.5, resolve_hours=2)):
            with Session(engine) as session:
                from_rollups = stats.compute(session, chosen, targets, NOW)
                reference = stats.compute(session, chosen, targets, NOW, reference=True)
            assert from_rollups == reference, (chosen, targets)


def test_rollups_give_the_reference_figures_before_and_after_later_edits_and_a_rebuild(engine):
    rng = random.Random(22)
    with Session(engine) as session:
        made = _build(session, rng)
    _assert_same_figures(engine)
    with Session(engine) as session:
        _edit_later(session, made, rng)
    _assert_same_figures(engine)
    assert rollups.rebuild(engine) >= DAYS
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(dirty_days)).scalar_one() == 0
    _assert_same_figures(engine)


def test_a_write_queues_its_day_and_reading_the_period_recomputes_it(engine):
    rng = random.Random(7)
    with Session(engine) as session:
        made = _build(session, rng)
    rollups.rebuild(engine)
    day = made[0].created_at.date()
    with Session(engine) as session:
        session.execute(update(investigations).where(investigations.c.id == made[0].id).values(code="reorged"))
        session.commit()
        queued = session.execute(select(dirty_days.c.figure, dirty_days.c.day)).all()
        assert ("questions", (day - date(1970, 1, 1)).days) in queued
        stale = session.execute(
            select(func.count()).select_from(day_questions).where(day_questions.c.code == "reorged")
        )
        assert stale.scalar_one() == 0
        figures = stats.compute(session, period.Period(day, day), stats.Targets(), NOW)
    assert figures["questions"]["by_code"]["reorged"] == 1


def test_the_rebuild_command_recomputes_every_day(engine, monkeypatch):
    with Session(engine) as session:
        _build(session, random.Random(3))
    with Session(engine) as session:
        session.execute(delete(day_questions))
        session.execute(delete(dirty_days))
        session.commit()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(main, ["dashboard", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"{DAYS} days" in result.output or "days" in result.output
    _assert_same_figures(engine)


def test_percentiles_from_counts_are_the_percentiles_of_the_values():
    rng = random.Random(5)
    for size in (1, 2, 3, 10, 101):
        values = [rng.choice((1.5, 2.0, 2.0, 7.25, rng.random() * 100)) for _ in range(size)]
        counts = sorted({v: values.count(v) for v in values}.items())
        for fraction in (0.0, 0.5, 0.9, 0.95, 1.0):
            assert percentile_of_counts(counts, fraction) == percentile(values, fraction)
    assert percentile_of_counts([], 0.5) is None
