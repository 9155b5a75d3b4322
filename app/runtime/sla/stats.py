"""All SLA figures of a period in one JSON-ready dict (the dashboard, `/api/stats` and its CSV).

Extension point: a later feature (the no-hash search, the deposit auditor) adds its own figures
with `register(name, compute)`; `compute(session, period, now)` returns a JSON-ready dict that
appears under `sections[name]` in the JSON and as its own rows in the CSV. Nothing is shown for
a feature that does not exist yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.runtime.sla import figures
from app.runtime.sla.period import Period
from app.runtime.sla.sql import is_postgres

Section = Callable[[Session, Period, datetime], dict[str, Any]]
SECTIONS: dict[str, Section] = {}
WORK_MEM = "64MB"


@dataclass(frozen=True)
class Targets:
    first_note_seconds: float = 60.0
    resolve_hours: float = 24.0


def register(name: str, compute: Section) -> None:
    """Add a section of figures (e.g. "auditor": uncredited deposits found before the player wrote)."""
    SECTIONS[name] = compute


def compute(session: Session, period: Period, targets: Targets, now: datetime) -> dict[str, Any]:
    if is_postgres(session):
        # The per-question grouping and the percentile sorts of a month or more outgrow the default
        # 4 MB and spill to disk; this transaction alone may use more.
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    return {
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "generated_at": now.isoformat(),
        "days": period.days,
        "questions": figures.questions(session, period),
        "first_note": figures.first_note(session, period, targets.first_note_seconds, now),
        "automation": figures.automation(session, period),
        "open": figures.open_by_age(session, targets.resolve_hours, now),
        "rechecks": figures.rechecks(session, period),
        "providers": figures.providers(session, period),
        "sections": {name: section(session, period, now) for name, section in SECTIONS.items()},
    }


def may_see(agent_name: str, leads: list[str]) -> bool:
    """DASHBOARD_AGENTS restricts the figures to the agents it names; empty, every agent sees them."""
    return not leads or agent_name in leads
