"""Transaction sightings (settled-facts cache and history) and the verdict history of rechecks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tx_sightings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=True),
        sa.Column("block_hash", sa.String(80), nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("trace", sa.String(16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.UniqueConstraint("chain", "tx_hash", name="uq_tx_sighting"),
    )
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("history", sa.JSON(), nullable=True))
    op.create_index("ix_investigations_recheck", "investigations", ["final", "next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_investigations_recheck", table_name="investigations")
    with op.batch_alter_table("investigations") as batch:
        batch.drop_column("history")
    op.drop_table("tx_sightings")
