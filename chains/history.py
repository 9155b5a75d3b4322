"""Address history: which transactions paid an address, in one shape for every provider.

A provider lists what it can index and says plainly what it cannot: Bitcoin Core has no address
index without a wallet, a plain Ethereum node has none for ETH value at all (only logs). Those
answers are `HistoryUnsupported` (a `ProviderLimitation`: the pool asks the next provider and no
breaker counts it). A log query over too many blocks or results is `RangeTooLarge`: the caller
halves the range and asks again.

Kinds of payment, as searched or not (the same words as `TransferKind`):
``output`` (BTC outputs), ``native`` (ETH sent directly), ``internal`` (ETH forwarded by a
contract), ``token`` (ERC-20 Transfer logs of the configured token contracts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from chains.base import Chain, ChainTx, ProviderLimitation
from chains.http import ContextPool

T = TypeVar("T")
MAX_SIDE_BY_SIDE = 8  # listing calls in flight for one search of one chain (the pool's limits still apply)

KIND_WORDS = {
    "output": "BTC payments",
    "native": "ETH sent directly",
    "internal": "ETH forwarded by contracts",
    "token": "ERC-20 tokens",
    "trx": "TRX sent directly",  # TRON (issue 24)
    "trc20": "TRC-20 tokens",
}
KINDS: dict[Chain, tuple[str, ...]] = {
    Chain.BTC: ("output",),
    **dict.fromkeys(
        (Chain.ETH, Chain.BSC, Chain.POLYGON, Chain.ARBITRUM, Chain.BASE, Chain.OPTIMISM),
        ("native", "internal", "token"),
    ),
    Chain.TRON: ("trx", "trc20"),
}


def side_by_side(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run listing calls (each one or more pool requests in turn) side by side; their answers in
    the calls' order, so what is listed never depends on which provider answered first. The
    calls run in a pool of their own: they wait on the provider pool's threads, never beside them."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ContextPool(max_workers=min(len(calls), MAX_SIDE_BY_SIDE), thread_name_prefix="listing") as executor:
        futures = [executor.submit(call) for call in calls]
        return [future.result() for future in futures]


class HistoryUnsupported(ProviderLimitation):
    """The provider cannot list an address's transactions (of this kind): ask another one."""


class RangeTooLarge(ProviderLimitation):
    """The provider refused a log query as too wide (blocks or results): halve it and ask again."""


@dataclass(frozen=True)
class Payment:
    """One amount that reached the address, as far as the listing shows it (hints, not verdicts)."""

    asset: str
    amount_base_units: int
    kind: str


@dataclass
class AddressTx:
    """A transaction touching an address: where and when it is, and what it paid there if known."""

    chain: Chain
    tx_hash: str
    address: str
    block_height: int | None  # None: in the mempool
    timestamp: datetime | None = None
    payments: list[Payment] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    # The whole tx, when the listing describes it completely (Esplora lists every tx in full): its
    # confirmations are not counted yet (0); the search counts them from the chain's tip.
    tx: ChainTx | None = None
    provider: str | None = None  # who listed it
    # `tx` holds only what this listing saw of it (an ERC-20 Transfer log: block, token, amount, no
    # receipt): the search judges it from that when every listing of the tx is such a log.
    partial: bool = False

    def merge(self, other: AddressTx) -> None:
        """The same tx found by another listing (e.g. its ETH value and its token log)."""
        if self.tx is not None and other.tx is not None and self.partial and other.partial:
            known = {t.index for t in self.tx.transfers}
            self.tx.transfers += [t for t in other.tx.transfers if t.index not in known]
        elif self.tx is None or (self.partial and not other.partial and other.tx is not None):
            self.tx, self.provider, self.partial = other.tx, other.provider, other.partial
        known = set(self.payments)
        self.payments += [p for p in other.payments if p not in known]
        self.kinds |= other.kinds
        self.block_height = self.block_height if self.block_height is not None else other.block_height
        self.timestamp = self.timestamp or other.timestamp


@dataclass
class HistoryPage:
    """One page of an address listing; `cursor` asks for the next (older) page, None at the end."""

    txs: list[AddressTx]
    cursor: str | None = None
    covers: tuple[str, ...] = ()  # kinds this listing covers, when the provider lists several at once


@dataclass
class Listing:
    """What one search of one chain found, what it covered, and what it could not."""

    txs: list[AddressTx] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)  # kinds fully searched over the window
    not_searched: dict[str, str] = field(default_factory=dict)  # kind -> why not
    truncated: bool = False  # stopped at the listing cap: older txs in the window were not listed
    providers: list[str] = field(default_factory=list)
    # EVM: the head the window was mapped from and the finalized block beside it (one request):
    # the listed txs' confirmations and finality are counted from them.
    head: int | None = None
    finalized: int | None = None

    def add(self, found: AddressTx) -> None:
        for tx in self.txs:
            if tx.tx_hash == found.tx_hash and tx.address == found.address:
                tx.merge(found)
                return
        self.txs.append(found)

    def covered(self, kind: str, provider: str) -> None:
        if kind not in self.searched:
            self.searched.append(kind)
        self.not_searched.pop(kind, None)
        if provider not in self.providers:
            self.providers.append(provider)

    def missing(self, kind: str, reason: str) -> None:
        if kind not in self.searched:
            self.not_searched[kind] = reason
