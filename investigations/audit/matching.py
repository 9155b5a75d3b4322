"""A block's transfers against every casino deposit address: one indexed query per block.

The cost grows with the block (its distinct recipients, looked up in chunks against the unique
(chain, address) index of `deposit_addresses`), never with the number of deposit addresses, and
nothing about them is held in memory between blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from chains.blocks import Block
from chains.references import EVM_CHAINS
from investigations.ledger import DepositAddress

CHUNK = 2000  # addresses per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class Matched:
    """What one transaction paid one casino address in one asset, within one block."""

    tx_hash: str
    address: str
    player_ref: str
    asset: str
    amount_base_units: int = 0
    kinds: set[str] = field(default_factory=set)


def casino_owners(session: Session, chain: str, addresses: Iterable[str]) -> dict[str, str]:
    """{address: player_ref} for those of `addresses` that are casino deposit addresses. On an EVM
    network, addresses issued for any EVM network count: the same key controls them there, and a
    payment on BSC to an address issued for Ethereum is the wrong_network case players hit most."""
    wanted = sorted(set(addresses))
    evm = [c.value for c in EVM_CHAINS]
    chains = evm if chain in evm else [chain]
    owners: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(col(DepositAddress.address), col(DepositAddress.player_ref)).where(
                col(DepositAddress.chain).in_(chains), col(DepositAddress.address).in_(wanted[start : start + CHUNK])
            )
        )
        owners.update({address: player for address, player in rows})
    return owners


def match_block(session: Session, block: Block) -> list[Matched]:
    """Per (tx, casino address, asset): the amount the block's transfers paid it."""
    recipients = (t.transfer.to_address for t in block.transfers if t.transfer.to_address)
    owners = casino_owners(session, block.chain.value, recipients)
    if not owners:
        return []
    matched: dict[tuple[str, str, str], Matched] = {}
    for item in block.transfers:
        transfer = item.transfer
        owner = owners.get(transfer.to_address or "")
        if owner is None:
            continue
        key = (item.tx_hash, transfer.to_address or "", transfer.asset)
        entry = matched.setdefault(key, Matched(item.tx_hash, key[1], owner, transfer.asset))
        entry.amount_base_units += transfer.amount_base_units
        entry.kinds.add(transfer.kind.value)
    return list(matched.values())
