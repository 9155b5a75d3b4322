"""Initial schema: deposit addresses, ledger deposits, investigations, agents.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_table(
        "deposit_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("player_ref", sa.String(128), nullable=False),
        sa.Column("assets", sa.String(256), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("chain", "address", name="uq_deposit_address"),
    )
    op.create_index("ix_deposit_addresses_player_ref", "deposit_addresses", ["player_ref"])
    op.create_table(
        "ledger_deposits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_key", sa.String(320), nullable=False, unique=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=False),
        sa.Column("output_index", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        # Digits of an exact integer: wei amounts overflow BIGINT, SQLite would round NUMERIC.
        sa.Column("amount_base_units", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("player_ref", sa.String(128), nullable=False),
        sa.Column("credited_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_ledger_deposits_tx_hash", "ledger_deposits", ["tx_hash"])
    op.create_index("ix_ledger_deposits_player_ref", "ledger_deposits", ["player_ref"])
    op.create_table(
        "investigations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("chain", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(80), nullable=False),
        sa.Column("address", sa.String(128), nullable=True),
        sa.Column("player_ref", sa.String(128), nullable=True),
        sa.Column("ticket_ref", sa.String(128), nullable=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("verdict", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("chain_facts", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status_token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("next_check_at", _TS, nullable=True),
    )
    op.create_index("ix_investigations_tx_hash", "investigations", ["tx_hash"])
    op.create_index("ix_investigations_code", "investigations", ["code"])
    op.create_index("ix_investigations_created_at", "investigations", ["created_at"])


def downgrade() -> None:
    op.drop_table("investigations")
    op.drop_table("ledger_deposits")
    op.drop_table("deposit_addresses")
    op.drop_table("agents")
