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

from dataclasses import dataclass, field
from datetime import datetime

from chains.base import Chain, ChainTx, ProviderLimitation

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

    def merge(self, other: AddressTx) -> None:
        """The same tx found by another listing (e.g. its ETH value and its token log)."""
        self.tx, self.provider = (self.tx, self.provider) if self.tx is not None else (other.tx, other.provider)
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
