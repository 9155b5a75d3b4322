"""Non-final verdicts are looked at again when due: pending and confirming deposits settle,
unknown ones appear or are given up on, reorged ones are mined again.

Each due investigation is claimed with one conditional UPDATE before it is re-checked, so
several processes (workers, status pages) never re-check the same one at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from chains.base import ChainError
from investigations.models import Investigation
from investigations.service import InvalidInput, Investigator

log = logging.getLogger(__name__)

# How long an investigation keeps being re-checked; after that it waits for a person.
RECHECK_WINDOW = timedelta(days=3)
CLAIM = timedelta(minutes=2)
OnRecheck = Callable[[Session, Investigation, bool], None]  # (session, record, gave_up)


def due(session: Session, now: datetime, limit: int = 100) -> list[Investigation]:
    return list(
        session.exec(
            select(Investigation)
            .where(Investigation.final == False, col(Investigation.next_check_at) <= now)  # noqa: E712
            .order_by(col(Investigation.next_check_at))
            .limit(limit)
        )
    )


def claim(session: Session, investigation_id: str, now: datetime, hold: timedelta = CLAIM) -> bool:
    """Take a due investigation for this caller alone (its next check moves out of others' way)."""
    claimed = session.execute(
        update(Investigation)
        .where(
            Investigation.id == investigation_id,
            Investigation.final == False,  # noqa: E712
            col(Investigation.next_check_at) <= now,
        )
        .values(next_check_at=now + hold)
    )
    session.commit()
    return claimed.rowcount == 1


def recheck_due(
    session: Session,
    investigator: Investigator,
    *,
    now: datetime,
    limit: int = 100,
    on_recheck: OnRecheck | None = None,
) -> list[Investigation]:
    """Re-check every due investigation once; one failing never stops the others."""
    done = []
    for record in due(session, now, limit):
        if not claim(session, record.id, max(now, investigator.clock())):  # lookups take time: claim with the time now
            continue
        try:
            record = investigator.recheck(session, record)
        except (ChainError, InvalidInput):
            log.exception("re-check of investigation %s failed", record.id)
            session.rollback()
            continue
        gave_up = not record.final and record.created_at + RECHECK_WINDOW < now
        if gave_up:
            record.next_check_at = None
            session.add(record)
            session.commit()
        if on_recheck is not None:
            try:
                on_recheck(session, record, gave_up)
            except Exception:  # noqa: BLE001 - the verdict is saved; the notes catch up next round
                log.exception("follow-up of investigation %s failed", record.id)
                session.rollback()
        done.append(record)
    return done
