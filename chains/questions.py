"""What the provider pool asks, and when it has its answer: how many more answers it needs."""

from __future__ import annotations

from typing import Any, Protocol

from chains.base import ChainTx, TxStatus


class Question(Protocol):
    answers: list[tuple[str, str, str]]  # (provider, answer, detail), in the order they came

    @property
    def decided(self) -> bool: ...

    def needed(self) -> int:
        """How many providers should be asked at once now (at least one)."""
        ...

    def take(self, provider: str, result: Any) -> None: ...

    def note(self, provider: str, answer: str, detail: str = "") -> None: ...


class TxQuorum:
    """A tx lookup: the first provider that knows the tx decides; "unknown" needs `quorum` votes."""

    def __init__(self, quorum: int) -> None:
        self.quorum = quorum
        self.found: ChainTx | None = None
        self.not_found = 0
        self.answers: list[tuple[str, str, str]] = []

    @property
    def decided(self) -> bool:
        return self.found is not None or self.not_found >= self.quorum

    def needed(self) -> int:
        return max(1, self.quorum - self.not_found)

    def take(self, provider: str, result: Any) -> None:
        tx: ChainTx = result
        self.note(provider, str(tx.status))
        if tx.status is TxStatus.NOT_FOUND:
            self.not_found += 1
        elif self.found is None:
            self.found = tx

    def note(self, provider: str, answer: str, detail: str = "") -> None:
        self.answers.append((provider, answer, detail))


class FirstAnswer:
    """Any other question: the first provider that answers at all decides."""

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
