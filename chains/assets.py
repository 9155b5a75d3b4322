"""Assets, their decimals, and exact conversion between base units and decimal strings.

Money is an ``int`` of base units inside; a decimal string in the asset's main unit at the
edges. Floats never appear: a JSON number or an exponent is refused rather than rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from chains.base import Chain

# Matched with fullmatch: `$` would also match before a trailing newline ("0.1\n").
_DECIMAL_STRING = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
# The largest amount any supported chain can hold: an EVM uint256 (78 digits in base units).
MAX_BASE_UNITS = 2**256 - 1
MAX_AMOUNT_CHARS = 160  # refused before any arithmetic: no amount needs more characters


class AmountError(ValueError):
    """An amount that is not a plain non-negative decimal with at most the asset's decimals."""


@dataclass(frozen=True)
class Asset:
    symbol: str
    chain: Chain
    decimals: int
    contract: str | None = None


class AssetRegistry:
    """The assets this deployment accepts: symbols, decimals, and token contracts.

    Assets are keyed by (chain, symbol): USDT on Ethereum and USDT on TRON are two assets. A
    lookup by symbol alone finds the first one registered (Bitcoin and Ethereum's come first)."""

    def __init__(self, assets: list[Asset]) -> None:
        # One asset per (chain, symbol): USDT on BSC (18 decimals) is not USDT on Ethereum (6).
        self._by_key = {(asset.chain, asset.symbol): asset for asset in assets}
        # By symbol alone: the first chain's (Bitcoin and Ethereum come first), or for_chain's chain.
        self._by_symbol: dict[str, Asset] = {}
        for asset in self._by_key.values():
            self._by_symbol.setdefault(asset.symbol, asset)
        self._by_contract = {
            (asset.chain, asset.contract.lower()): asset
            for asset in self._by_key.values()
            if asset.contract is not None
        }

    def get(self, symbol: str, chain: Chain | str | None = None) -> Asset | None:
        if chain is None:
            return self._by_symbol.get(symbol)
        try:
            return self._by_key.get((Chain(chain), symbol))
        except ValueError:  # an EVM network beside Ethereum: its tokens are the network's own
            return None

    def by_contract(self, chain: Chain, contract: str) -> Asset | None:
        return self._by_contract.get((chain, contract.lower()))

    def on_chain(self, chain: Chain) -> list[Asset]:
        return [asset for asset in self._by_key.values() if asset.chain is chain]

    def on(self, chain: Chain, symbol: str) -> Asset | None:
        return self._by_key.get((chain, symbol))

    def for_chain(self, chain: Chain) -> AssetRegistry:
        """The same assets, where a symbol means that chain's asset (USDT on BSC: 18 decimals)."""
        return AssetRegistry([*self.on_chain(chain), *(a for a in self._by_key.values() if a.chain is not chain)])

    def require(self, symbol: str, chain: Chain) -> Asset:
        """The asset, or AssetError saying which assets that chain has here."""
        asset = self._by_key.get((chain, symbol))
        if asset is None:
            known = ", ".join(a.symbol for a in self.on_chain(chain))
            raise AssetError(f"asset {symbol!r} is not accepted on {chain.value} (known: {known})")
        return asset

    def with_tokens(self, tokens: list[Asset]) -> AssetRegistry:
        """A registry where these tokens replace same-symbol ones and add the rest."""
        merged = {**self._by_key, **{(token.chain, token.symbol): token for token in tokens}}
        return AssetRegistry(list(merged.values()))

    def format(self, base_units: int, symbol: str, chain: Chain | str | None = None) -> str:
        """Decimal string in the asset's main unit; unknown assets (foreign tokens) in raw units."""
        asset = (self.get(symbol, chain) if chain is not None else None) or self._by_symbol.get(symbol)
        return format_amount(base_units, asset.decimals) if asset else str(base_units)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_key.values())


class AssetError(ValueError):
    """An asset symbol this deployment does not accept on that chain."""


DEFAULT_ASSETS = AssetRegistry(
    [
        Asset("BTC", Chain.BTC, 8),
        Asset("ETH", Chain.ETH, 18),
        Asset("USDT", Chain.ETH, 6, "0xdac17f958d2ee523a2206206994597c13d831ec7"),
        Asset("USDC", Chain.ETH, 6, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
        # TRON (issue 24): TRX in sun (6 decimals) and Tether's TRC-20 contract.
        Asset("TRX", Chain.TRON, 6),
        Asset("USDT", Chain.TRON, 6, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
    ]
)

NATIVE_ASSET: dict[Chain, str] = {
    Chain.BTC: "BTC",
    Chain.ETH: "ETH",
    Chain.BSC: "BNB",
    Chain.POLYGON: "POL",
    Chain.ARBITRUM: "ETH",
    Chain.BASE: "ETH",
    Chain.OPTIMISM: "ETH",
    Chain.TRON: "TRX",
}


def check_decimal_string(amount: object) -> str:
    """The amount if it is a plain non-negative decimal string; AmountError saying why not."""
    if not isinstance(amount, str):
        kind = "number" if isinstance(amount, (int, float, Decimal)) else type(amount).__name__
        raise AmountError(f'amount must be a decimal string such as "0.015", not a {kind}')
    if len(amount) > MAX_AMOUNT_CHARS:
        raise AmountError(f"amount is {len(amount)} characters long; the limit is {MAX_AMOUNT_CHARS}")
    if not _DECIMAL_STRING.fullmatch(amount):
        if amount.strip().startswith("-"):
            raise AmountError(f"amount {amount!r} is negative")
        raise AmountError(
            f"amount {amount!r} is not a plain decimal number "
            '(digits with an optional "." part; no sign, exponent, spaces or separators)'
        )
    return amount


def to_base_units(amount: str, decimals: int) -> int:
    """'0.015' with 8 decimals -> 1500000; refuses signs, exponents, spaces and excess digits."""
    check_decimal_string(amount)
    whole, _, fraction = amount.partition(".")
    if len(fraction.rstrip("0")) > decimals:
        raise AmountError(f"amount {amount!r} has more than {decimals} decimal places")
    base_units = int(whole) * 10**decimals + int(fraction.ljust(decimals, "0")[:decimals] or "0")
    if base_units > MAX_BASE_UNITS:
        raise AmountError(
            f"amount {amount!r} is larger than any chain can hold: the limit is 2^256-1 base units "
            f"({format_amount(MAX_BASE_UNITS, decimals)} with {decimals} decimals)"
        )
    return base_units


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
