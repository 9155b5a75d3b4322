"""A chain follower: the next blocks after the cursor, matched and stored with the cursor's move in
one transaction per block (a restart resumes exactly after the last finished block: no gap, no
block twice). Each block's parent must be the cursor's block; when it is not, the follower walks
back along the blocks it kept to the fork point, withdraws what it matched in the orphaned blocks,
and scans the new branch from there on its next step."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete
from sqlmodel import Session, col, select

from chains.base import Chain, ProviderBadResponse
from chains.blocks import Block
from investigations.audit import cursors, findings
from investigations.audit.matching import match_block
from investigations.audit.models import AuditBlock, AuditPayment
from investigations.types import utcnow

log = logging.getLogger(__name__)


class Blocks(Protocol):
    def tip_height(self) -> int: ...
    def block_hash(self, height: int) -> str | None: ...
    def blocks(self, start: int, count: int) -> list[Block]: ...


class DeepReorg(Exception):
    """The fork point is older than every block the follower kept: it needs a person."""


@dataclass
class Step:
    scanned: int = 0
    matched: int = 0
    tip: int | None = None
    reorged_to: int | None = None  # the fork point, when the step found a reorg
    withdrawn: int = 0


@dataclass
class Follower:
    chain: Chain
    source: Blocks
    owner: str
    batch: int = 10  # blocks read per provider round
    trail: int = 200  # blocks kept to walk back along on a reorg
    start_height: int | None = None  # where a chain without a cursor starts (default: the tip)
    clock: Callable[[], datetime] = utcnow
    lease: timedelta | None = None  # renewed with each block, so a long catch-up keeps it

    def step(self, session: Session, *, max_blocks: int | None = None) -> Step:
        """Follow up to `max_blocks` (default one batch); needs the lease, raises LeaseLost without it."""
        result = Step(tip=self.source.tip_height())
        row = cursors.cursor(session, self.chain)
        if row.height is None:
            start = result.tip if self.start_height is None else min(self.start_height, result.tip)
            parent = self.source.block_hash(start - 1) if start > 0 else None
            cursors.move(session, self.chain, self.owner, now=self.clock(), height=start - 1, block_hash=parent)
            if parent is not None:  # the trail starts with it, so a reorg of every block scanned has a fork point
                session.add(AuditBlock(chain=self.chain.value, height=start - 1, block_hash=parent, parent_hash=""))
            session.commit()
            row = cursors.cursor(session, self.chain)
        height, block_hash = row.height, row.block_hash
        assert height is not None
        cursors.move(session, self.chain, self.owner, now=self.clock(), tip_height=result.tip)
        session.commit()
        wanted = min(max_blocks or self.batch, result.tip - height)
        while wanted > 0:
            blocks = self.source.blocks(height + 1, min(self.batch, wanted))
            if not blocks:
                break
            if blocks[0].height != height + 1:
                raise ProviderBadResponse(f"asked for block {height + 1}, got {blocks[0].height}", provider="blocks")
            if block_hash is not None and blocks[0].parent_hash != block_hash:
                if result.reorged_to is not None:
                    return result  # the provider is still switching branches: try again next step
                result.reorged_to, result.withdrawn = self._unwind(session, height)
                row = cursors.cursor(session, self.chain)
                height, block_hash = row.height or 0, row.block_hash
                wanted = min(max_blocks or self.batch, result.tip - height)
                continue
            for block in blocks:
                result.matched += self._store(session, block)
                height, block_hash = block.height, block.block_hash
                result.scanned += 1
            wanted -= len(blocks)
        return result

    def _store(self, session: Session, block: Block) -> int:
        """The block's payments, its trail entry and the cursor's move: one transaction."""
        matched = store_payments(session, block, now=self.clock())
        session.add(
            AuditBlock(
                chain=self.chain.value, height=block.height, block_hash=block.block_hash, parent_hash=block.parent_hash
            )
        )
        session.execute(
            delete(AuditBlock).where(
                col(AuditBlock.chain) == self.chain.value, col(AuditBlock.height) <= block.height - self.trail
            )
        )
        row = cursors.cursor(session, self.chain)
        cursors.move(
            session,
            self.chain,
            self.owner,
            now=self.clock(),
            height=block.height,
            block_hash=block.block_hash,
            blocks_scanned=row.blocks_scanned + 1,
            uncovered="; ".join(block.uncovered)[:500],
            **({"lease_until": self.clock() + self.lease} if self.lease else {}),
        )
        session.commit()
        return matched

    def _unwind(self, session: Session, height: int) -> tuple[int, int]:
        """Walk back to the last kept block still in the main chain; withdraw what came after it."""
        kept = session.exec(
            select(AuditBlock).where(AuditBlock.chain == self.chain.value).order_by(col(AuditBlock.height).desc())
        ).all()
        fork = next((b for b in kept if self.source.block_hash(b.height) == b.block_hash), None)
        if fork is None:
            raise DeepReorg(f"{self.chain.value}: no kept block below {height} is in the main chain any more")
        orphaned = [b.block_hash for b in kept if b.height > fork.height]
        withdrawn = findings.withdraw(session, self.chain, orphaned, now=self.clock())
        session.execute(
            delete(AuditBlock).where(col(AuditBlock.chain) == self.chain.value, col(AuditBlock.height) > fork.height)
        )
        cursors.move(session, self.chain, self.owner, now=self.clock(), height=fork.height, block_hash=fork.block_hash)
        session.commit()
        log.warning("%s: reorg back to block %s; %s payment(s) withdrawn", self.chain.value, fork.height, withdrawn)
        return fork.height, withdrawn


def store_payments(session: Session, block: Block, *, now: datetime) -> int:
    """Add the block's matched payments not stored yet (a backfill may cover a block twice)."""
    matched = match_block(session, block)
    if not matched:
        return 0
    known = set(
        session.exec(
            select(AuditPayment.tx_hash, AuditPayment.address, AuditPayment.asset).where(
                AuditPayment.chain == block.chain.value, AuditPayment.block_hash == block.block_hash
            )
        ).all()
    )
    added = 0
    for entry in matched:
        if (entry.tx_hash, entry.address, entry.asset) in known:
            continue
        session.add(
            AuditPayment(
                chain=block.chain.value,
                tx_hash=entry.tx_hash,
                block_height=block.height,
                block_hash=block.block_hash,
                block_time=block.timestamp,
                address=entry.address,
                player_ref=entry.player_ref,
                asset=entry.asset,
                amount_base_units=entry.amount_base_units,
                kinds=",".join(sorted(entry.kinds)),
                matched_at=now,
            )
        )
        added += 1
    return added
