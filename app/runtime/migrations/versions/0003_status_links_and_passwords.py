"""Status links stored only as hashes (expiry, revocation) and agent passwords.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("status_token_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("status_nonce", sa.String(32), nullable=True))
        batch.add_column(sa.Column("status_revoked_at", _TS, nullable=True))
        batch.add_column(sa.Column("final_at", _TS, nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, status_token, final, created_at FROM investigations")).fetchall()
    for row in rows:
        # Links already handed out keep working: their hash is kept; they just cannot be shown again.
        connection.execute(
            sa.text(
                "UPDATE investigations SET status_token_hash = :hash, status_nonce = :nonce, "
                "final_at = CASE WHEN final THEN created_at ELSE NULL END WHERE id = :id"
            ),
            {
                "hash": hashlib.sha256(row.status_token.encode()).hexdigest(),
                "nonce": secrets.token_hex(16),
                "id": row.id,
            },
        )
    with op.batch_alter_table("investigations") as batch:
        batch.alter_column("status_token_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("status_nonce", existing_type=sa.String(32), nullable=False)
        batch.create_unique_constraint("uq_investigations_status_token_hash", ["status_token_hash"])
        batch.drop_column("status_token")
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(256), nullable=True))
        batch.create_unique_constraint("uq_agents_name", ["name"])


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint("uq_agents_name", type_="unique")
        batch.drop_column("password_hash")
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("status_token", sa.String(64), nullable=True))
    op.execute("UPDATE investigations SET status_token = status_token_hash")
    with op.batch_alter_table("investigations") as batch:
        batch.drop_constraint("uq_investigations_status_token_hash", type_="unique")
        batch.drop_column("final_at")
        batch.drop_column("status_revoked_at")
        batch.drop_column("status_nonce")
        batch.drop_column("status_token_hash")
        batch.alter_column("status_token", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_investigations_status_token", ["status_token"])
