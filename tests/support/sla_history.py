"""A constructed history whose SLA figures are known by hand (see tests/app/lead/test_sla_figures.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.helpdesks.models import TicketLink, TicketNote
from investigations.models import Investigation
from investigations.provider_log import ProviderExchange
from investigations.verdict_log import VerdictEvent

NOW = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
FINAL_CODES = {"credited"}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def _investigation(number: int, created: datetime, channel: str, code: str, final_at: datetime | None) -> Investigation:
    return Investigation(
        id=f"inv{number:029d}",
        chain="btc",
        tx_hash=f"{number:064x}",
        ticket_ref=None if channel in ("lookup", "api") else f"{channel}:t{number}",
        code=code,
        final=final_at is not None,
        verdict={"code": code, "final": final_at is not None, "summary": f"summary {number}"},
        evidence={},
        status_token_hash=f"{number:064x}",
        status_nonce="n",
        created_at=created,
        final_at=final_at,
        history=[],
        channel=channel,
    )


def build(session: Session) -> None:
    """Investigations, ticket links and notes, re-checks and provider calls around 20–21 Nov 2026."""
    rows = [
        _investigation(1, at(20, 10), "lookup", "credited", at(20, 10)),
        _investigation(2, at(20, 11), "zendesk", "credited", at(20, 11)),
        _investigation(3, at(21, 9), "zendesk", "credited", at(21, 10)),
        _investigation(4, at(21, 10), "freshdesk", "not_found", None),
        _investigation(5, at(21, 22, 30), "freshdesk", "pending", None),
        _investigation(6, at(19, 10), "api", "credited", at(19, 10)),
        _investigation(7, at(19, 12), "api", "pending", None),
    ]
    session.add_all(rows)
    links = [("zendesk", "t2", 2, at(20, 11), False), ("zendesk", "t3", 3, at(21, 9), False)]
    links += [("freshdesk", "t4", 4, at(21, 10), True), ("freshdesk", "t5", 5, at(21, 22, 30), False)]
    for helpdesk, ticket, number, received, escalated in links:
        session.add(
            TicketLink(
                helpdesk=helpdesk,
                ticket_ref=ticket,
                tx_hash=f"{number:064x}",
                investigation_id=rows[number - 1].id,
                escalated=escalated,
                received_at=received,
            )
        )
    notes = [
        ("zendesk", "t2", "a", at(20, 11), at(20, 11, 0, 20)),
        ("zendesk", "t3", "a", at(21, 9), at(21, 9, 0, 50)),
        ("zendesk", "t3", "b", at(21, 9), at(21, 9, 1, 10)),  # a second hash on the same ticket
        ("zendesk", "t3", "follow-up", None, at(21, 10, 0, 5)),
        ("freshdesk", "t4", "a", at(21, 10), at(21, 10, 2)),
        ("freshdesk", "t5", "a", at(21, 22, 30), None),
        ("chatwoot", "t9", "[depositdesk no-hash]", at(21, 12), at(21, 12, 0, 30)),
        ("zendesk", "t0", "a", at(19, 12), at(19, 12, 5)),  # before the period
    ]
    for helpdesk, ticket, marker, received, written in notes:
        session.add(
            TicketNote(
                helpdesk=helpdesk,
                ticket_ref=ticket,
                marker=marker,
                code="no_hash" if "no-hash" in marker else "credited",
                body="note",
                status="written" if written else "pending",
                received_at=received,
                created_at=received or written,
                written_at=written,
            )
        )
    events = [
        (3, at(21, 10), "credited", True, "confirming"),
        (4, at(21, 11), "not_found", False, "not_found"),
        (4, at(21, 12), "provider_unavailable", False, "not_found"),
        (7, at(19, 13), "pending", False, "pending"),  # before the period
    ]
    for number, when, code, final, previous in events:
        session.add(
            VerdictEvent(
                investigation_id=rows[number - 1].id,
                at=when,
                kind="recheck",
                code=code,
                final=final,
                previous_code=previous,
                verdict={"code": code, "final": final},
            )
        )
    session.add(
        VerdictEvent(investigation_id=rows[0].id, at=at(20, 10), kind="first", code="credited", final=True, verdict={})
    )
    calls = [("mempool.space", ms, True) for ms in (100, 200, 300, 400)]
    calls += [("blockstream.info", 500, True), ("blockstream.info", 1000, False)]
    for n, (provider, latency, answered) in enumerate(calls):
        session.add(_call(rows[0].id, at(21, 9) + timedelta(minutes=n), provider, latency, answered))
    session.add(_call(rows[5].id, at(19, 10), "mempool.space", 9000, True))  # before the period
    session.commit()


def _call(investigation_id: str, when: datetime, provider: str, latency: float, answered: bool) -> ProviderExchange:
    return ProviderExchange(
        investigation_id=investigation_id,
        at=when,
        provider=provider,
        method="GET",
        url=f"https://{provider}/api/tx/x",
        status=200 if answered else None,
        answered=answered,
        latency_ms=latency,
        error=None if answered else "ReadTimeout",
    )
