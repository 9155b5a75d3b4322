"""Helpers to load deposit addresses and ledger rows, and to make real mainnet addresses."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from chains.assets import DEFAULT_ASSETS
from chains.bitcoin.bech32 import encode_segwit
from investigations.ledger import (
    DepositAddressRecord,
    LedgerDepositRecord,
    upsert_deposit_addresses,
    upsert_deposits,
)


def address(label: str, kind: str = "p2wpkh") -> str:
    """A real, valid mainnet address derived from a label (nobody holds its key)."""
    digest = hashlib.sha256(label.encode()).digest()
    if kind == "p2tr":
        return encode_segwit("bc", 1, digest)
    return encode_segwit("bc", 0, digest[:20])


def add_addresses(session: Session, *pairs: tuple[str, str]) -> None:
    """(address, player_ref) pairs become casino deposit addresses."""
    records = [DepositAddressRecord(chain="btc", address=a, player_ref=p) for a, p in pairs]
    upsert_deposit_addresses(session, records)
    session.commit()


def add_deposit(
    session: Session, txid: str, to: str, amount: str, player: str, status: str = "credited", index: int | None = None
) -> None:
    record = LedgerDepositRecord(
        chain="btc", tx_hash=txid, address=to, asset="BTC", amount=amount, status=status, player_ref=player, index=index
    )
    upsert_deposits(session, [record])
    session.commit()


def add_addresses_on(session: Session, chain: str, *pairs: tuple[str, str], assets: list[str] | None = None) -> None:
    records = [DepositAddressRecord(chain=chain, address=a, player_ref=p, assets=assets) for a, p in pairs]
    upsert_deposit_addresses(session, records, DEFAULT_ASSETS)
    session.commit()


def add_deposit_on(
    session: Session,
    chain: str,
    tx_hash: str,
    to: str,
    asset: str,
    amount: str,
    player: str,
    status: str = "credited",
    index: int | None = None,
) -> None:
    record = LedgerDepositRecord(
        chain=chain,
        tx_hash=tx_hash,
        address=to,
        asset=asset,
        amount=amount,
        status=status,
        player_ref=player,
        index=index,
    )
    upsert_deposits(session, [record], DEFAULT_ASSETS)
    session.commit()
