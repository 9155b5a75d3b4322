"""Several providers per chain: ask in order, fail over, and never call a tx unknown on the
word of a single provider when a second one is configured."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from chains.base import ChainAdapter, ChainError, ChainTx, Outpoint, Spend, Transfer, TxStatus

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ProviderAnswer:
    provider: str
    answer: str  # "confirmed", "mempool", "not_found" or "error"
    detail: str = ""


@dataclass
class Lookup:
    outcome: Outcome
    tx: ChainTx | None
    answers: list[ProviderAnswer] = field(default_factory=list)


class ProviderPool:
    """An ordered list of adapters for one chain."""

    def __init__(self, adapters: list[ChainAdapter]) -> None:
        if not adapters:
            raise ValueError("a provider pool needs at least one provider")
        self.adapters = adapters
        self.chain = adapters[0].chain
        # "Not found" is only believed when this many providers say so (all of them, up to two).
        self.not_found_quorum = min(2, len(adapters))

    def lookup(self, tx_hash: str) -> Lookup:
        answers: list[ProviderAnswer] = []
        for adapter in self.adapters:
            try:
                tx = adapter.get_tx(tx_hash)
            except ChainError as exc:
                log.warning("provider %s failed for %s: %s", adapter.name, tx_hash, exc)
                answers.append(ProviderAnswer(adapter.name, "error", str(exc)))
                continue
            answers.append(ProviderAnswer(adapter.name, str(tx.status)))
            if tx.status is not TxStatus.NOT_FOUND:
                return Lookup(Outcome.FOUND, tx, answers)
        not_found = sum(1 for a in answers if a.answer == TxStatus.NOT_FOUND)
        if not_found >= self.not_found_quorum:
            return Lookup(Outcome.NOT_FOUND, None, answers)
        return Lookup(Outcome.UNAVAILABLE, None, answers)

    def spend_of(self, outpoint: Outpoint) -> Spend | None:
        """Who spent an outpoint, from the first provider that can say; None if none can."""
        for adapter in self.adapters:
            try:
                return adapter.spend_of(outpoint)
            except ChainError as exc:
                log.warning("provider %s failed for outspend %s: %s", adapter.name, outpoint, exc)
        return None

    def trace(self, tx_hash: str) -> list[Transfer] | None:
        """Internal transfers from the first provider that can trace; None if none can."""
        for adapter in self.adapters:
            trace = getattr(adapter, "trace", None)
            if trace is None:
                continue
            try:
                return list(trace(tx_hash))
            except ChainError as exc:
                log.info("provider %s cannot trace %s: %s", adapter.name, tx_hash, exc)
        return None
