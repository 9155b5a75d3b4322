"""The casino's payout (withdrawal) records, as the back office sends them, like the deposit ledger.

`PUT /api/payouts` and `depositdesk ledger import` hand rows of
`{payout_id, chain, player_ref, to_address, asset, amount, status, tx_hash?, requested_at, sent_at?,
network_fee?}` to `upsert_payouts`: amounts are decimal strings in the asset's main unit, stored as
integer base units; the same batch twice changes nothing the second time, and a batch with one bad
row is refused whole (every row is checked before anything is written).

A payout record is what a payout investigation judges the chain against: the address and amount
the casino meant to pay, and the tx it says it sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import Field as PydanticField
from pydantic import field_validator, model_validator
from sqlalchemy import Column, bindparam
from sqlmodel import Field, Session, SQLModel, col, select

from chains.assets import DEFAULT_ASSETS, AmountError, AssetError, AssetRegistry, check_decimal_string, to_base_units
from chains.base import Chain, InvalidReference
from chains.references import normalize_tx_hash
from investigations.inputs import MAX_REF_CHARS, checked_instant
from investigations.ledger import (
    LedgerRecordsError,
    RowError,
    UpsertResult,
    _address,
    _chunks,
    _differs,
    _Record,
    _write,
)
from investigations.types import BaseUnits, UTCDateTime, utcnow
from investigations.verdicts import Payout

PayoutStatus = Literal["requested", "approved", "sent", "rejected"]
_CHUNK = 500


class PayoutRecord(SQLModel, table=True):
    __tablename__ = "payouts"

    id: int | None = Field(default=None, primary_key=True)
    payout_id: str = Field(max_length=128, unique=True)
    chain: str = Field(max_length=8)
    player_ref: str = Field(max_length=128, index=True)
    to_address: str = Field(max_length=128)
    asset: str = Field(max_length=16)
    amount_base_units: int = Field(sa_column=Column(BaseUnits(), nullable=False))
    network_fee_base_units: int | None = Field(default=None, sa_column=Column(BaseUnits(), nullable=True))
    status: str = Field(max_length=16)
    tx_hash: str | None = Field(default=None, max_length=80, index=True)
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class PayoutRecordIn(_Record):
    """`{"payout_id": "w-77", "chain": "btc", "player_ref": "p-1842", "to_address": "bc1q…", "asset": "BTC",
    "amount": "0.015", "status": "sent", "tx_hash": "…", "requested_at": "…", "sent_at": "…"}`

    `network_fee` (optional, decimal string): the fee the casino deducts from the amount it pays, so a
    delivery of `amount - network_fee` is the record's amount.
    """

    payout_id: str = PydanticField(min_length=1, max_length=MAX_REF_CHARS)
    player_ref: str = PydanticField(min_length=1, max_length=MAX_REF_CHARS)
    to_address: str = PydanticField(min_length=1, max_length=128)
    asset: str = PydanticField(min_length=1, max_length=16)
    amount: Any = PydanticField(description='decimal string in the asset\'s main unit, e.g. "0.015"')
    network_fee: Any = PydanticField(default=None, description="decimal string; deducted from the amount paid")
    status: PayoutStatus
    tx_hash: str | None = PydanticField(default=None, max_length=80)
    requested_at: datetime
    sent_at: datetime | None = None

    @field_validator("requested_at", "sent_at")
    @classmethod
    def _instant(cls, value: datetime | None) -> datetime | None:
        return None if value is None else checked_instant(value)

    @model_validator(mode="after")
    def _check(self) -> PayoutRecordIn:
        self.asset = self.asset.upper()
        if self.tx_hash is not None and self.tx_hash.strip():
            try:
                self.tx_hash = normalize_tx_hash(self.chain, self.tx_hash)
            except InvalidReference as exc:
                raise ValueError(f"tx_hash: {exc}") from exc
        else:
            self.tx_hash = None
        try:
            self.to_address = _address(self.chain, self.to_address)
        except ValueError as exc:
            raise ValueError(f"to_{exc}") from exc
        for name in ("amount", "network_fee"):
            value = getattr(self, name)
            if value is None and name == "network_fee":
                continue
            try:
                check_decimal_string(value)
            except AmountError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return self


def _base_units(records: Sequence[PayoutRecordIn], assets: AssetRegistry) -> list[tuple[int, int | None]]:
    amounts: list[tuple[int, int | None]] = []
    errors: list[RowError] = []
    for row, record in enumerate(records):
        try:
            asset = assets.require(record.asset, record.chain)
        except AssetError as exc:
            errors.append(RowError(row, "asset", str(exc)))
            continue
        try:
            amount = to_base_units(record.amount, asset.decimals)
            fee = None if record.network_fee is None else to_base_units(record.network_fee, asset.decimals)
        except AmountError as exc:
            errors.append(RowError(row, "amount", str(exc)))
            continue
        if fee is not None and fee > amount:
            errors.append(RowError(row, "network_fee", "is larger than the amount"))
            continue
        amounts.append((amount, fee))
    if errors:
        raise LedgerRecordsError(errors)
    return amounts


def upsert_payouts(
    session: Session, records: Sequence[PayoutRecordIn], assets: AssetRegistry = DEFAULT_ASSETS
) -> UpsertResult:
    """Insert or update by payout_id; the caller commits. Every row is checked before anything is written."""
    amounts = _base_units(records, assets)
    latest = {r.payout_id: (r, a) for r, a in zip(records, amounts, strict=True)}
    existing: dict[str, PayoutRecord] = {}
    for chunk in _chunks(list(latest), _CHUNK):
        rows = session.exec(select(PayoutRecord).where(col(PayoutRecord.payout_id).in_(chunk)))
        existing.update({row.payout_id: row for row in rows})
    now = utcnow()
    new, changed, unchanged = [], [], len(records) - len(latest)
    for payout_id, (record, (amount, fee)) in latest.items():
        values = {
            "chain": record.chain.value,
            "player_ref": record.player_ref,
            "to_address": record.to_address,
            "asset": record.asset,
            "amount_base_units": amount,
            "network_fee_base_units": fee,
            "status": record.status,
            "tx_hash": record.tx_hash,
            "requested_at": record.requested_at,
            "sent_at": record.sent_at,
        }
        row = existing.get(payout_id)
        if row is None:
            new.append({"payout_id": payout_id, "updated_at": now, **values})
        elif any(_differs(getattr(row, name), value) for name, value in values.items()):
            changed.append({"id": row.id, "updated_at": now, **values})
        else:
            unchanged += 1
    _write(session, PayoutRecord, new, changed)
    return UpsertResult(created=len(new), updated=len(changed), unchanged=unchanged)


def as_payout(record: PayoutRecord) -> Payout:
    """The record as the payout decision reads it."""
    return Payout(
        payout_id=record.payout_id,
        chain=Chain(record.chain),
        player_ref=record.player_ref,
        to_address=record.to_address,
        asset=record.asset,
        amount=record.amount_base_units,
        status=record.status,
        requested_at=record.requested_at,
        tx_hash=record.tx_hash,
        sent_at=record.sent_at,
        network_fee=record.network_fee_base_units,
    )


def payout_by_id(session: Session, payout_id: str) -> PayoutRecord | None:
    return session.exec(select(PayoutRecord).where(PayoutRecord.payout_id == payout_id)).first()


_PAYOUTS_FOR_TXS = select(PayoutRecord).where(  # built once (its cache key with it): every lookup asks it
    col(PayoutRecord.chain).in_(bindparam("chains", expanding=True)),
    col(PayoutRecord.tx_hash).in_(bindparam("hashes", expanding=True)),
)


def payout_for_any_tx(session: Session, candidates: list[tuple[Chain, str]]) -> PayoutRecord | None:
    """The payout record that names a tx (a hash a payout record names is judged as that payout): of
    the first (chain, tx hash) candidate that one names, in one query."""
    if not candidates:
        return None
    chains, hashes = sorted({c.value for c, _ in candidates}), sorted({h for _, h in candidates})
    rows = session.exec(_PAYOUTS_FOR_TXS, params={"chains": chains, "hashes": hashes}).all()
    named = {(row.chain, row.tx_hash): row for row in reversed(rows)}  # the first row of each pair, as .first()
    return next((named[(c.value, h)] for c, h in candidates if (c.value, h) in named), None)


def find_payout(
    session: Session,
    *,
    payout_id: str | None = None,
    tx_hash: str | None = None,
    address: str | None = None,
    player_ref: str | None = None,
) -> PayoutRecord | None:
    """The payout a withdrawal question is about: by its id, the hash of its tx, the player's own
    receiving address (latest request), or the player's latest payout."""
    if payout_id:
        found = payout_by_id(session, payout_id)
        if found is not None:
            return found
    if tx_hash:
        bare = tx_hash.lower().removeprefix("0x")
        found = session.exec(
            select(PayoutRecord).where(col(PayoutRecord.tx_hash).in_((bare, "0x" + bare, tx_hash)))
        ).first()
        if found is not None:
            return found
    newest = col(PayoutRecord.requested_at).desc()
    if address:
        found = session.exec(
            select(PayoutRecord).where(col(PayoutRecord.to_address).in_((address, address.lower()))).order_by(newest)
        ).first()
        if found is not None:
            return found
    if player_ref:
        return session.exec(select(PayoutRecord).where(PayoutRecord.player_ref == player_ref).order_by(newest)).first()
    return None


def payout_listing(
    session: Session, *, status: str | None = None, player_ref: str | None = None, limit: int = 100, offset: int = 0
) -> list[PayoutRecord]:
    """Payout records, newest request first, by status and player."""
    query = select(PayoutRecord)
    if status:
        query = query.where(PayoutRecord.status == status)
    if player_ref:
        query = query.where(PayoutRecord.player_ref == player_ref)
    order = (col(PayoutRecord.requested_at).desc(), col(PayoutRecord.id).desc())
    return list(session.exec(query.order_by(*order).offset(offset).limit(limit)))


def payout_json(row: PayoutRecord, assets: AssetRegistry) -> dict[str, Any]:
    """A payout record as JSON: amounts as decimal strings in the asset's main unit."""
    fee = row.network_fee_base_units
    return {
        "payout_id": row.payout_id,
        "chain": row.chain,
        "player_ref": row.player_ref,
        "to_address": row.to_address,
        "asset": row.asset,
        "amount": assets.format(row.amount_base_units, row.asset),
        "network_fee": assets.format(fee, row.asset) if fee is not None else None,
        "status": row.status,
        "tx_hash": row.tx_hash,
        "requested_at": row.requested_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def payouts_to_watch(
    session: Session, chain: Chain, *, since: datetime | None = None, limit: int = 500
) -> list[PayoutRecord]:
    """Approved or sent payouts requested since `since` (the auditor's work list), newest first: a casino's
    records keep delivered payouts as "sent" for good, so the window, not the status, ends the watch."""
    query = select(PayoutRecord).where(
        PayoutRecord.chain == chain.value, col(PayoutRecord.status).in_(("approved", "sent"))
    )
    if since is not None:
        query = query.where(col(PayoutRecord.requested_at) >= since)
    return list(session.exec(query.order_by(col(PayoutRecord.requested_at).desc()).limit(limit)))
