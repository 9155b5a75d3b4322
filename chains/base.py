"""The normalized chain fact and the errors every adapter speaks.

Exception tree (one root for the package)::

    ChainError
    ├── InvalidReference          the hash or address itself is malformed / of another network
    │   ├── InvalidTxHash
    │   └── InvalidAddress
    └── ProviderError             a provider could not give a trustworthy answer
        ├── ProviderUnavailable   timeout, refused connection, 5xx, 429
        └── ProviderBadResponse   an answer we cannot trust (malformed, contradicts itself)

Every upstream exception (requests, json, bitcoinlib) is turned into one of these where it
enters, with ``raise ... from exc``; callers above this package catch only ``ChainError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class ChainError(Exception):
    """Root of every error raised by `chains`."""

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class InvalidReference(ChainError):
    """A hash or an address that no supported chain accepts."""


class InvalidTxHash(InvalidReference):
    pass


class InvalidAddress(InvalidReference):
    pass


class ProviderError(ChainError):
    """A provider failed; keeps the provider's name and what it said."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        raw: Any = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message, user_message=user_message)
        self.provider = provider
        self.raw = raw


class ProviderUnavailable(ProviderError):
    """Timeout, connection error, 5xx or rate limit: ask again later or elsewhere."""


class ProviderBadResponse(ProviderError):
    """The provider answered, but not with something we can trust."""


class Chain(StrEnum):
    BTC = "btc"
    ETH = "eth"


class TxStatus(StrEnum):
    MEMPOOL = "mempool"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Transfer:
    """One movement of value inside a transaction (a BTC output, an ETH value or token log)."""

    asset: str
    from_addresses: tuple[str, ...]
    to_address: str | None
    amount_base_units: int
    index: int


@dataclass(frozen=True)
class Outpoint:
    txid: str
    vout: int


@dataclass
class ChainTx:
    chain: Chain
    tx_hash: str
    status: TxStatus
    providers: list[str]
    block_height: int | None = None
    block_hash: str | None = None
    confirmations: int = 0
    timestamp: datetime | None = None
    first_seen: datetime | None = None
    fee: int | None = None
    rbf_signalled: bool = False
    transfers: list[Transfer] = field(default_factory=list)
    inputs: list[Outpoint] = field(default_factory=list)

    @property
    def sender_addresses(self) -> set[str]:
        return {a for t in self.transfers for a in t.from_addresses}


@dataclass(frozen=True)
class Spend:
    """Who spent an outpoint: the answer to 'was this deposit replaced?'."""

    outpoint: Outpoint
    spent: bool
    spending_txid: str | None = None
    confirmed: bool = False


class ChainAdapter(Protocol):
    """What one provider of one chain can tell us; each adapter ships a fake in tests."""

    name: str
    chain: Chain

    def get_tx(self, tx_hash: str) -> ChainTx:
        """The tx with confirmations computed; status NOT_FOUND when the provider does not know it."""
        ...

    def tip_height(self) -> int: ...

    def spend_of(self, outpoint: Outpoint) -> Spend: ...
