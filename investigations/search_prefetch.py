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

from chains.base import Chain, ChainError, TxStatus
from chains.history import AddressTx
from chains.providers import Lookup, Outcome, ProviderAnswer, ProviderPool
from investigations import sightings
from investigations.service import Investigator

log = logging.getLogger(__name__)
PARALLEL_LOOKUPS = 6
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


def from_listing(pool: ProviderPool, listed: list[AddressTx]) -> dict[str, Lookup]:
    """Lookups of the candidates the listing describes completely, from its data and the chain's tip
    (shared, or asked once for them all): nothing else is asked for them. Candidates left out (not
    described, or in a block above every tip known) are looked up as usual."""
    complete = [a for a in listed if a.tx is not None and a.tx.status is not TxStatus.NOT_FOUND]
    if not complete:
        return {}
    highest = max((a.tx.block_height or 0 for a in complete if a.tx is not None), default=0)
    tip = pool.tips.fresh(at_least=highest) if pool.tips is not None else None
    if tip is None and any(a.tx is not None and a.tx.block_height is not None for a in complete):
        try:
            tip, _provider = pool.ask("tip_height")
        except ChainError as exc:
            log.info("search: no tip height for the listed candidates (%s): they are looked up", exc)
            return {}
        pool.offer_tip(tip)
    answers = {}
    for found in complete:
        tx = copy.deepcopy(found.tx)
        assert tx is not None
        if tx.block_height is not None:
            if tip is None or tip < tx.block_height:
                continue
            tx.confirmations = tip - tx.block_height + 1
        answer = ProviderAnswer(found.provider or "listing", str(tx.status), "from the address listing")
        answers[tx.tx_hash] = Lookup(Outcome.FOUND, tx, [answer])
    return answers


def prefetched(
    session: Session,
    investigator: Investigator,
    wanted: list[tuple[Chain, str]],
    listed: dict[Chain, dict[str, Lookup]] | None = None,
) -> Investigator:
    """An investigator for these candidates whose pools already hold their lookups (`listed`: those
    the listing settled already, not looked up again)."""
    listed = listed or {}
    todo = []
    for chain, tx_hash in dict.fromkeys(wanted):
        seen = sightings.load(session, chain, tx_hash)
        if tx_hash in listed.get(chain, {}):
            continue
        if chain in investigator.pools and not (seen is not None and seen.settled):
            todo.append((chain, tx_hash))
    futures = {key: _LOOKUPS.submit(investigator.pools[key[0]].lookup, key[1]) for key in todo}
    answers: dict[Chain, dict[str, Lookup]] = {chain: dict(listed.get(chain, {})) for chain in investigator.pools}
    for (chain, tx_hash), future in futures.items():
        try:
            answers[chain][tx_hash] = future.result()
        except Exception:  # noqa: BLE001 - the investigation asks again itself, and reports what it gets
            log.exception("search: looking up %s ahead failed", tx_hash)
    pools = {chain: PrefetchedPool(pool, answers[chain]) for chain, pool in investigator.pools.items()}
    return replace(investigator, pools=pools)  # type: ignore[arg-type]
