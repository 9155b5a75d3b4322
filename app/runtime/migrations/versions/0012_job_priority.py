"""Job priority: note jobs are claimed before ticket jobs (the claim index leads with it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_index("ix_jobs_claim")
        batch.create_index("ix_jobs_claim", ["status", "priority", "run_after"])
    # Notes already queued keep their place ahead of tickets.
    op.execute("UPDATE jobs SET priority = 10 WHERE kind = 'note'")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_claim")
        batch.create_index("ix_jobs_claim", ["status", "run_after"])
        batch.drop_column("priority")
