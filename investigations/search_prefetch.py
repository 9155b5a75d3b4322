"""The search's candidates are looked up side by side before they are investigated one by one.

Each investigation asks its chain's pool for the tx (one round trip or more) and then writes to the
database; done in turn, a page of 20 candidates costs 20 round trips of waiting. Here the pool
lookups of the candidates that are not settled in our cache run in parallel first (through the same
pool: its rate limits, breakers and budget still apply), and the investigations then take their
answers from `PrefetchedPool` instead of asking again.
"""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from chains.base import Chain, ChainError, ChainTx, TxStatus
from chains.history import AddressTx
from chains.providers import Lookup, Outcome, ProviderAnswer, ProviderPool
from investigations import sightings
from investigations.service import Investigator

log = logging.getLogger(__name__)
PARALLEL_LOOKUPS = 6
BATCH_LOOKUPS = 25  # EVM lookups per JSON-RPC batch (two calls each)
# Kinds of listing whose entry describes all it moved to the address (an ERC-20 log, a TRX transfer
# with its block and result): a tx listed only by such entries is judged from them.
PARTIAL_KINDS = {"token", "trx"}
_LOOKUPS = ThreadPoolExecutor(max_workers=PARALLEL_LOOKUPS, thread_name_prefix="search-lookup")


class PrefetchedPool:
    """A pool whose `lookup` answers once from what was fetched ahead; everything else is the pool's."""

    def __init__(self, pool: ProviderPool, answers: dict[str, Lookup]) -> None:
        self._pool = pool
        self._answers = answers

    def lookup(self, tx_hash: str) -> Lookup:
        answer = self._answers.pop(tx_hash, None)
        return answer if answer is not None else self._pool.lookup(tx_hash)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


def listing_tip(pool: ProviderPool) -> int | None:
    """The chain's tip for judging listed candidates, asked beside the listing (shared when fresh);
    None when no provider answers (the candidates are then looked up)."""
    tip = pool.tips.fresh() if pool.tips is not None else None
    if tip is not None:
        return tip
    try:
        tip, _provider = pool.ask("tip_height")
    except ChainError as exc:
        log.info("search: no tip height for the listed candidates (%s): they are looked up", exc)
        return None
    pool.offer_tip(tip)
    return int(tip)


def from_listing(
    pool: ProviderPool, listed: list[AddressTx], *, tip: int | None = None, finalized: int | None = None
) -> dict[str, Lookup]:
    """Lookups of the candidates the listing describes completely, from its data and the chain's tip
    (`tip`: asked beside the listing, or the head an EVM listing started from; else shared, or asked
    once for them all; `finalized`: the EVM finalized block asked with that head): nothing else is
    asked for them. Candidates left out (not described, or in a block above every tip known) are
    looked up as usual.

    Described completely: a whole tx in the listing (an Esplora page, an Otterscan tx with its
    receipt), or a tx every listing of which is an ERC-20 Transfer log (a log exists only for a tx
    that succeeded, and carries block, token and amount; its facts are not cached as settled, so a
    later lookup of the hash asks for the whole tx). A tx that also paid ETH needs its receipt."""
    described = _described(listed)
    if not described:
        return {}
    highest = max((tx.block_height or 0 for tx, _p, _partial in described.values()), default=0)
    if tip is None or tip < highest:
        tip = pool.tips.fresh(at_least=highest) if pool.tips is not None else None
    if tip is None and any(tx.block_height is not None for tx, _p, _partial in described.values()):
        tip = listing_tip(pool)
    answers = {}
    for tx_hash, (tx, provider, partial) in described.items():
        if tx.block_height is not None:
            if tip is None or tip < tx.block_height:
                continue
            tx.confirmations = tip - tx.block_height + 1
            if finalized is not None:
                tx.finalized = tx.block_height <= finalized
        answer = ProviderAnswer(provider, str(tx.status), "from the address listing")
        answers[tx_hash] = Lookup(Outcome.FOUND, tx, [answer], partial=partial)
    return answers


def _described(listed: list[AddressTx]) -> dict[str, tuple[ChainTx, str, bool]]:
    """tx hash -> (its tx as the listing describes it, who listed it, only logs) for the txs the
    listing describes completely (every listing of the same hash taken together)."""
    by_hash: dict[str, list[AddressTx]] = {}
    for found in listed:
        by_hash.setdefault(found.tx_hash, []).append(found)
    described = {}
    for tx_hash, entries in by_hash.items():
        whole = next((e for e in entries if e.tx is not None and not e.partial), None)
        if whole is not None and whole.tx is not None:
            if whole.tx.status is not TxStatus.NOT_FOUND:
                described[tx_hash] = (copy.deepcopy(whole.tx), whole.provider or "listing", False)
            continue
        if not all(e.tx is not None and e.partial and e.kinds <= PARTIAL_KINDS for e in entries):
            continue
        tx = copy.deepcopy(entries[0].tx)
        assert tx is not None
        known = {t.index for t in tx.transfers}
        for other in entries[1:]:
            assert other.tx is not None
            tx.transfers += [t for t in other.tx.transfers if t.index not in known]
            known |= {t.index for t in other.tx.transfers}
        tx.transfers.sort(key=lambda t: t.index)
        described[tx_hash] = (tx, entries[0].provider or "listing", True)
    return described


def prefetched(
    session: Session,
    investigator: Investigator,
    wanted: list[tuple[Chain, str]],
    listed: dict[Chain, dict[str, Lookup]] | None = None,
) -> Investigator:
    """An investigator for these candidates whose pools already hold their lookups (`listed`: those
    the listing settled already, not looked up again)."""
    listed = listed or {}
    unlisted = [(chain, tx_hash) for chain, tx_hash in dict.fromkeys(wanted) if tx_hash not in listed.get(chain, {})]
    seen = sightings.load_all(session, unlisted)  # one query for the whole page, not one per candidate
    todo = [
        (chain, tx_hash)
        for chain, tx_hash in unlisted
        if chain in investigator.pools and not ((chain, tx_hash) in seen and seen[(chain, tx_hash)].settled)
    ]
    answers: dict[Chain, dict[str, Lookup]] = {chain: dict(listed.get(chain, {})) for chain in investigator.pools}
    for chain, found in _batched(investigator, todo).items():
        answers[chain] |= found
    todo = [(chain, tx_hash) for chain, tx_hash in todo if tx_hash not in answers[chain]]
    futures = {key: _LOOKUPS.submit(investigator.pools[key[0]].lookup, key[1]) for key in todo}
    for (chain, tx_hash), future in futures.items():
        try:
            answers[chain][tx_hash] = future.result()
        except Exception:  # noqa: BLE001 - the investigation asks again itself, and reports what it gets
            log.exception("search: looking up %s ahead failed", tx_hash)
    pools = {chain: PrefetchedPool(pool, answers[chain]) for chain, pool in investigator.pools.items()}
    return replace(investigator, pools=pools)  # type: ignore[arg-type]


def _batched(investigator: Investigator, todo: list[tuple[Chain, str]]) -> dict[Chain, dict[str, Lookup]]:
    """Candidates of a chain whose providers answer several lookups in one request (EVM JSON-RPC):
    asked in batches of BATCH_LOOKUPS, side by side. A tx a batch did not find (or could not
    parse) is left out: it gets a lookup of its own, with every rule a lookup has."""
    by_chain: dict[Chain, list[str]] = {}
    for chain, tx_hash in todo:
        pool = investigator.pools[chain]
        if any(hasattr(adapter, "get_txs") for adapter in pool.adapters):
            by_chain.setdefault(chain, []).append(tx_hash)
    futures = {
        (chain, start): _LOOKUPS.submit(investigator.pools[chain].ask, "get_txs", hashes[start : start + BATCH_LOOKUPS])
        for chain, hashes in by_chain.items()
        for start in range(0, len(hashes), BATCH_LOOKUPS)
    }
    found: dict[Chain, dict[str, Lookup]] = {}
    for (chain, _start), future in futures.items():
        try:
            txs, provider = future.result()
        except ChainError as exc:
            log.info("search: a batch of lookups failed (%s): each is looked up alone", exc)
            continue
        for tx_hash, tx in txs.items():
            if tx.status is not TxStatus.NOT_FOUND:
                answer = ProviderAnswer(provider, str(tx.status), "asked with the search's other candidates")
                found.setdefault(chain, {})[tx_hash] = Lookup(Outcome.FOUND, tx, [answer])
    return found
