"""What the provider pool asks, and when it has its answer: how many more answers it needs, and
whether the answers still in flight must be heard before the answer is given.

Decisions never depend on the order the answers arrive in: a question that two providers may
answer differently (a tx a lagging provider does not know yet, a block one provider no longer has)
is decided from every answer the pool heard, and the pool hears every provider it asked at once
before it answers such a question (bounded; see `ProviderPool._hear`).
"""

from __future__ import annotations

from typing import Any, Protocol

from chains.base import ChainTx, TxStatus


class Question(Protocol):
    answers: list[tuple[str, str, str]]  # (provider, answer, detail), in the order they came

    @property
    def decided(self) -> bool: ...

    @property
    def hear_all(self) -> bool:
        """Whether the providers still answering must be heard before the answer is given."""
        ...

    def needed(self) -> int:
        """How many providers should be asked at once now (at least one)."""
        ...

    def take(self, provider: str, result: Any) -> None: ...

    def note(self, provider: str, answer: str, detail: str = "") -> None: ...


class TxQuorum:
    """A tx lookup: a provider that knows the tx decides; "unknown" needs `quorum` votes.

    While the tx is in the mempool or in a recent block (fewer than `settled_depth`
    confirmations), every provider asked is heard: one that does not know it, or puts it in
    another block, makes it disputed, whichever answered first. Of several providers that know
    the tx, the answer used is the first in the configured `order` that has it in a block."""

    def __init__(self, quorum: int, *, settled_depth: int = 6, order: dict[str, int] | None = None) -> None:
        self.quorum = quorum
        self.settled_depth = settled_depth
        self.order = order or {}
        self.founds: list[tuple[str, ChainTx]] = []
        self.not_found = 0
        self.answers: list[tuple[str, str, str]] = []

    @property
    def found(self) -> ChainTx | None:
        if not self.founds:
            return None
        ranked = sorted(
            self.founds,
            key=lambda f: (f[1].status is TxStatus.MEMPOOL, self.order.get(f[0], len(self.order))),
        )
        return ranked[0][1]

    @property
    def decided(self) -> bool:
        return bool(self.founds) or self.not_found >= self.quorum

    @property
    def hear_all(self) -> bool:
        tx = self.found
        return tx is not None and self._recent(tx)

    @property
    def disputed(self) -> bool:
        """A provider did not know a recent tx another one found, or put it elsewhere."""
        tx = self.found
        if tx is None or not self._recent(tx):
            return False
        if tx.status is not TxStatus.MEMPOOL and self.not_found:
            return True
        places = {(f.status is TxStatus.MEMPOOL, f.block_hash) for _, f in self.founds}
        return len(places) > 1

    def needed(self) -> int:
        return max(1, self.quorum - self.not_found)

    def take(self, provider: str, result: Any) -> None:
        tx: ChainTx = result
        self.note(provider, str(tx.status))
        if tx.status is TxStatus.NOT_FOUND:
            self.not_found += 1
        else:
            self.founds.append((provider, tx))

    def note(self, provider: str, answer: str, detail: str = "") -> None:
        self.answers.append((provider, answer, detail))

    def _recent(self, tx: ChainTx) -> bool:
        return tx.status is TxStatus.MEMPOOL or tx.confirmations < self.settled_depth


class FirstAnswer:
    """Any other question: the first provider that answers at all decides."""

    hear_all = False

    def __init__(self) -> None:
        self.result: Any = None
        self.has_result = False
        self.answers: list[tuple[str, str, str]] = []

    @property
    def decided(self) -> bool:
        return self.has_result

    def needed(self) -> int:
        return 1

    def take(self, provider: str, result: Any) -> None:
        if not self.has_result:
            self.result, self.has_result = result, True
        self.note(provider, "answered")

    def note(self, provider: str, answer: str, detail: str = "") -> None:
        self.answers.append((provider, answer, detail))


class Agreement(FirstAnswer):
    """A yes/no question providers may answer differently (is this block still in the main chain?):
    the providers asked are all heard, and when they disagree the answer is None (cannot say)."""

    hear_all = True

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def take(self, provider: str, result: Any) -> None:
        self.results.append(result)
        self.has_result = True
        self.result = result if all(r == result for r in self.results) else None
        self.note(provider, "answered", str(result))
