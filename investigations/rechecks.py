"""Non-final verdicts are looked at again when due: pending and confirming deposits settle,
unknown ones appear or are given up on, reorged ones are mined again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from chains.base import ChainError
from investigations.models import Investigation
from investigations.service import InvalidInput, Investigator

log = logging.getLogger(__name__)

# How long an investigation keeps being re-checked; after that it waits for a person.
RECHECK_WINDOW = timedelta(days=3)


def due(session: Session, now: datetime, limit: int = 100) -> list[Investigation]:
    return list(
        session.exec(
            select(Investigation)
            .where(Investigation.final == False, col(Investigation.next_check_at) <= now)  # noqa: E712
            .order_by(col(Investigation.next_check_at))
            .limit(limit)
        )
    )


def recheck_due(
    session: Session, investigator: Investigator, *, now: datetime, limit: int = 100
) -> list[Investigation]:
    """Re-check every due investigation once; one failing never stops the others."""
    done = []
    for record in due(session, now, limit):
        try:
            record = investigator.recheck(session, record)
        except (ChainError, InvalidInput):
            log.exception("re-check of investigation %s failed", record.id)
            session.rollback()
            continue
        if record.created_at + RECHECK_WINDOW < now and not record.final:
            record.next_check_at = None
            session.add(record)
            session.commit()
        done.append(record)
    return done
