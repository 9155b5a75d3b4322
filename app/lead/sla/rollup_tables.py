"""The daily rollups of the SLA figures (issue 22): per UTC day, the counts each figure sums, and for
the percentiles the count of each exact value (a percentile of a period is then read from a few
thousand rows, exactly as percentile_cont would compute it over the raw rows).

Every row has `day`, the UTC day its source row belongs to by the period's own bounds (membership),
and most have `bucket`, the day the reference query groups it under in `per_day` (the same number,
except on SQLite within half a millisecond of midnight, where julianday rounds to the next day).

`sla_dirty_days` is the queue of (figure, day) pairs whose rows are out of date: triggers on the
source tables append to it in the writing transaction (migration 0020), and reading a period
recomputes the queued days first (`rollups.refresh`). The tables are in SQLModel's metadata, so
the migration check compares them with migration 0020.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table
from sqlmodel import SQLModel

from investigations.types import UTCDateTime

_meta = SQLModel.metadata


def _table(name: str, *columns: Column) -> Table:  # type: ignore[type-arg]
    return Table(name, _meta, Column("day", Integer, nullable=False), *columns, Index(f"ix_{name}_day", "day"))


dirty_days = Table(
    "sla_dirty_days",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("figure", String(16), nullable=False),
    Column("day", Integer, nullable=False),
    Index("ix_sla_dirty_days_day", "day"),
)
day_questions = _table(
    "sla_day_questions",
    Column("bucket", Integer, nullable=False),
    Column("channel", String(16), nullable=True),
    Column("chain", String(16), nullable=True),
    Column("code", String(32), nullable=True),
    Column("payout", Boolean, nullable=False),
    Column("questions", Integer, nullable=False),
)
day_no_hash = _table(
    "sla_day_no_hash",
    Column("bucket", Integer, nullable=False),
    Column("helpdesk", String(16), nullable=True),
    Column("questions", Integer, nullable=False),
)
day_first_notes = _table(
    "sla_day_first_notes",
    Column("bucket", Integer, nullable=False),
    Column("latency", Float, nullable=True),  # seconds from the webhook to the first note; NULL: waiting
    Column("waiting_since", UTCDateTime(), nullable=True),  # the webhook's time of a question still waiting
    Column("questions", Integer, nullable=False),
)
day_automation = _table(
    "sla_day_automation",
    Column("bucket", Integer, nullable=False),
    Column("investigation_day", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("questions", Integer, nullable=False),
)
day_rechecks = _table(
    "sla_day_rechecks",
    Column("bucket", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("rechecks", Integer, nullable=False),
)
day_providers = _table(
    "sla_day_providers",
    Column("provider", String(128), nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("calls", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
)
month_providers = Table(  # the same per whole calendar month: a year reads 12 months, not 366 days
    "sla_month_providers",
    _meta,
    Column("month", Integer, nullable=False),  # year * 12 + month - 1
    Column("provider", String(128), nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("calls", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Index("ix_sla_month_providers_month", "month"),
)
day_replies = _table(
    "sla_day_replies",
    Column("tickets", Integer, nullable=False),
    Column("answered_alone", Integer, nullable=False),
    Column("reopened", Integer, nullable=False),
)
day_reply_times = _table(
    "sla_day_reply_times",
    Column("with_bot", Boolean, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("tickets", Integer, nullable=False),
)
day_reply_shadow = _table(
    "sla_day_reply_shadow",
    Column("code", String(32), nullable=False),
    Column("shadow", Integer, nullable=False),
    Column("compared", Integer, nullable=False),
    Column("agreed", Integer, nullable=False),
)
ROLLUPS = {
    "questions": (day_questions,),
    "notes": (day_no_hash, day_first_notes),
    "automation": (day_automation,),
    "rechecks": (day_rechecks,),
    "providers": (day_providers,),
    "replies": (day_replies, day_reply_times, day_reply_shadow),
}
