"""SLA figures and evidence files: where each question came from, every check as given, and the
providers' answers as received; indexes for the figures by period.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_HELPDESKS = ("zendesk", "freshdesk", "chatwoot", "generic")


def upgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False, server_default="api"))
    for helpdesk in _HELPDESKS:  # the ticket jobs gave every investigation a ticket_ref "helpdesk:ticket"
        op.execute(
            sa.text("UPDATE investigations SET channel = :name WHERE ticket_ref LIKE :prefix").bindparams(
                name=helpdesk, prefix=f"{helpdesk}:%"
            )
        )
    op.create_index("ix_investigations_stats", "investigations", ["created_at", "channel", "code"])
    op.create_index("ix_ticket_links_received_at", "ticket_links", ["received_at"])
    op.create_index("ix_ticket_notes_received_at", "ticket_notes", ["received_at"])
    op.create_table(
        "verdict_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("investigation_id", sa.String(32), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("previous_code", sa.String(32), nullable=True),
        sa.Column("verdict", sa.JSON(), nullable=False),
    )
    op.create_index("ix_verdict_events_investigation_id", "verdict_events", ["investigation_id"])
    op.create_index("ix_verdict_events_at", "verdict_events", ["at"])
    op.create_table(
        "provider_exchanges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("investigation_id", sa.String(32), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("provider", sa.String(128), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.String(120), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("request_body", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_provider_exchanges_investigation_id", "provider_exchanges", ["investigation_id"])
    op.create_index("ix_provider_exchanges_health", "provider_exchanges", ["at", "provider"])
    op.create_index(
        "ix_provider_exchanges_kept",
        "provider_exchanges",
        ["at"],
        postgresql_where=sa.text("body IS NOT NULL"),
        sqlite_where=sa.text("body IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("provider_exchanges")
    op.drop_table("verdict_events")
    op.drop_index("ix_ticket_notes_received_at", "ticket_notes")
    op.drop_index("ix_ticket_links_received_at", "ticket_links")
    op.drop_index("ix_investigations_stats", "investigations")
    with op.batch_alter_table("investigations") as batch:
        batch.drop_column("channel")
