"""Public replies on tickets (issue 26) as figures for the lead: time to the first public reply with
and without the bot (p50/p90), deposit tickets answered without an agent and how many of those the
player reopened within 24 h, and, per code, how often an agent's later reply said what the bot's
shadow answer would have said (the state and the numbers), so public answers can be turned on code
by code with evidence.

A ticket is a deposit ticket of the period when its first ticket link (a hash on it) was received in
the period. The bot's first public reply counts from that moment to its written_at; a person's from
that moment to when their first public reply was seen. The rows are read once per period and
grouped in Python (percentiles on SQLite are computed in Python anyway)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from app.lead.sla.period import Period
from app.lead.sla.sql import percentile_of_counts, rounded
from app.lead.sla.tables import (
    AGENT_REPLY_MARKER,
    BOT_REPLY_MARKER_PREFIX,
    PLAYER_ANSWERED,
    SILENCED_CODE,
    ticket_links,
    ticket_notes,
)

REOPENED_WITHIN = timedelta(hours=24)

# What each public code says, in the words an agent would use (ru/de/en stems): the agent's reply
# agrees on the state when it uses one of them.
STATE_WORDS: dict[str, tuple[str, ...]] = {
    "credited": ("credited", "balance", "зачисл", "баланс", "gutgeschrieben", "guthaben"),
    "confirming": ("confirm", "подтвержд", "bestätig"),
    "pending": ("mempool", "pending", "waiting", "block", "мемпул", "ожида", "блок", "warte"),
    "payout_pending": ("pending", "processing", "ожида", "обработ", "bearbeit"),
    "payout_confirming": ("confirm", "подтвержд", "bestätig"),
    "payout_delivered": ("sent", "delivered", "отправ", "gesendet"),
}
_NUMBER = re.compile(r"(?<![\w/.])\d+(?:[.,]\d+)?(?![\w/])")
_URL = re.compile(r"https?://\S+")


def numbers(text: str) -> set[str]:
    """The numbers a reply states (amounts, confirmations, minutes), normalised: "0,0150" is "0.015";
    links and markers are left out."""
    text = _URL.sub(" ", text.split("[depositdesk", 1)[0])
    found = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(",", ".")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value.lstrip("0") or "0" if "." not in value else value)
    return found


def agrees(code: str, bot_reply: str, agent_reply: str) -> bool:
    """The agent said the same as the bot would have: the same state (a word of the code's state) and
    no number the bot's answer does not state (another amount, another count of confirmations)."""
    text = agent_reply.lower()
    same_state = any(word in text for word in STATE_WORDS.get(code, (code.replace("_", " "),)))
    if code in ("pending", "confirming") and any(word in text for word in STATE_WORDS["credited"]):
        same_state = False  # the agent says it is credited: a later state than the bot's
    return same_state and numbers(agent_reply) <= numbers(bot_reply)


@dataclass
class Outcome:
    """What one deposit ticket adds to the figures."""

    with_bot: float | None = None  # seconds to the bot's first public reply, when it came first
    without_bot: float | None = None  # seconds to a person's first public reply, when it came first
    answered_alone: bool = False
    reopened: bool = False
    shadow: list[tuple[str, bool, bool]] = field(default_factory=list)  # (code, compared, agreed)


@dataclass
class Tally:
    tickets: int = 0
    with_bot: Counter[float] = field(default_factory=Counter)
    without_bot: Counter[float] = field(default_factory=Counter)
    answered_alone: int = 0
    reopened: int = 0
    shadow: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: {"shadow": 0, "compared": 0, "agreed": 0})
    )

    def add(self, outcome: Outcome) -> None:
        self.tickets += 1
        if outcome.with_bot is not None:
            self.with_bot[outcome.with_bot] += 1
        if outcome.without_bot is not None:
            self.without_bot[outcome.without_bot] += 1
        self.answered_alone += int(outcome.answered_alone)
        self.reopened += int(outcome.reopened)
        for code, compared, agreed in outcome.shadow:
            counts = self.shadow[code]
            counts["shadow"] += 1
            counts["compared"] += int(compared)
            counts["agreed"] += int(agreed)


def public_replies(session: Session, period: Period, now: datetime) -> dict[str, Any]:
    links = ticket_links
    first_seen = (
        select(links.c.helpdesk, links.c.ticket_ref, func.min(links.c.received_at).label("received_at"))
        .group_by(links.c.helpdesk, links.c.ticket_ref)
        .subquery()
    )
    tally = Tally()
    for _received, outcome in ticket_outcomes(session, first_seen, period.start, period.end):
        tally.add(outcome)
    return report(tally)


def ticket_outcomes(
    session: Session, first_seen: Any, start: datetime, end: datetime
) -> list[tuple[datetime, Outcome]]:
    """Each ticket first seen in [start, end) (`first_seen`: helpdesk, ticket_ref, received_at) with
    its outcome."""
    notes = ticket_notes
    seen = and_(first_seen.c.received_at >= start, first_seen.c.received_at < end)
    tickets = {
        (row.helpdesk, row.ticket_ref): row.received_at for row in session.execute(select(first_seen).where(seen))
    }
    relevant = or_(
        notes.c.marker.startswith(BOT_REPLY_MARKER_PREFIX, autoescape=True),
        notes.c.marker == AGENT_REPLY_MARKER,
        notes.c.code == SILENCED_CODE,
    )
    rows = session.execute(
        select(notes.c.helpdesk, notes.c.ticket_ref, notes.c.marker, notes.c.status, notes.c.code)
        .add_columns(notes.c.body, notes.c.created_at, notes.c.written_at)
        .select_from(
            notes.join(
                first_seen,
                and_(first_seen.c.helpdesk == notes.c.helpdesk, first_seen.c.ticket_ref == notes.c.ticket_ref),
            )
        )
        .where(relevant, seen)
    ).all()
    by_ticket: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        by_ticket[(row.helpdesk, row.ticket_ref)].append(row)
    return [(received, judge(received, by_ticket.get(key, []))) for key, received in tickets.items()]


def judge(received: datetime, ticket_rows: list[Any]) -> Outcome:
    outcome = Outcome()
    bot = sorted(
        (r for r in ticket_rows if r.marker.startswith(BOT_REPLY_MARKER_PREFIX) and r.status == "written"),
        key=lambda r: r.written_at,
    )
    agent = next((r for r in ticket_rows if r.marker == AGENT_REPLY_MARKER), None)
    bot_at = bot[0].written_at if bot else None
    agent_at = agent.written_at if agent is not None else None
    if bot_at is not None and (agent_at is None or bot_at <= agent_at):
        outcome.with_bot = (bot_at - received).total_seconds()
    elif agent_at is not None:
        outcome.without_bot = (agent_at - received).total_seconds()
    outcome.answered_alone = bot_at is not None and agent is None
    outcome.reopened = bot_at is not None and any(
        r.code == SILENCED_CODE and r.body == PLAYER_ANSWERED and r.created_at - bot_at <= REOPENED_WITHIN
        for r in ticket_rows
    )
    for row in ticket_rows:
        if row.marker.startswith(BOT_REPLY_MARKER_PREFIX) and row.status == "shadow":
            compared = agent is not None and bool(agent.body) and agent.written_at >= row.created_at
            outcome.shadow.append((row.code, compared, compared and agrees(row.code, row.body, agent.body)))
    return outcome


def report(tally: Tally) -> dict[str, Any]:
    tickets, answered_alone, reopened = tally.tickets, tally.answered_alone, tally.reopened
    return {
        "tickets": tickets,
        "first_public_reply_with_bot": _distribution(tally.with_bot),
        "first_public_reply_without_bot": _distribution(tally.without_bot),
        "answered_without_agent": answered_alone,
        "share_answered_without_agent": round(answered_alone / tickets, 4) if tickets else None,
        "reopened_within_24h": reopened,
        "share_reopened_within_24h": round(reopened / answered_alone, 4) if answered_alone else None,
        "bot_answered_first": sum(tally.with_bot.values()),
        "shadow_agreement": [
            {
                "code": code,
                **counts,
                "agreement": round(counts["agreed"] / counts["compared"], 4) if counts["compared"] else None,
            }
            for code, counts in sorted(tally.shadow.items())
        ],
    }


def _distribution(values: Counter[float]) -> dict[str, Any]:
    ordered = sorted(values.items())
    return {
        "tickets": sum(values.values()),
        "p50_seconds": rounded(percentile_of_counts(ordered, 0.5)),
        "p90_seconds": rounded(percentile_of_counts(ordered, 0.9)),
    }
