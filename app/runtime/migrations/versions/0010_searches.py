"""No-hash searches: the query, what was searched, and the candidates found.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "searches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("player_ref", sa.String(128), nullable=True),
        sa.Column("address", sa.String(128), nullable=True),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("candidate_ids", sa.JSON(), nullable=False),
        sa.Column("searched", sa.JSON(), nullable=False),
        sa.Column("not_searched", sa.JSON(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_searches_player_ref", "searches", ["player_ref"])
    op.create_index("ix_searches_created_at", "searches", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_searches_created_at", "searches")
    op.drop_index("ix_searches_player_ref", "searches")
    op.drop_table("searches")
