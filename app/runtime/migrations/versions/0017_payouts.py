"""Payout records (the casino's withdrawals), the payout an investigation judges, and payout findings
(a finding about a payout has no audited payment nor block: both become optional).

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payout_id", sa.String(128), nullable=False, unique=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("player_ref", sa.String(128), nullable=False),
        sa.Column("to_address", sa.String(128), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("amount_base_units", sa.String(80), nullable=False),
        sa.Column("network_fee_base_units", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=True),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_payouts_player_ref", "payouts", ["player_ref"])
    op.create_index("ix_payouts_tx_hash", "payouts", ["tx_hash"])
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("payout_id", sa.String(128), nullable=True))
        batch.create_index("ix_investigations_payout_id", ["payout_id"])
    with op.batch_alter_table("audit_findings") as batch:
        batch.alter_column("payment_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("block_height", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("payout_id", sa.String(128), nullable=True))
        batch.create_index("ix_audit_findings_payout_id", ["payout_id"])


def downgrade() -> None:
    op.execute("DELETE FROM audit_findings WHERE payout_id IS NOT NULL")  # findings of payouts, which go
    with op.batch_alter_table("audit_findings") as batch:
        batch.drop_index("ix_audit_findings_payout_id")
        batch.drop_column("payout_id")
        batch.alter_column("block_height", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("payment_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("investigations") as batch:
        batch.drop_index("ix_investigations_payout_id")
        batch.drop_column("payout_id")
    op.drop_table("payouts")
