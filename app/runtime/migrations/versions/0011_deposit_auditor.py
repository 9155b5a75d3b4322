"""The deposit auditor: each chain's cursor and lease, the blocks it followed, matched payments, findings.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_cursors",
        sa.Column("chain", sa.String(8), primary_key=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("block_hash", sa.String(80), nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("tip_height", sa.Integer(), nullable=True),
        sa.Column("blocks_scanned", sa.Integer(), nullable=False),
        sa.Column("uncovered", sa.String(500), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "audit_blocks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(80), nullable=False),
        sa.Column("parent_hash", sa.String(80), nullable=False),
        sa.UniqueConstraint("chain", "height", name="uq_audit_block_height"),
    )
    op.create_table(
        "audit_payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(80), nullable=False),
        sa.Column("block_time", _TS, nullable=True),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("player_ref", sa.String(128), nullable=False),
        sa.Column("asset", sa.String(64), nullable=False),
        sa.Column("amount_base_units", sa.String(80), nullable=False),
        sa.Column("kinds", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=True),
        sa.Column("investigation_id", sa.String(32), nullable=True),
        sa.Column("matched_at", _TS, nullable=False),
        sa.Column("check_after", _TS, nullable=True),
        sa.UniqueConstraint("chain", "block_hash", "tx_hash", "address", "asset", name="uq_audit_payment"),
    )
    op.create_index("ix_audit_payments_due", "audit_payments", ["status", "chain", "block_height"])
    op.create_index("ix_audit_payments_tx_hash", "audit_payments", ["tx_hash"])
    op.create_table(
        "audit_findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payment_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("player_ref", sa.String(128), nullable=False),
        sa.Column("asset", sa.String(64), nullable=False),
        sa.Column("amount_base_units", sa.String(80), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("investigation_id", sa.String(32), nullable=True),
        sa.Column("found_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("resolved_by", sa.String(128), nullable=True),
        sa.Column("resolution", sa.String(1000), nullable=True),
        sa.Column("ticket_ref", sa.String(256), nullable=True),
        sa.Column("ticket_at", _TS, nullable=True),
    )
    op.create_index("ix_audit_findings_status", "audit_findings", ["status", "found_at"])
    op.create_index("ix_audit_findings_tx_hash", "audit_findings", ["tx_hash"])
    op.create_index("ix_audit_findings_player_ref", "audit_findings", ["player_ref"])


def downgrade() -> None:
    op.drop_table("audit_findings")
    op.drop_table("audit_payments")
    op.drop_table("audit_blocks")
    op.drop_table("audit_cursors")
