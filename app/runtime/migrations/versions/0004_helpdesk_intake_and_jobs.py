"""Webhook deliveries, durable jobs, ticket links and the notes ledger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("helpdesk", sa.String(16), nullable=False),
        sa.Column("delivery_id", sa.String(128), nullable=False),
        sa.Column("ticket_ref", sa.String(128), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.UniqueConstraint("helpdesk", "delivery_id", name="uq_webhook_delivery"),
    )
    op.create_index("ix_webhook_deliveries_received_at", "webhook_deliveries", ["received_at"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", _TS, nullable=False),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("locked_by", sa.String(128), nullable=True),
        sa.Column("last_error", sa.String(2000), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=True),
    )
    op.create_index("ix_jobs_claim", "jobs", ["status", "run_after"])
    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("helpdesk", sa.String(16), nullable=False),
        sa.Column("ticket_ref", sa.String(128), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=False),
        sa.Column("investigation_id", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("last_noted_code", sa.String(32), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.UniqueConstraint("helpdesk", "ticket_ref", "tx_hash", name="uq_ticket_link"),
    )
    op.create_index("ix_ticket_links_investigation_id", "ticket_links", ["investigation_id"])
    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("helpdesk", sa.String(16), nullable=False),
        sa.Column("ticket_ref", sa.String(128), nullable=False),
        sa.Column("marker", sa.String(128), nullable=False),
        sa.Column("investigation_id", sa.String(32), nullable=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=True),
        sa.Column("received_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("written_at", _TS, nullable=True),
        sa.UniqueConstraint("helpdesk", "ticket_ref", "marker", name="uq_ticket_note"),
    )


def downgrade() -> None:
    op.drop_table("ticket_notes")
    op.drop_table("ticket_links")
    op.drop_table("jobs")
    op.drop_table("webhook_deliveries")
