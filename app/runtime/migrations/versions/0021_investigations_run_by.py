"""Who ran each investigation and each no-hash search (issue 28): `run_by` is the trail's actor
(`agent:NAME`, `token:NAME`, `cli`), empty for what a helpdesk, a bot or the auditor started. An agent
sees what they ran and their tickets'; leads and above see everything. Investigations made before
this revision take their actor from the trail's `link.created` row, where there is one.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("investigations", "searches"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("run_by", sa.String(160), nullable=True))
            batch.create_index(f"ix_{table}_run_by", ["run_by"])
    op.create_index("ix_investigations_ticket_ref", "investigations", ["ticket_ref"])  # an agent's tickets
    op.execute(
        "UPDATE investigations SET run_by = (SELECT activity.actor FROM activity"
        " WHERE activity.action = 'link.created' AND activity.target = investigations.id"
        " ORDER BY activity.seq LIMIT 1) WHERE run_by IS NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_investigations_ticket_ref", table_name="investigations")
    for table in ("searches", "investigations"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_run_by")
            batch.drop_column("run_by")
