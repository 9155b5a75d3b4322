"""The no-hash search: find a player's payment from their deposit addresses.

    result = search(session, investigator, SearchQuery(player_ref="p-1842", amount="0.015"))

resolves the player to every deposit address they have (or takes one casino deposit address),
lists the transactions paying those addresses in the window through each chain's provider pool
(`chains.history`), and investigates each with the ordinary engine, so every candidate is a full
`Investigation` with its verdict and status link. Candidates come uncredited first (confirmed but
not credited, wrong amount…), then in progress, then credited, then those that paid us nothing;
within each by how well they match the hints (asset, amount within the tolerance), newest first.
At most `query.limit` candidates are investigated per page; `result.next_page` asks for more.

`result.searched` says per chain which kinds of payment were searched, `result.not_searched` which
could not be and why (e.g. ETH sent directly, when no provider can list it): "nothing found" is
only ever claimed for what was searched. `result.complete` is true when everything was searched
over the whole window. Every search is stored (`SearchRecord`); `load_search` reads one back.
Raises `InvalidSearch` (naming the field) before anything is asked when the query cannot run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlmodel import Session, col, select

from chains.base import Chain
from chains.bitcoin.history import list_btc
from chains.ethereum.history import BlockClock, list_eth
from chains.history import KIND_WORDS, KINDS, AddressTx, Listing, side_by_side
from chains.providers import ProviderPool
from chains.references import EVM_CHAINS
from chains.tron.history import list_tron
from investigations.ledger import DepositAddress, LedgerDeposit
from investigations.models import Investigation, SearchRecord
from investigations.search_prefetch import from_listing, listing_tip, prefetched
from investigations.search_query import InvalidSearch, SearchQuery, checked_query
from investigations.search_ranking import hint_score, listed_amounts, paid_amounts, verdict_rank
from investigations.service import InvalidInput, InvestigationRequest, Investigator

__all__ = ["InvalidSearch", "SearchQuery", "SearchResult", "load_search", "players_named", "search"]

MAX_LISTED = 500  # transactions listed per chain and search, all pages together
MAX_WORDS = 400  # distinct words of a text looked up as player references (in order of appearance)
Progress = Callable[[int, int], None]  # (investigated so far, to investigate)
_CLOCKS: WeakKeyDictionary[ProviderPool, BlockClock] = WeakKeyDictionary()
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{1,127}")


@dataclass
class SearchResult:
    id: str
    query: SearchQuery
    candidates: list[Investigation]
    searched: dict[str, list[str]]  # chain -> kinds searched over the whole window
    not_searched: dict[str, dict[str, str]] = field(default_factory=dict)  # chain -> {kind: why not}
    complete: bool = True
    total: int = 0  # transactions listed (all pages)
    next_page: int | None = None
    window_cut: bool = False  # the window asked for was longer than allowed and was cut
    run_by: str | None = None  # who ran it (agent:NAME, token:NAME, cli), as Investigation.run_by

    def gaps(self) -> list[str]:
        """What could not be searched, in plain words, one line per chain ([] when everything was)."""
        lines = [
            f"{chain.upper()}: could not search " + "; ".join(f"{KIND_WORDS[k]} ({why})" for k, why in kinds.items())
            for chain, kinds in sorted(self.not_searched.items())
        ]
        if not self.complete and not lines:
            lines.append(f"Stopped after listing {MAX_LISTED} transactions per chain: older ones were not listed.")
        if self.window_cut:
            lines.append("The window was cut to the last 31 days of what was asked.")
        return lines

    @property
    def uncredited_confirmed(self) -> Investigation | None:
        """The candidate to act on first: a confirmed payment to the player the ledger did not credit."""
        return next((c for c in self.candidates if c.code == "confirmed_not_credited"), None)


def search(
    session: Session,
    investigator: Investigator,
    query: SearchQuery,
    *,
    on_progress: Progress | None = None,
    run_by: str | None = None,
) -> SearchResult:
    """Run a search (see the module docstring); stores it and returns it with its candidates, each
    recorded as run by `run_by` too (who ran the search)."""
    query, cut = checked_query(query, investigator.policy.assets, now=investigator.clock())
    addresses = _deposit_addresses(session, query)
    result = SearchResult(uuid.uuid4().hex, query, [], {}, window_cut=cut, run_by=run_by[:160] if run_by else None)
    found: list[tuple[Chain, AddressTx]] = []
    chains = {Chain(row.chain) for row in addresses}
    evm = sorted({row.address for row in addresses if Chain(row.chain) in EVM_CHAINS})
    if evm and not query.chain:  # an EVM address is the player's on every EVM network (the same key)
        chains |= {chain for chain in EVM_CHAINS if chain in investigator.pools}
    plan = [
        (
            chain,
            evm
            if chain in EVM_CHAINS and not query.chain
            else sorted(r.address for r in addresses if r.chain == chain.value),
        )
        for chain in sorted(chains)
    ]
    # Every chain's listing side by side, and beside them the tip of each chain whose listing shows
    # whole txs (Bitcoin): the listing and the confirmations of what it lists in one round trip.
    calls: list[Callable[[], Any]] = [lambda c=c, w=w: _list(investigator, c, w, query) for c, w in plan]
    tipped = [c for c, _w in plan if c is Chain.BTC and c in investigator.pools]
    calls += [lambda c=c: listing_tip(investigator.pools[c]) for c in tipped]
    answers = side_by_side(calls)
    listings: dict[Chain, Listing] = {c: answers[n] for n, (c, _w) in enumerate(plan)}
    tips: dict[Chain, int | None] = {c: answers[len(plan) + n] for n, c in enumerate(tipped)}
    for chain, _wanted in plan:
        listing = listings[chain]
        result.searched[chain.value] = listing.searched
        if listing.not_searched:
            result.not_searched[chain.value] = listing.not_searched
        result.complete = result.complete and not listing.not_searched and not listing.truncated
        seen: set[str] = set()
        for tx in listing.txs:
            if tx.tx_hash not in seen and _may_match_asset(tx, query):
                seen.add(tx.tx_hash)
                found.append((chain, tx))
    owners = {row.address: row.player_ref for row in addresses}
    credited = _credited(session, found)
    found.sort(key=lambda item: _listing_rank(item[1], query, investigator, credited))
    result.total = len(found)
    start = (query.page - 1) * query.limit
    page = found[start : start + query.limit]
    on_page = {tx.tx_hash for _chain, tx in page}
    result.next_page = query.page + 1 if start + query.limit < len(found) else None
    if on_progress:
        on_progress(0, len(page))
    listed = {
        chain: from_listing(
            investigator.pools[chain],
            [tx for tx in listings[chain].txs if tx.tx_hash in on_page],  # every listing of a hash
            tip=tips.get(chain, listings[chain].head),
            finalized=listings[chain].finalized,
        )
        for chain in {c for c, _tx in page}
        if chain in investigator.pools
    }
    ahead = prefetched(session, investigator, [(chain, tx.tx_hash) for chain, tx in page], listed)
    for done, (chain, tx) in enumerate(page):
        if on_progress and done:
            on_progress(done, len(page))
        request = InvestigationRequest(
            tx.tx_hash, tx.address, chain.value, owners.get(tx.address), query.ticket_ref, run_by=result.run_by
        )
        try:
            result.candidates.append(ahead.investigate(session, request, commit=False))
        except InvalidInput:
            continue
    if on_progress:
        on_progress(len(page), len(page))
    result.candidates.sort(key=lambda record: _candidate_rank(record, query, set(owners)))
    # One commit for the page and the search (not one per candidate), and the candidates stay as
    # written rather than each read back.
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        _store(session, result)
    finally:
        session.expire_on_commit = keep
    return result


def load_search(session: Session, search_id: str) -> SearchResult | None:
    """A stored search with its candidates as they are now (re-checks update their verdicts)."""
    record = session.get(SearchRecord, search_id[:32])
    if record is None:
        return None
    by_id = {
        row.id: row
        for row in session.exec(select(Investigation).where(col(Investigation.id).in_(record.candidate_ids or [])))
    }
    data = dict(record.query)
    next_page, cut = data.pop("next_page", None), data.pop("window_cut", False)
    query = SearchQuery(**{**data, **{k: datetime.fromisoformat(data[k]) for k in ("since", "until") if data[k]}})
    candidates = [by_id[i] for i in record.candidate_ids if i in by_id]
    return SearchResult(
        record.id,
        query,
        candidates,
        record.searched,
        record.not_searched,
        record.complete,
        record.total,
        next_page,
        cut,
        record.run_by,
    )


def players_named(session: Session, text: str, *, limit: int = 3) -> list[str]:
    """Player references of the ledger that appear as whole words in free text (a ticket, a message)."""
    words = [w for w in dict.fromkeys(w.strip(".:-") for w in _WORD.findall(text)) if w][:MAX_WORDS]
    if not words:
        return []
    rows = session.exec(select(DepositAddress.player_ref).where(col(DepositAddress.player_ref).in_(words)).distinct())
    named = set(rows)
    return [w for w in words if w in named][:limit]


def _deposit_addresses(session: Session, query: SearchQuery) -> list[DepositAddress]:
    statement = select(DepositAddress)
    if query.player_ref:
        statement = statement.where(DepositAddress.player_ref == query.player_ref)
    else:
        statement = statement.where(DepositAddress.address == query.address)
    if query.chain:
        statement = statement.where(DepositAddress.chain == query.chain)
    rows = list(session.exec(statement.order_by(col(DepositAddress.id))))
    if not rows and query.player_ref:
        raise InvalidSearch("player_ref", f"no deposit addresses are known for player {query.player_ref!r}")
    if not rows:
        raise InvalidSearch("address", "is not one of the casino's deposit addresses")
    return rows


def _list(investigator: Investigator, chain: Chain, addresses: list[str], query: SearchQuery) -> Listing:
    assert query.since is not None and query.until is not None
    pool = investigator.pools.get(chain)
    if pool is None:
        listing = Listing()
        for kind in KINDS[chain]:
            listing.missing(kind, f"no providers are configured for {chain.value}")
        return listing
    if chain is Chain.BTC:
        return list_btc(pool, addresses, query.since, query.until, max_txs=MAX_LISTED)
    if chain is Chain.TRON:  # issue 24: TronGrid's /v1 listing
        accepted = investigator.policy.assets.on_chain(chain)
        tokens = {a.contract: a.symbol for a in accepted if a.contract}
        wanted = [a for a in accepted if not query.asset or a.symbol == query.asset]
        kinds = (("trx",) if any(not a.contract for a in wanted) else ()) + (
            ("trc20",) if any(a.contract for a in wanted) else ()
        )
        return list_tron(pool, addresses, query.since, query.until, tokens=tokens, kinds=kinds, max_txs=MAX_LISTED)
    clock = _CLOCKS.get(pool)
    if clock is None:
        clock = _CLOCKS[pool] = BlockClock(pool, block_seconds=investigator.policy.block_seconds.get(chain, 12))
    assets = investigator.policy.assets.on_chain(chain)
    tokens = [a.contract for a in assets if a.contract and (not query.asset or a.symbol == query.asset)]
    native = not query.asset or any(a.symbol == query.asset and not a.contract for a in assets)
    kinds = (() if query.asset and not tokens else ("token",)) + (("native", "internal") if native else ())
    span = pool.settings.log_span
    return list_eth(
        pool, clock, addresses, tokens, query.since, query.until, log_span=span, max_txs=MAX_LISTED, kinds=kinds
    )


def _may_match_asset(tx: AddressTx, query: SearchQuery) -> bool:
    """With an asset asked for, drop txs known to pay only other assets (unknown amounts stay)."""
    return not query.asset or not tx.payments or any(p.asset == query.asset for p in tx.payments)


def _credited(session: Session, found: list[tuple[Chain, AddressTx]]) -> set[str]:
    hashes = sorted({tx.tx_hash for _chain, tx in found})[:1000]
    if not hashes:
        return set()
    rows = session.exec(
        select(LedgerDeposit.tx_hash).where(col(LedgerDeposit.tx_hash).in_(hashes), LedgerDeposit.status == "credited")
    )
    return set(rows)


def _listing_rank(tx: AddressTx, query: SearchQuery, investigator: Investigator, credited: set[str]) -> tuple:
    """Before investigating: not yet credited in the ledger first, then hint match, newest first."""
    score = hint_score(listed_amounts(tx, investigator.policy.assets.for_chain(tx.chain)), query)
    recency = tx.block_height if tx.block_height is not None else 10**12  # the mempool is newest
    return (tx.tx_hash in credited, -score, -recency)


def _candidate_rank(record: Investigation, query: SearchQuery, addresses: set[str]) -> tuple:
    height = (record.evidence.get("tx") or {}).get("block_height")
    recency = height if isinstance(height, int) else 10**12
    return (verdict_rank(record.code), -hint_score(paid_amounts(record, addresses), query), -recency)


def _store(session: Session, result: SearchResult) -> None:
    session.add(
        SearchRecord(
            id=result.id,
            player_ref=result.query.player_ref,
            address=result.query.address,
            query=result.query.as_json() | {"next_page": result.next_page, "window_cut": result.window_cut},
            candidate_ids=[c.id for c in result.candidates],
            searched=result.searched,
            not_searched=result.not_searched,
            complete=result.complete,
            total=result.total,
            run_by=result.run_by,
        )
    )
    session.commit()
