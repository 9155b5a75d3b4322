"""The normalized chain fact and the errors every adapter speaks.

Exception tree (one root for the package)::

    ChainError
    ├── InvalidReference          the hash or address itself is malformed / of another network
    │   ├── InvalidTxHash
    │   └── InvalidAddress
    └── ProviderError             a provider could not give a trustworthy answer
        ├── ProviderUnavailable   timeout, refused connection, 5xx, 429, "indexing in progress"
        │   └── OwnRateLimit      our own limit leaves no slot before the deadline: not the provider's fault
        ├── ProviderBadResponse   an answer we cannot trust (malformed, lagging, contradicts itself)
        └── ProviderLimitation    the provider is healthy but cannot answer this question
            └── TraceUnsupported  no debug_/trace_ API: internal transfers are unknown

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

    def __init__(self, message: str, *, provider: str, raw: Any = None, retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider, raw=raw)
        self.retry_after = retry_after


class OwnRateLimit(ProviderUnavailable):
    """Our own rate limit has no slot for this provider before the call's deadline; nothing was sent."""


class ProviderBadResponse(ProviderError):
    """The provider answered, but not with something we can trust."""


class Chain(StrEnum):
    BTC = "btc"
    ETH = "eth"
    # EVM networks beside Ethereum (issue 23): same addresses and hashes, their own ledger rows
    BSC = "bsc"
    POLYGON = "polygon"
    ARBITRUM = "arbitrum"
    BASE = "base"
    OPTIMISM = "optimism"
    TRON = "tron"  # issue 24


class TxStatus(StrEnum):
    MEMPOOL = "mempool"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    NOT_FOUND = "not_found"


class TransferKind(StrEnum):
    OUTPUT = "output"  # a Bitcoin output; index = vout
    NATIVE = "native"  # the ETH value of the transaction itself
    TOKEN = "token"  # an ERC-20 Transfer log; index = log index
    INTERNAL = "internal"  # value moved by a contract, found in a call trace
    INTENDED = "intended"  # what a reverted call tried to move: nothing moved


@dataclass(frozen=True)
class Transfer:
    """One movement of value inside a transaction (a BTC output, an ETH value or token log).

    `asset` is a symbol of the asset registry, or ``erc20:0x…`` for a token contract that
    this deployment does not accept.
    """

    asset: str
    from_addresses: tuple[str, ...]
    to_address: str | None
    amount_base_units: int
    index: int
    kind: TransferKind = TransferKind.OUTPUT


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
    finalized: bool | None = None  # EVM: at or below the provider's finalized block; None if unknown
    contract_call: bool = False  # EVM: the tx called code, so value may have moved internally
    network: str | None = None  # EVM: which network answered, when not the chain's main one
    signer: str | None = None  # EVM: the account that signed the tx
    vsize: int | None = None  # BTC: virtual size in vB (the fee rate is fee / vsize)
    nonce: int | None = None  # EVM: the signer's nonce (a replacement reuses it)
    max_fee_per_gas: int | None = None  # EVM: maxFeePerGas, or gasPrice of a legacy tx (wei)
    failure: str | None = None  # TRON: why it failed, in plain words
    resources: dict[str, int] | None = None  # TRON: energy and bandwidth used, fee burnt (sun)

    @property
    def sender_addresses(self) -> set[str]:
        senders = {a for t in self.transfers for a in t.from_addresses}
        return senders | {self.signer} if self.signer else senders


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


class ProviderLimitation(ProviderError):
    """The provider works but cannot answer this (e.g. a node without -txindex asked for an old tx):
    not a failure of the provider, and never a "not found"."""


class TraceUnsupported(ProviderLimitation):
    """The provider cannot trace calls (no debug_/trace_ API): internal transfers are unknown."""


def tx_to_json(tx: ChainTx) -> dict[str, Any]:
    """A ChainTx as plain JSON (amounts as decimal digit strings: they exceed JSON's safe integers)."""
    return {
        "chain": tx.chain.value,
        "tx_hash": tx.tx_hash,
        "status": tx.status.value,
        "providers": tx.providers,
        "block_height": tx.block_height,
        "block_hash": tx.block_hash,
        "confirmations": tx.confirmations,
        "timestamp": tx.timestamp.isoformat() if tx.timestamp else None,
        "fee": str(tx.fee) if tx.fee is not None else None,
        "rbf_signalled": tx.rbf_signalled,
        "finalized": tx.finalized,
        "contract_call": tx.contract_call,
        "network": tx.network,
        "signer": tx.signer,
        "vsize": tx.vsize,
        "nonce": tx.nonce,
        "max_fee_per_gas": str(tx.max_fee_per_gas) if tx.max_fee_per_gas is not None else None,
        "failure": tx.failure,
        "resources": tx.resources,
        "inputs": [[i.txid, i.vout] for i in tx.inputs],
        "transfers": [
            [t.asset, list(t.from_addresses), t.to_address, str(t.amount_base_units), t.index, t.kind.value]
            for t in tx.transfers
        ],
    }


def tx_from_json(data: dict[str, Any]) -> ChainTx:
    return ChainTx(
        chain=Chain(data["chain"]),
        tx_hash=data["tx_hash"],
        status=TxStatus(data["status"]),
        providers=list(data["providers"]),
        block_height=data["block_height"],
        block_hash=data["block_hash"],
        confirmations=data["confirmations"],
        timestamp=datetime.fromisoformat(data["timestamp"]) if data["timestamp"] else None,
        fee=int(data["fee"]) if data["fee"] is not None else None,
        rbf_signalled=data["rbf_signalled"],
        finalized=data["finalized"],
        contract_call=data["contract_call"],
        network=data["network"],
        signer=data["signer"],
        vsize=data.get("vsize"),
        nonce=data.get("nonce"),
        max_fee_per_gas=int(data["max_fee_per_gas"]) if data.get("max_fee_per_gas") is not None else None,
        failure=data.get("failure"),
        resources=data.get("resources"),
        inputs=[Outpoint(txid, vout) for txid, vout in data["inputs"]],
        transfers=[
            Transfer(asset, tuple(senders), to, int(amount), index, TransferKind(kind))
            for asset, senders, to, amount, index, kind in data["transfers"]
        ],
    )
