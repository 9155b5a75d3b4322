"""What a no-hash search asks for, checked before anything is looked up.

`SearchQuery` is what callers build (API, lookup form, tickets, CLI, a Telegram bot): a player
or an address, optional chain, asset, amount (a decimal string, with a relative tolerance for
fees and rounding) and window. `checked_query` returns it normalized, or raises `InvalidSearch`
naming the field, before a provider or the database is touched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from chains.assets import AmountError, AssetRegistry, check_decimal_string
from chains.base import Chain, InvalidReference
from chains.references import EVM_CHAINS, chain_of_address, normalize_address
from investigations import bounds

DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=31)
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_PAGE = 10_000  # 1,000,000 candidates: far past any player's history, well inside the database's range
DEFAULT_TOLERANCE = "0.02"  # exchanges and wallets take fees out of what arrives: 2 % either way


class InvalidSearch(ValueError):
    """A search that cannot run; names the field and says why (an HTTP 422, a CLI error)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class SearchQuery:
    """A no-hash search. Exactly one of `player_ref` and `address` (a casino deposit address).

    `since`/`until` default to the last 7 days; a wider window is cut to 31 days before `until`
    (the result says so). `limit` candidates per page (default 20, at most 100), `page` from 1.
    """

    player_ref: str | None = None
    address: str | None = None
    chain: str | None = None
    asset: str | None = None
    amount: str | None = None
    tolerance: str = DEFAULT_TOLERANCE
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    page: int = 1
    ticket_ref: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("since", "until"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @property
    def chain_enum(self) -> Chain | None:
        return Chain(self.chain) if self.chain else None


def checked_query(query: SearchQuery, assets: AssetRegistry, *, now: datetime) -> tuple[SearchQuery, bool]:
    """The query normalized (window filled in, address canonical), and whether the window was cut."""
    for field in ("player_ref", "address", "chain", "asset", "amount", "tolerance", "ticket_ref"):
        value = getattr(query, field)
        if value is not None:
            try:
                bounds.text(str(value), field)
            except bounds.BoundsError as exc:
                raise InvalidSearch(field, exc.reason) from None
    player = (query.player_ref or "").strip() or None
    address_text = (query.address or "").strip() or None
    if bool(player) == bool(address_text):
        raise InvalidSearch("player_ref", "give either a player reference or a deposit address (one of them)")
    chain = None
    if query.chain:
        try:
            chain = Chain(query.chain.strip().lower())
        except ValueError:
            supported = ", ".join(c.value for c in Chain)
            raise InvalidSearch("chain", f"{query.chain!r} is not a supported chain ({supported})") from None
    address = None
    if address_text:
        try:
            address_chain = chain_of_address(address_text)
            address = normalize_address(address_chain, address_text)
        except InvalidReference as exc:
            raise InvalidSearch("address", str(exc)) from exc
        same_family = chain is None or chain is address_chain or {chain, address_chain} <= set(EVM_CHAINS)
        if not same_family:
            raise InvalidSearch("chain", f"the address is a {address_chain.value} address, not {chain.value}")
        if address_chain not in EVM_CHAINS:
            chain = address_chain  # an EVM address without a chain: its rows on every EVM network
    asset = (query.asset or "").strip().upper() or None
    if asset is not None:
        known = [a for a in assets if a.symbol == asset and (chain is None or a.chain is chain)]
        if not known:
            accepted = ", ".join(sorted({a.symbol for a in assets if chain is None or a.chain is chain}))
            raise InvalidSearch("asset", f"{asset!r} is not an accepted asset here (accepted: {accepted})")
        if chain is None and len({a.chain for a in known}) == 1 and known[0].chain not in EVM_CHAINS:
            chain = known[0].chain  # BTC: only Bitcoin has it
    if query.amount is not None:
        try:
            check_decimal_string(query.amount)
        except AmountError as exc:
            raise InvalidSearch("amount", str(exc)) from exc
    try:
        tolerance = Decimal(query.tolerance)
    except (InvalidOperation, TypeError):
        raise InvalidSearch("tolerance", 'must be a fraction such as "0.02" (2 %)') from None
    if not tolerance.is_finite() or not Decimal(0) <= tolerance <= Decimal("0.5"):
        raise InvalidSearch("tolerance", "must be between 0 and 0.5")
    until = _aware(query.until, "until") or now
    since = _aware(query.since, "since") or until - DEFAULT_WINDOW
    if since >= until:
        raise InvalidSearch("since", "must be before until")
    if since > now:
        raise InvalidSearch("since", "is in the future")
    cut = until - since > MAX_WINDOW
    if cut:
        since = until - MAX_WINDOW
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidSearch("limit", f"must be between 1 and {MAX_LIMIT}")
    if not 1 <= query.page <= MAX_PAGE:
        raise InvalidSearch("page", f"must be between 1 and {MAX_PAGE}")
    normalized = replace(
        query,
        player_ref=player,
        address=address,
        chain=chain.value if chain else None,
        asset=asset,
        tolerance=str(tolerance),
        since=since,
        until=until,
        ticket_ref=(query.ticket_ref or "").strip() or None,
    )
    return normalized, cut


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidSearch(field, "must be a date and time (ISO 8601)")
    try:
        bounds.moment(value, field)
    except bounds.BoundsError as exc:
        raise InvalidSearch(field, exc.reason) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
