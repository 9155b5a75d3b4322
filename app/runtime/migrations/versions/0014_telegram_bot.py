"""The players' Telegram bot: chats linked to players, one-time link codes, updates seen, the
deposits each chat watches, and the tickets opened for a player's question.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("player_ref", sa.String(128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
    )
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("player_ref", sa.String(128), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("linked_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_chats_player_ref", "chats", ["player_ref"])
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("received_at", _TS, nullable=False),
    )
    op.create_index("ix_telegram_updates_received_at", "telegram_updates", ["received_at"])
    op.create_table(
        "chat_watches",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("investigation_id", sa.String(32), primary_key=True),
        sa.Column("last_state", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_chat_watches_investigation", "chat_watches", ["investigation_id"])
    op.create_table(
        "handovers",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("investigation_id", sa.String(32), nullable=True),
        sa.Column("helpdesk", sa.String(32), nullable=False),
        sa.Column("ticket_ref", sa.String(64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("handovers", "chat_watches", "telegram_updates", "chats", "chat_link_codes"):
        op.drop_table(table)
