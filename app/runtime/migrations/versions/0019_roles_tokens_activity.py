"""Roles, machine tokens and the activity trail (issue 28): a role per account (the accounts that exist
become admin, so nothing a deployment does today stops working), an identity-provider subject for
accounts that sign in with OpenID Connect, scoped machine tokens with expiry, last use and a rotation
overlap, and the append-only, hash-chained activity trail with its head row.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_agents_oidc_subject", ["oidc_subject"])
    # Only the rows that exist now become admin: new accounts always say their role.
    with op.batch_alter_table("agents") as batch:
        batch.alter_column("role", server_default=None)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("previous_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("previous_until", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.Column("rotated_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_table(
        "activity",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_activity_at", "activity", ["at"])
    op.create_index("ix_activity_actor", "activity", ["actor"])
    op.create_index("ix_activity_action", "activity", ["action"])
    op.create_table(
        "activity_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO activity_head (id, seq, hash, pruned_through) VALUES (1, 0, '" + "0" * 64 + "', 0)")


def downgrade() -> None:
    for table in ("activity_head", "activity", "api_tokens"):
        op.drop_table(table)
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint("uq_agents_oidc_subject", type_="unique")
        batch.drop_column("oidc_subject")
        batch.drop_column("role")
