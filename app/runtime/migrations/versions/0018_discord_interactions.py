"""The players' Discord bot: Discord accounts (linked or not), interactions seen, the deposits each
account watches; link codes and handovers name their network (existing rows are Telegram's).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ("chat_link_codes", "handovers"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("network", sa.String(16), nullable=False, server_default="telegram"))
    op.create_table(
        "discord_users",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("player_ref", sa.String(128), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("linked_at", _TS, nullable=True),
        sa.Column("token", sa.String(512), nullable=True),
        sa.Column("token_expires_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_discord_users_player_ref", "discord_users", ["player_ref"])
    op.create_table(
        "discord_interactions",
        sa.Column("interaction_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("received_at", _TS, nullable=False),
    )
    op.create_index("ix_discord_interactions_received_at", "discord_interactions", ["received_at"])
    op.create_table(
        "discord_watches",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("investigation_id", sa.String(32), primary_key=True),
        sa.Column("last_state", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_discord_watches_investigation", "discord_watches", ["investigation_id"])


def downgrade() -> None:
    for table in ("discord_watches", "discord_interactions", "discord_users"):
        op.drop_table(table)
    for table in ("handovers", "chat_link_codes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("network")
