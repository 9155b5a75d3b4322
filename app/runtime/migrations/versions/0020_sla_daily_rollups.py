"""Daily rollups of the SLA figures (issue 22): per-day counts and per-value counts for the
percentiles, the queue of days to recompute, and the triggers on the source tables that queue the
days a write touches, in the writing transaction.

The migration does not compute the rollups: it queues every day that has data, so the first read
of a period recomputes its days (`depositdesk dashboard rebuild` does them all at once).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)

# Per source table: the columns whose change moves a figure, and what it queues, as
# INSERT INTO sla_dirty_days (figure, day) <select>, with {row} standing for OLD or NEW.
_SOURCES = {
    "investigations": (
        ("created_at", "channel", "chain", "code", "payout_id", "final_at"),
        (
            "SELECT 'questions', {day({row}.created_at)}",
            "SELECT 'automation', {day(l.received_at)} FROM ticket_links l WHERE l.investigation_id = {row}.id",
        ),
    ),
    "ticket_links": (
        ("helpdesk", "ticket_ref", "investigation_id", "escalated", "received_at"),
        (
            "SELECT 'automation', {day({row}.received_at)}",
            "SELECT 'replies', {day({row}.received_at)}",
            "SELECT DISTINCT 'replies', {day(l.received_at)} FROM ticket_links l"
            " WHERE l.helpdesk = {row}.helpdesk AND l.ticket_ref = {row}.ticket_ref",
        ),
    ),
    "ticket_notes": (
        ("helpdesk", "ticket_ref", "marker", "status", "code", "body", "received_at", "created_at", "written_at"),
        (
            "SELECT 'notes', {day({row}.received_at)} WHERE {row}.received_at IS NOT NULL",
            "SELECT DISTINCT 'replies', {day(l.received_at)} FROM ticket_links l"
            " WHERE l.helpdesk = {row}.helpdesk AND l.ticket_ref = {row}.ticket_ref",
        ),
    ),
    "verdict_events": (
        ("at", "kind", "code", "final", "previous_code"),
        ("SELECT 'rechecks', {day({row}.at)} WHERE {row}.kind = 'recheck'",),
    ),
    "provider_exchanges": (
        ("at", "provider", "latency_ms", "answered"),
        ("SELECT 'providers', {day({row}.at)}",),
    ),
}
# Every day with data, queued by the migration.
_BACKFILL = (
    "SELECT DISTINCT 'questions', {day(created_at)} FROM investigations",
    "SELECT DISTINCT 'notes', {day(received_at)} FROM ticket_notes WHERE received_at IS NOT NULL",
    "SELECT DISTINCT 'automation', {day(received_at)} FROM ticket_links",
    "SELECT DISTINCT 'replies', {day(received_at)} FROM ticket_links",
    "SELECT DISTINCT 'rechecks', {day(at)} FROM verdict_events WHERE kind = 'recheck'",
    "SELECT DISTINCT 'providers', {day(at)} FROM provider_exchanges",
)


def _day(postgres: bool):  # type: ignore[no-untyped-def]
    """The UTC day number of a timestamp, exactly as the period's bounds count it."""
    if postgres:
        return lambda column: f"((({column}) AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"
    return lambda column: f"CAST(julianday(substr({column}, 1, 10)) - 2440587.5 AS INTEGER)"


def _render(template: str, row: str, postgres: bool) -> str:
    day = _day(postgres)
    text = template.replace("{row}", row)
    while "{day(" in text:  # {day(expr)} -> the dialect's day expression
        start = text.index("{day(")
        end = text.index(")}", start)
        text = text[:start] + day(text[start + 5 : end]) + text[end + 2 :]
    return f"INSERT INTO sla_dirty_days (figure, day) {text};"


def _rollup_table(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(name, sa.Column("day", sa.Integer(), nullable=False), *columns)
    op.create_index(f"ix_{name}_day", name, ["day"])


def upgrade() -> None:
    op.create_table(
        "sla_dirty_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("figure", sa.String(16), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sla_dirty_days_day", "sla_dirty_days", ["day"])
    _rollup_table(
        "sla_day_questions",
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("chain", sa.String(16), nullable=True),
        sa.Column("code", sa.String(32), nullable=True),
        sa.Column("payout", sa.Boolean(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_no_hash",
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("helpdesk", sa.String(16), nullable=True),
        sa.Column("questions", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_first_notes",
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("latency", sa.Float(), nullable=True),
        sa.Column("waiting_since", _TS, nullable=True),
        sa.Column("questions", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_automation",
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("investigation_day", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_rechecks",
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("rechecks", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_providers",
        sa.Column("provider", sa.String(128), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
    )
    op.create_table(
        "sla_month_providers",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(128), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sla_month_providers_month", "sla_month_providers", ["month"])
    _rollup_table(
        "sla_day_replies",
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("answered_alone", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_reply_times",
        sa.Column("with_bot", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
    )
    _rollup_table(
        "sla_day_reply_shadow",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("shadow", sa.Integer(), nullable=False),
        sa.Column("compared", sa.Integer(), nullable=False),
        sa.Column("agreed", sa.Integer(), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (columns, marks) in _SOURCES.items():
        _create_triggers(table, columns, marks, postgres)
    for backfill in _BACKFILL:
        op.execute(_render(backfill, "", postgres))


def _create_triggers(table: str, columns: tuple[str, ...], marks: tuple[str, ...], postgres: bool) -> None:
    changed = " OR ".join(
        f"OLD.{c} IS DISTINCT FROM NEW.{c}" if postgres else f"OLD.{c} IS NOT NEW.{c}" for c in columns
    )
    old = "\n".join(_render(mark, "OLD", postgres) for mark in marks)
    new = "\n".join(_render(mark, "NEW", postgres) for mark in marks)
    name = f"sla_mark_{table}"
    if postgres:
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            f"IF TG_OP <> 'INSERT' THEN\n{old}\nEND IF;\nIF TG_OP <> 'DELETE' THEN\n{new}\nEND IF;\n"
            "RETURN NULL;\nEND\n$$"
        )
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        op.execute(
            f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} FOR EACH ROW WHEN ({changed}) "
            f"EXECUTE FUNCTION {name}()"
        )
        return
    op.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN\n{new}\nEND")
    op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN\n{old}\nEND")
    op.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} WHEN {changed} BEGIN\n{old}\n{new}\nEND")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _SOURCES:
        name = f"sla_mark_{table}"
        if postgres:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP TRIGGER {name}_update ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {name}_{suffix}")
    op.drop_index("ix_sla_month_providers_month", "sla_month_providers")
    op.drop_table("sla_month_providers")
    for name in (
        "sla_day_reply_shadow",
        "sla_day_reply_times",
        "sla_day_replies",
        "sla_day_providers",
        "sla_day_rechecks",
        "sla_day_automation",
        "sla_day_first_notes",
        "sla_day_no_hash",
        "sla_day_questions",
        "sla_dirty_days",
    ):
        op.drop_index(f"ix_{name}_day", name)
        op.drop_table(name)
