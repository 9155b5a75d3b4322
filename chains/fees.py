"""What it costs to get a transaction mined now: the fee market a payout's fee is judged against.

Bitcoin (Esplora): ``GET /fee-estimates`` (confirmation target in blocks -> sat/vB) and ``GET /mempool``
(its ``fee_histogram``: ``[[fee rate, vsize], ...]``, highest rate first). A tx's ETA is how many blocks
of mempool pay more than it does; it is *stuck* when its rate is below the estimate for the policy's
horizon. Ethereum-style networks: the next block's base fee; a tx whose max fee per gas is below it
cannot be included until the base fee falls.

Rates are Decimal sat/vB (parsed from the JSON text, never through float); fees are integer base units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from chains.base import Chain, ChainTx, ProviderBadResponse

BLOCK_VSIZE = 1_000_000  # virtual bytes a Bitcoin block holds
CHILD_VSIZE = 110  # a one-input, one-output P2WPKH child spending the change (CPFP)
INCREMENTAL_RELAY_RATE = Decimal(1)  # sat/vB a replacement must add on top of what it replaces


@dataclass(frozen=True)
class FeeMarket:
    chain: Chain
    provider: str
    estimates: dict[int, Decimal] = field(default_factory=dict)  # BTC: target blocks -> sat/vB
    histogram: tuple[tuple[Decimal, int], ...] = ()  # BTC: (sat/vB, vsize), highest rate first
    base_fee: int | None = None  # EVM: wei per gas of the next block

    def rate_for(self, blocks: int) -> Decimal | None:
        """The sat/vB that confirms within `blocks` (the estimate of the largest target not above it)."""
        if not self.estimates:
            return None
        fitting = [t for t in self.estimates if t <= blocks] or [min(self.estimates)]
        return self.estimates[max(fitting)]

    def blocks_ahead(self, rate: Decimal) -> int | None:
        """In how many blocks a tx paying `rate` is mined, from the mempool paying more than it does."""
        if self.histogram:
            ahead = sum(vsize for feerate, vsize in self.histogram if feerate > rate)
            return ahead // BLOCK_VSIZE + 1
        fitting = [t for t, needed in self.estimates.items() if needed <= rate]
        return min(fitting) if fitting else None

    def as_evidence(self) -> dict[str, Any]:
        if self.chain is Chain.BTC:
            return {
                "provider": self.provider,
                "estimates_sat_vb": {str(t): str(r) for t, r in sorted(self.estimates.items())},
                "mempool_vsize": sum(v for _, v in self.histogram),
            }
        return {"provider": self.provider, "base_fee_wei": str(self.base_fee) if self.base_fee is not None else None}


def fee_rate(tx: ChainTx) -> Decimal | None:
    """A Bitcoin tx's fee rate in sat/vB (two decimals), or None when its fee or size is unknown."""
    if tx.fee is None or not tx.vsize:
        return None
    return (Decimal(tx.fee) / Decimal(tx.vsize)).quantize(Decimal("0.01"))


def ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def parse_esplora(provider: str, estimates: Any, mempool: Any) -> FeeMarket:
    """The two Esplora answers (JSON parsed with Decimal floats) as a FeeMarket."""
    if not isinstance(estimates, dict) or not estimates:
        raise ProviderBadResponse(f"{provider}: malformed fee estimates", provider=provider, raw=str(estimates)[:200])
    try:
        rates = {int(target): _rate(rate) for target, rate in estimates.items()}
        histogram = tuple((_rate(rate), int(vsize)) for rate, vsize in (mempool or {}).get("fee_histogram", []))
    except (TypeError, ValueError, AttributeError) as exc:
        raise ProviderBadResponse(f"{provider}: malformed fee market ({exc})", provider=provider) from exc
    return FeeMarket(Chain.BTC, provider, estimates=rates, histogram=histogram)


def _rate(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"not a fee rate: {value!r}")
    rate = Decimal(value)
    if not rate.is_finite() or rate < 0:
        raise ValueError(f"not a fee rate: {value!r}")
    return rate
