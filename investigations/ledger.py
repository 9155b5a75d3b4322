"""The casino's deposit records, as the back office sends them: deposit addresses and deposits.

Records arrive as decimal strings in the asset's main unit and are stored as integer base
units. Upserts are idempotent: the same batch twice changes nothing the second time, and a
batch with one bad row is refused whole (the caller validates every row before writing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import Column, UniqueConstraint, bindparam, insert, update
from sqlmodel import Field, Session, SQLModel, col, select

from chains.assets import DEFAULT_ASSETS, AmountError, AssetError, AssetRegistry, check_decimal_string, to_base_units
from chains.base import Chain, InvalidReference
from chains.references import normalize_address, normalize_tx_hash
from investigations.inputs import MAX_INDEX, UnstorableText, checked_instant, storable
from investigations.types import BaseUnits, UTCDateTime, utcnow

LedgerStatus = Literal["credited", "pending", "rejected"]
_CHUNK = 500


class DepositAddress(SQLModel, table=True):
    __tablename__ = "deposit_addresses"
    __table_args__ = (UniqueConstraint("chain", "address", name="uq_deposit_address"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=8)
    address: str = Field(max_length=128)
    player_ref: str = Field(max_length=128, index=True)
    assets: str = Field(default="", max_length=256)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def asset_list(self) -> list[str]:
        return [a for a in self.assets.split(",") if a]


class LedgerDeposit(SQLModel, table=True):
    __tablename__ = "ledger_deposits"

    id: int | None = Field(default=None, primary_key=True)
    record_key: str = Field(max_length=320, unique=True)
    chain: str = Field(max_length=8)
    tx_hash: str = Field(max_length=80, index=True)
    output_index: int | None = None
    address: str = Field(max_length=128)
    asset: str = Field(max_length=16)
    amount_base_units: int = Field(sa_column=Column(BaseUnits(), nullable=False))
    status: str = Field(max_length=16)
    player_ref: str = Field(max_length=128, index=True)
    credited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    chain: Chain

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        try:
            return storable(value)
        except UnstorableText as exc:
            raise ValueError(str(exc)) from None

    @field_validator("chain", mode="before")
    @classmethod
    def _lower_chain(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class DepositAddressRecord(_Record):
    """`{"chain": "btc", "address": "bc1q…", "player_ref": "p-1842", "assets": ["BTC"]}`

    Without `assets`, the address accepts every asset this deployment accepts on its chain.
    """

    address: str = PydanticField(min_length=1, max_length=128)
    player_ref: str = PydanticField(min_length=1, max_length=128)
    assets: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> DepositAddressRecord:
        self.address = _address(self.chain, self.address)
        if self.assets is not None:
            self.assets = sorted({a.strip().upper() for a in self.assets if a.strip()})
        return self


class LedgerDepositRecord(_Record):
    """`{"chain": "eth", "tx_hash": "0x…", "address": "0x…", "asset": "USDT", "amount": "250", …}`"""

    tx_hash: str = PydanticField(min_length=1, max_length=80)
    address: str = PydanticField(min_length=1, max_length=128)
    asset: str = PydanticField(min_length=1, max_length=16)
    amount: Any = PydanticField(description='decimal string in the asset\'s main unit, e.g. "0.015"')
    status: LedgerStatus
    player_ref: str = PydanticField(min_length=1, max_length=128)
    credited_at: datetime | None = None
    index: int | None = PydanticField(default=None, ge=0, le=MAX_INDEX)

    @field_validator("credited_at")
    @classmethod
    def _instant(cls, value: datetime | None) -> datetime | None:
        return None if value is None else checked_instant(value)

    @model_validator(mode="after")
    def _check(self) -> LedgerDepositRecord:
        self.asset = self.asset.upper()
        try:
            self.tx_hash = normalize_tx_hash(self.chain, self.tx_hash)
        except InvalidReference as exc:
            raise ValueError(f"tx_hash: {exc}") from exc
        self.address = _address(self.chain, self.address)
        try:
            check_decimal_string(self.amount)
        except AmountError as exc:
            raise ValueError(str(exc)) from exc
        return self

    @property
    def record_key(self) -> str:
        index = "*" if self.index is None else str(self.index)
        return f"{self.chain}:{self.tx_hash}:{self.address}:{self.asset}:{index}"


def _address(chain: Chain, text: str) -> str:
    if chain is Chain.TRON and text.strip()[:2].lower() == "0x":  # a lookup may take the 0x form; the ledger not
        raise ValueError("address: a TRON address is T… (or 41… hex), not 0x…: is this row's chain eth?")
    try:
        return normalize_address(chain, text)
    except InvalidReference as exc:
        raise ValueError(f"address: {exc}") from exc


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based position in the batch
    field: str
    reason: str


class LedgerRecordsError(ValueError):
    """Rows that cannot be stored with this deployment's assets; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(f"row {e.row + 1}: {e.field}: {e.reason}" for e in errors[:10]))
        self.errors = errors


def _base_units(records: Sequence[LedgerDepositRecord], assets: AssetRegistry) -> list[int]:
    """Each record's amount in base units, or LedgerRecordsError for every row that has none."""
    amounts: list[int] = []
    errors: list[RowError] = []
    for row, record in enumerate(records):
        try:
            asset = assets.require(record.asset, record.chain)
            amounts.append(to_base_units(record.amount, asset.decimals))
        except AssetError as exc:
            errors.append(RowError(row, "asset", str(exc)))
        except AmountError as exc:
            errors.append(RowError(row, "amount", str(exc)))
    if errors:
        raise LedgerRecordsError(errors)
    return amounts


def _check_assets(records: Sequence[DepositAddressRecord], assets: AssetRegistry) -> None:
    errors = []
    for row, record in enumerate(records):
        for symbol in record.assets or []:
            try:
                assets.require(symbol, record.chain)
            except AssetError as exc:
                errors.append(RowError(row, "assets", str(exc)))
    if errors:
        raise LedgerRecordsError(errors)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def upsert_deposit_addresses(
    session: Session, records: Sequence[DepositAddressRecord], assets: AssetRegistry = DEFAULT_ASSETS
) -> UpsertResult:
    """Insert or update by (chain, address); the caller commits. Checks every row before writing."""
    _check_assets(records, assets)
    latest = {(r.chain.value, r.address): r for r in records}
    existing: dict[tuple[str, str], DepositAddress] = {}
    for chunk in _chunks([address for _, address in latest], _CHUNK):
        rows = session.exec(select(DepositAddress).where(col(DepositAddress.address).in_(chunk)))
        existing.update({(row.chain, row.address): row for row in rows})
    now = utcnow()
    new, changed, unchanged = [], [], len(records) - len(latest)
    for (chain, address), record in latest.items():
        values = {"player_ref": record.player_ref, "assets": ",".join(record.assets or [])}
        row = existing.get((chain, address))
        if row is None:
            new.append({"chain": chain, "address": address, "created_at": now, "updated_at": now, **values})
        elif (row.player_ref, row.assets) != (values["player_ref"], values["assets"]):
            changed.append({"id": row.id, "updated_at": now, **values})
        else:
            unchanged += 1
    _write(session, DepositAddress, new, changed)
    return UpsertResult(created=len(new), updated=len(changed), unchanged=unchanged)


def upsert_deposits(
    session: Session, records: Sequence[LedgerDepositRecord], assets: AssetRegistry = DEFAULT_ASSETS
) -> UpsertResult:
    """Insert or update by (chain, tx_hash, address, asset, index); the caller commits.
    Every row is checked before anything is written."""
    amounts = _base_units(records, assets)
    latest = {r.record_key: (r, amount) for r, amount in zip(records, amounts, strict=True)}
    existing: dict[str, LedgerDeposit] = {}
    for chunk in _chunks(list(latest), _CHUNK):
        rows = session.exec(select(LedgerDeposit).where(col(LedgerDeposit.record_key).in_(chunk)))
        existing.update({row.record_key: row for row in rows})
    now = utcnow()
    new, changed, unchanged = [], [], len(records) - len(latest)
    for key, (record, amount) in latest.items():
        values = {
            "amount_base_units": amount,
            "status": record.status,
            "player_ref": record.player_ref,
            "credited_at": record.credited_at,
        }
        row = existing.get(key)
        if row is None:
            new.append(
                {
                    "record_key": key,
                    "chain": record.chain.value,
                    "tx_hash": record.tx_hash,
                    "output_index": record.index,
                    "address": record.address,
                    "asset": record.asset,
                    "updated_at": now,
                    **values,
                }
            )
        elif any(_differs(getattr(row, field), value) for field, value in values.items()):
            changed.append({"id": row.id, "updated_at": now, **values})
        else:
            unchanged += 1
    _write(session, LedgerDeposit, new, changed)
    return UpsertResult(created=len(new), updated=len(changed), unchanged=unchanged)


def _write(session: Session, model: Any, new: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
    """Bulk INSERT of new rows and bulk UPDATE by primary key of changed ones."""
    if new:
        session.execute(insert(model), new)
    if changed:
        session.execute(update(model), changed)
    if new or changed:
        session.expire_all()


def _differs(stored: Any, incoming: Any) -> bool:
    if isinstance(stored, datetime) and isinstance(incoming, datetime):
        return stored != (incoming if incoming.tzinfo else incoming.replace(tzinfo=stored.tzinfo))
    return bool(stored != incoming)


# The queries every lookup makes, built once: SQLAlchemy keeps a statement's cache key with it, so a
# statement built again at each call is keyed again (most of a small query's CPU).
_ADDRESSES_ON_CHAINS = select(DepositAddress).where(
    col(DepositAddress.chain).in_(bindparam("chains", expanding=True)),
    col(DepositAddress.address).in_(bindparam("addresses", expanding=True)),
)
_DEPOSITS_ON_CHAINS = (
    select(LedgerDeposit)
    .where(
        col(LedgerDeposit.chain).in_(bindparam("chains", expanding=True)),
        LedgerDeposit.tx_hash == bindparam("tx_hash"),
    )
    .order_by(col(LedgerDeposit.id))
)


def addresses_among(session: Session, chain: Chain, addresses: Iterable[str]) -> dict[str, DepositAddress]:
    """Which of these addresses are casino deposit addresses, by address."""
    return addresses_on_chains(session, [chain], addresses).get(chain, {})


def addresses_on_chains(
    session: Session, chains: Iterable[Chain], addresses: Iterable[str]
) -> dict[Chain, dict[str, DepositAddress]]:
    """`addresses_among` on several chains in one query (an EVM address is the same on every EVM
    network): by chain, then by address; a chain with none of them is absent."""
    wanted = sorted({a for a in addresses if a})
    names = sorted({chain.value for chain in chains})
    found: dict[Chain, dict[str, DepositAddress]] = {}
    for chunk in _chunks(wanted, _CHUNK):
        for row in session.exec(_ADDRESSES_ON_CHAINS, params={"chains": names, "addresses": chunk}):
            found.setdefault(Chain(row.chain), {})[row.address] = row
    return found


def deposits_for_tx(session: Session, chain: Chain, tx_hash: str) -> list[LedgerDeposit]:
    return deposits_for_tx_on(session, [chain], tx_hash)[chain]


def deposits_for_tx_on(session: Session, chains: Iterable[Chain], tx_hash: str) -> dict[Chain, list[LedgerDeposit]]:
    """`deposits_for_tx` on each of several chains (the EVM networks a hash may be on) in one query;
    every chain asked is a key, with no rows when the ledger has none."""
    asked = list(dict.fromkeys(chains))
    found: dict[Chain, list[LedgerDeposit]] = {chain: [] for chain in asked}
    params = {"chains": [chain.value for chain in asked], "tx_hash": tx_hash}
    for row in session.exec(_DEPOSITS_ON_CHAINS, params=params):
        found[Chain(row.chain)].append(row)
    return found


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
