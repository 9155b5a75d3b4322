"""Drop investigations.chain_facts: what the chain said of a tx is kept in tx_sightings since 0002.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.drop_column("chain_facts")


def downgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("chain_facts", sa.JSON(none_as_null=True), nullable=True))
