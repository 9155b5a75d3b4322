"""ticket_notes.tags_status: a note's tags are a step of their own, retried until they are on the ticket.

Notes written before this revision had their tags written with them: they are `done`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_notes") as batch:
        batch.add_column(sa.Column("tags_status", sa.String(length=16), nullable=False, server_default="pending"))
    op.execute("UPDATE ticket_notes SET tags_status = 'done' WHERE status = 'written'")
    with op.batch_alter_table("ticket_notes") as batch:  # the model sets it, as for every other column
        batch.alter_column("tags_status", existing_type=sa.String(length=16), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("ticket_notes") as batch:
        batch.drop_column("tags_status")
