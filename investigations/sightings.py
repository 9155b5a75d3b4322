"""What we have seen of each transaction, over time: the cache of settled chain facts and the
history that lets a later look say "was confirmed in block X, now reorged"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from chains.base import Chain, ChainTx, TxStatus, tx_from_json, tx_to_json
from investigations.types import UTCDateTime, utcnow


class TxSighting(SQLModel, table=True):
    __tablename__ = "tx_sightings"
    __table_args__ = (UniqueConstraint("chain", "tx_hash", name="uq_tx_sighting"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=8)
    tx_hash: str = Field(max_length=80)
    status: str = Field(max_length=16)
    block_height: int | None = None
    block_hash: str | None = Field(default=None, max_length=80)
    confirmations: int = 0
    settled: bool = False
    trace: str = Field(default="not_needed", max_length=16)  # not_needed | done | unavailable
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def tx(self) -> ChainTx:
        return tx_from_json(self.facts)

    @property
    def was_confirmed(self) -> bool:
        return self.block_hash is not None


def load(session: Session, chain: Chain, tx_hash: str) -> TxSighting | None:
    return session.exec(
        select(TxSighting).where(TxSighting.chain == chain.value, TxSighting.tx_hash == tx_hash)
    ).first()


_SIGHTINGS_OF = select(TxSighting).where(  # built once (its cache key with it): every lookup asks it
    col(TxSighting.chain).in_(bindparam("chains", expanding=True)),
    col(TxSighting.tx_hash).in_(bindparam("hashes", expanding=True)),
)


def load_each(session: Session, chains: list[Chain], tx_hash: str) -> dict[Chain, TxSighting | None]:
    """`load` of one hash on each of `chains`, in one query."""
    found = load_all(session, [(chain, tx_hash) for chain in chains])
    return {chain: found.get((chain, tx_hash)) for chain in chains}


def load_all(session: Session, pairs: list[tuple[Chain, str]]) -> dict[tuple[Chain, str], TxSighting]:
    """`load` of each (chain, tx hash), in one query; a pair never seen is left out."""
    if not pairs:
        return {}
    wanted = {(chain.value, tx_hash): (chain, tx_hash) for chain, tx_hash in pairs}
    chains, hashes = sorted({chain for chain, _ in wanted}), sorted({tx_hash for _, tx_hash in wanted})
    rows = session.exec(_SIGHTINGS_OF, params={"chains": chains, "hashes": hashes}).all()
    return {wanted[(row.chain, row.tx_hash)]: row for row in reversed(rows) if (row.chain, row.tx_hash) in wanted}


def record_seen(
    session: Session, sighting: TxSighting | None, tx: ChainTx, *, now: datetime, settled: bool, trace: str
) -> TxSighting:
    """Remember what the chain says now; a change of status or block is added to the history."""
    if sighting is None:
        sighting = TxSighting(  # every field given: a default factory costs pydantic a signature() each time
            chain=tx.chain.value,
            tx_hash=tx.tx_hash,
            status=tx.status.value,
            facts={},
            history=[],
            first_seen_at=now,
            last_seen_at=now,
        )
    entry = _entry(now, tx.status.value, tx.block_height, tx.block_hash, tx.confirmations, tx.providers)
    if not sighting.history or _changed(sighting.history[-1], entry):
        sighting.history = [*sighting.history, entry]
    sighting.status = tx.status.value
    if tx.status is not TxStatus.MEMPOOL:
        sighting.block_height, sighting.block_hash = tx.block_height, tx.block_hash
    else:
        sighting.block_height = sighting.block_hash = None
    sighting.confirmations = tx.confirmations
    sighting.settled = settled
    sighting.trace = trace
    sighting.facts = tx_to_json(tx)
    sighting.last_seen_at = now
    session.add(sighting)
    return sighting


def _insert(session: Session, tx: ChainTx, now: datetime) -> TxSighting:
    """A new sighting, or the one a concurrent first look at the same tx has just written."""
    fresh = TxSighting(
        chain=tx.chain.value,
        tx_hash=tx.tx_hash,
        status=tx.status.value,
        facts=tx_to_json(tx),
        history=[],
        first_seen_at=now,
        last_seen_at=now,
    )
    try:
        with session.begin_nested():
            session.add(fresh)
    except IntegrityError:
        existing = load(session, tx.chain, tx.tx_hash)
        assert existing is not None
        return existing
    return fresh


def record_gone(session: Session, sighting: TxSighting, *, now: datetime, status: str) -> TxSighting:
    """The tx is no longer where we saw it (`not_found`, `reorged`, `dropped`, `replaced`)."""
    entry = _entry(now, status, None, None, 0, [])
    if _changed(sighting.history[-1] if sighting.history else {}, entry):
        sighting.history = [*sighting.history, entry]
    sighting.status = status
    sighting.settled = False
    if status != "not_found":
        sighting.block_height = sighting.block_hash = None
    session.add(sighting)
    return sighting


def _entry(
    now: datetime, status: str, height: int | None, block: str | None, confirmations: int, providers: list[str]
) -> dict[str, Any]:
    return {
        "at": now.isoformat(),
        "status": status,
        "block_height": height,
        "block_hash": block,
        "confirmations": confirmations,
        "providers": providers,
    }


def _changed(previous: dict[str, Any], entry: dict[str, Any]) -> bool:
    return (previous.get("status"), previous.get("block_hash")) != (entry["status"], entry["block_hash"])
