"""Whole blocks, for the deposit auditor: what a block paid, in the normalized `Transfer` shape.

A `BlockSource` reads consecutive blocks of one chain from one provider; `BlockSources` asks
several in order and fails over on a `ChainError`. Each block carries its parent's hash, so the
follower can tell a reorg, and says which kinds of transfer its provider could not cover (an
Ethereum node without a tracing API cannot show value moved by contracts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from chains.base import Chain, ChainError, ProviderBadResponse, Transfer

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class BlockTransfer:
    tx_hash: str
    transfer: Transfer


@dataclass
class Block:
    chain: Chain
    height: int
    block_hash: str
    parent_hash: str
    timestamp: datetime | None
    transfers: list[BlockTransfer] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # kinds of transfer this provider could not read
    provider: str = ""


class BlockSource(Protocol):
    """One provider's view of a chain's blocks."""

    name: str
    chain: Chain

    def tip_height(self) -> int: ...

    def block_hash(self, height: int) -> str | None:
        """The main chain's block at `height` (None above the tip)."""
        ...

    def blocks(self, start: int, count: int) -> list[Block]:
        """Consecutive main-chain blocks from `start` (fewer if the tip is nearer)."""
        ...


def check_consecutive(blocks: list[Block], provider: str) -> None:
    """Blocks of one answer must form a chain: a provider that reorgs mid-answer is asked again."""
    for previous, block in zip(blocks, blocks[1:], strict=False):
        if block.height != previous.height + 1 or block.parent_hash != previous.block_hash:
            raise ProviderBadResponse(
                f"{provider}: block {block.height} does not follow block {previous.height} (reorg while reading?)",
                provider=provider,
            )


class BlockSources:
    """Several block sources of one chain, asked in order; the first that answers wins."""

    def __init__(self, sources: list[BlockSource]) -> None:
        if not sources:
            raise ValueError("a chain needs at least one block source")
        self.sources = sources
        self.chain = sources[0].chain
        self.name = ",".join(s.name for s in sources)

    def tip_height(self) -> int:
        return self._first(lambda s: s.tip_height())

    def block_hash(self, height: int) -> str | None:
        return self._first(lambda s: s.block_hash(height))

    def blocks(self, start: int, count: int) -> list[Block]:
        return self._first(lambda s: s.blocks(start, count))

    def _first(self, call: Callable[[BlockSource], T]) -> T:
        errors: list[ChainError] = []
        for source in self.sources:
            try:
                return call(source)
            except ChainError as exc:
                log.warning("block source %s failed: %s", source.name, exc)
                errors.append(exc)
        raise errors[-1]
