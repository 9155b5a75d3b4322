"""How search candidates are ordered: the verdict first (what needs someone), then the hints."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from chains.assets import AssetRegistry
from chains.history import AddressTx
from investigations.models import Investigation
from investigations.search_query import SearchQuery

# Lower comes first: uncredited money first, then what is still moving, then what is settled,
# then what paid the player nothing.
_RANKS = {
    "confirmed_not_credited": 0,
    "amount_mismatch": 0,
    "below_minimum": 1,
    "unsupported_asset": 1,
    "wrong_network": 1,
    "pending": 2,
    "confirming": 2,
    "reorged": 2,
    "not_found": 3,
    "provider_unavailable": 3,
    "credited": 4,
    "already_claimed": 4,
}
_NOTHING_PAID = 5


def verdict_rank(code: str) -> int:
    return _RANKS.get(code, _NOTHING_PAID)


def listed_amounts(tx: AddressTx, assets: AssetRegistry) -> list[tuple[str, Decimal]]:
    """What the listing says reached the address, in main units (empty when it cannot tell)."""
    return [(p.asset, Decimal(assets.format(p.amount_base_units, p.asset))) for p in tx.payments]


def paid_amounts(record: Investigation, addresses: set[str]) -> list[tuple[str, Decimal]]:
    """What the verdict's evidence says reached the searched addresses, in main units."""
    amounts = []
    for paid in (record.evidence or {}).get("paid") or []:
        if paid.get("address") in addresses:
            try:
                amounts.append((str(paid["asset"]), Decimal(str(paid["amount"]))))
            except (KeyError, InvalidOperation):
                continue
    return amounts


def hint_score(amounts: list[tuple[str, Decimal]], query: SearchQuery) -> Decimal:
    """0 without hints; +1 for the asked asset; up to +2 for an amount within the tolerance (closer is more)."""
    best = Decimal(0)
    wanted = Decimal(query.amount) if query.amount else None
    tolerance = Decimal(query.tolerance)
    for asset, amount in amounts:
        score = Decimal(1) if query.asset and asset == query.asset else Decimal(0)
        if wanted is not None and wanted > 0 and (not query.asset or asset == query.asset):
            off = abs(amount - wanted) / wanted
            if off <= tolerance:
                score += 2 - off
        best = max(best, score)
    return best
