"""Assets, their decimals, and exact conversion between base units and decimal strings.

Money is an ``int`` of base units inside; a decimal string in the asset's main unit at the
edges. Floats never appear: a JSON number or an exponent is refused rather than rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from chains.base import Chain

_DECIMAL_STRING = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")


class AmountError(ValueError):
    """An amount that is not a plain non-negative decimal with at most the asset's decimals."""


@dataclass(frozen=True)
class Asset:
    symbol: str
    chain: Chain
    decimals: int
    contract: str | None = None


ASSETS: dict[str, Asset] = {
    "BTC": Asset("BTC", Chain.BTC, 8),
    "ETH": Asset("ETH", Chain.ETH, 18),
    "USDT": Asset("USDT", Chain.ETH, 6, "0xdac17f958d2ee523a2206206994597c13d831ec7"),
    "USDC": Asset("USDC", Chain.ETH, 6, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
}

NATIVE_ASSET: dict[Chain, str] = {Chain.BTC: "BTC", Chain.ETH: "ETH"}


def to_base_units(amount: str, decimals: int) -> int:
    """'0.015' with 8 decimals -> 1500000; refuses signs, exponents, spaces and excess digits."""
    if not isinstance(amount, str):
        kind = "number" if isinstance(amount, (int, float, Decimal)) else type(amount).__name__
        raise AmountError(f'amount must be a decimal string such as "0.015", not a {kind}')
    if not _DECIMAL_STRING.match(amount):
        if amount.strip().startswith("-"):
            raise AmountError(f"amount {amount!r} is negative")
        raise AmountError(
            f"amount {amount!r} is not a plain decimal number "
            '(digits with an optional "." part; no sign, exponent, spaces or separators)'
        )
    whole, _, fraction = amount.partition(".")
    if len(fraction.rstrip("0")) > decimals:
        raise AmountError(f"amount {amount!r} has more than {decimals} decimal places")
    return int(whole) * 10**decimals + int(fraction.ljust(decimals, "0")[:decimals] or "0")


def format_amount(base_units: int, decimals: int) -> str:
    """1500000 with 8 decimals -> '0.015': exact, no trailing zeros, no exponent."""
    if base_units < 0:
        return "-" + format_amount(-base_units, decimals)
    whole, fraction = divmod(base_units, 10**decimals)
    if not fraction:
        return str(whole)
    return f"{whole}.{str(fraction).rjust(decimals, '0').rstrip('0')}"


def as_decimal(base_units: int, decimals: int) -> Decimal:
    return Decimal(format_amount(base_units, decimals))
