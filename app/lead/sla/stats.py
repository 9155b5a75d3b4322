"""All SLA figures of a period in one JSON-ready dict (the dashboard, `/api/stats` and its CSV).

Extension point: a later feature (the no-hash search, the deposit auditor) adds its own figures
with `register(name, compute)`; `compute(session, period, now)` returns a JSON-ready dict that
appears under `sections[name]` in the JSON and as its own rows in the CSV. Nothing is shown for
a feature that does not exist yet.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.lead.sla import figures, payout_figures, replies, rolled, rollups
from app.lead.sla.period import Period
from app.lead.sla.sql import is_postgres

Section = Callable[[Session, Period, datetime], dict[str, Any]]
SECTIONS: dict[str, Section] = {}
WORK_MEM = "64MB"
PARALLEL_QUERIES = 3


@dataclass(frozen=True)
class Targets:
    first_note_seconds: float = 60.0
    resolve_hours: float = 24.0


def register(name: str, compute: Section) -> None:
    """Add a section of figures (e.g. "auditor": uncredited deposits found before the player wrote)."""
    SECTIONS[name] = compute


def compute(
    session: Session, period: Period, targets: Targets, now: datetime, *, reference: bool = False
) -> dict[str, Any]:
    """The figures from the daily rollups (their queued days recomputed first), or with `reference`
    from the source rows by the original queries (what the rollups are compared with)."""
    if reference:
        source: Any = figures
        payouts, public_replies = payout_figures.compute, replies.public_replies
    else:
        rollups.refresh(session.get_bind(), period.first_day, period.last_day)  # type: ignore[arg-type]
        source, payouts, public_replies = rolled, rolled.payouts, rolled.public_replies
    work: dict[str, Callable[[Session], Any]] = {
        "questions": lambda s: source.questions(s, period),
        "first_note": lambda s: source.first_note(s, period, targets.first_note_seconds, now),
        "automation": lambda s: source.automation(s, period),
        "open": lambda s: figures.open_by_age(s, targets.resolve_hours, now),
        "rechecks": lambda s: source.rechecks(s, period),
        "providers": lambda s: source.providers(s, period),
        "payouts": lambda s: payouts(s, period, now),
        "public_replies": lambda s: public_replies(s, period, now),  # issue 26
    }
    for name, section in SECTIONS.items():
        work[f"section:{name}"] = lambda s, section=section: section(s, period, now)
    if is_postgres(session):
        results = _in_parallel(session, work)
    else:
        results = {name: figure(session) for name, figure in work.items()}
    return {
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "generated_at": now.isoformat(),
        "days": period.days,
        **{name: value for name, value in results.items() if not name.startswith("section:")},
        "sections": {name.removeprefix("section:"): v for name, v in results.items() if name.startswith("section:")},
    }


def _in_parallel(session: Session, work: dict[str, Callable[[Session], Any]]) -> dict[str, Any]:
    """PostgreSQL: each figure in its own connection, a few at once (the server has the cores; one
    connection would run them one after another)."""
    engine = session.get_bind()

    def run(figure: Callable[[Session], Any]) -> Any:
        with Session(engine) as own:
            # The per-question grouping and the percentile sorts of a month or more outgrow the default
            # 4 MB and spill to disk; this transaction alone may use more.
            own.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
            return figure(own)

    with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES, thread_name_prefix="sla") as pool:
        futures = {name: pool.submit(run, figure) for name, figure in work.items()}
        return {name: future.result() for name, future in futures.items()}


def may_see(agent_name: str, leads: list[str]) -> bool:
    """DASHBOARD_AGENTS restricts the figures to the agents it names; empty, every agent sees them."""
    return not leads or agent_name in leads
