"""The auditor's tables: each chain's cursor and lease, the blocks it followed, the payments it
matched, and the findings raised from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from investigations.types import BaseUnits, UTCDateTime, utcnow

MATCHED, CHECKED, WITHDRAWN = "matched", "checked", "withdrawn"  # payment states
OPEN, RESOLVED = "open", "resolved"  # finding states (and WITHDRAWN)


class AuditCursor(SQLModel, table=True):
    """Where a chain's follower is (the last block it finished) and who may move it (the lease)."""

    __tablename__ = "audit_cursors"

    chain: str = Field(primary_key=True, max_length=8)
    height: int | None = None
    block_hash: str | None = Field(default=None, max_length=80)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    tip_height: int | None = None
    blocks_scanned: int = 0
    uncovered: str = Field(default="", max_length=500)  # kinds of transfer the providers could not read
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AuditBlock(SQLModel, table=True):
    """A block the follower finished: the trail it walks back along on a reorg."""

    __tablename__ = "audit_blocks"
    __table_args__ = (UniqueConstraint("chain", "height", name="uq_audit_block_height"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=8)
    height: int
    block_hash: str = Field(max_length=80)
    parent_hash: str = Field(max_length=80)


class AuditPayment(SQLModel, table=True):
    """What one transaction in one block paid one casino address in one asset."""

    __tablename__ = "audit_payments"
    __table_args__ = (
        UniqueConstraint("chain", "block_hash", "tx_hash", "address", "asset", name="uq_audit_payment"),
        Index("ix_audit_payments_due", "status", "chain", "block_height"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=8)
    tx_hash: str = Field(max_length=80, index=True)
    block_height: int
    block_hash: str = Field(max_length=80)
    block_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    address: str = Field(max_length=128)
    player_ref: str = Field(max_length=128)
    asset: str = Field(max_length=64)
    amount_base_units: int = Field(sa_column=Column(BaseUnits(), nullable=False))
    kinds: str = Field(max_length=64)  # output, native, token, internal
    status: str = Field(default=MATCHED, max_length=16)
    code: str | None = Field(default=None, max_length=32)
    investigation_id: str | None = Field(default=None, max_length=32)
    matched_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    check_after: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Finding(SQLModel, table=True):
    """A confirmed payment to a casino address the ledger did not credit as paid — or a payout
    (withdrawal) that finance must act on (`payout_id` set; no audited payment, maybe no block)."""

    __tablename__ = "audit_findings"
    __table_args__ = (Index("ix_audit_findings_status", "status", "found_at"),)

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int | None = Field(default=None, unique=True)
    chain: str = Field(max_length=8)
    tx_hash: str = Field(max_length=80, index=True)
    block_height: int | None = None
    address: str = Field(max_length=128)
    player_ref: str = Field(max_length=128, index=True)
    asset: str = Field(max_length=64)
    amount_base_units: int = Field(sa_column=Column(BaseUnits(), nullable=False))
    code: str = Field(max_length=32)
    summary: str = Field(default="", max_length=500)
    status: str = Field(default=OPEN, max_length=16)
    investigation_id: str | None = Field(default=None, max_length=32)
    found_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    resolved_by: str | None = Field(default=None, max_length=128)
    resolution: str | None = Field(default=None, max_length=1000)
    ticket_ref: str | None = Field(default=None, max_length=256)
    ticket_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    payout_id: str | None = Field(default=None, max_length=128, index=True)  # a payout finding (issue 25)
