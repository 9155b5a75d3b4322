"""Every verdict an investigation was given, with its time and the evidence it rested on then.

`Investigation.history` keeps the codes; this log keeps each check whole (summary, action,
evidence: the chain facts, the ledger rows used at that moment), for the evidence file, and
feeds the re-check outcomes of the SLA figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from chains.recording import Exchange
from investigations import provider_log
from investigations.types import UTCDateTime

FIRST, RECHECK = "first", "recheck"


class VerdictEvent(SQLModel, table=True):
    __tablename__ = "verdict_events"

    id: int | None = Field(default=None, primary_key=True)
    investigation_id: str = Field(max_length=32, index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    kind: str = Field(max_length=8)  # first | recheck
    code: str = Field(max_length=32)
    final: bool
    previous_code: str | None = Field(default=None, max_length=32)
    verdict: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


def record(
    session: Session,
    investigation_id: str,
    verdict: dict[str, Any],
    *,
    at: datetime,
    kind: str,
    previous_code: str | None,
    exchanges: list[Exchange],
) -> int:
    """Add one check and the provider exchanges it made to the caller's transaction; its id.
    A Core INSERT: the row is never read back through the ORM here, and flushing the session for
    its id would write everything else pending at the same moment (done at commit anyway)."""
    row = {
        "investigation_id": investigation_id,
        "at": at,
        "kind": kind,
        "code": verdict["code"],
        "final": verdict["final"],
        "previous_code": previous_code,
        "verdict": verdict,
    }
    result = session.connection().execute(VerdictEvent.__table__.insert(), row)  # type: ignore[attr-defined]
    event_id = int(result.inserted_primary_key[0])
    provider_log.keep(session, investigation_id, event_id, exchanges)
    return event_id


def for_investigation(session: Session, investigation_id: str) -> list[VerdictEvent]:
    query = select(VerdictEvent).where(VerdictEvent.investigation_id == investigation_id)
    return list(session.exec(query.order_by(col(VerdictEvent.at), col(VerdictEvent.id))))
