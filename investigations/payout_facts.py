"""Gathering a payout's chain facts for `verdicts.decide_payout` (called by the investigation service).

The record's tx is looked up on its chain's providers; what was seen of it before (`sightings`) tells
a replacement or a drop from a tx never broadcast: on Bitcoin a replacement spends one of its inputs,
on EVM networks its nonce is mined in another tx (named by Otterscan's sender-and-nonce index). A
replacement is followed and gathered the same way, so the decision can judge it as the payout. A
mempool tx comes with the fee market of its chain (Esplora fee estimates and mempool; the base fee).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from chains.base import Chain, ChainError, ChainTx, Outpoint, TxStatus
from chains.fees import FeeMarket
from chains.providers import Lookup, Outcome, ProviderAnswer, ProviderPool
from investigations import sightings
from investigations.sightings import TxSighting
from investigations.verdicts import Payout, PayoutFacts

DROP_GRACE_MINUTES = 10
MAX_REPLACEMENTS = 3  # a replacement of a replacement of a replacement is followed, no further


def gather(
    session: Session,
    pool: ProviderPool,
    payout: Payout,
    *,
    now: datetime,
    settled: Callable[[ChainTx], bool],
    depth: int = 0,
) -> PayoutFacts:
    """The facts of `payout` as its record names them now. `settled(tx)` says when facts may be cached."""
    facts = PayoutFacts(now=now)
    if not payout.tx_hash:
        return facts
    sighting = sightings.load(session, payout.chain, payout.tx_hash)
    if sighting is not None and sighting.settled:
        detail = f"settled in block {sighting.block_height}; not asked again"
        facts.lookup = Lookup(Outcome.FOUND, sighting.tx, [ProviderAnswer("cache", "confirmed", detail)], cached=True)
        facts.history = list(sighting.history)
        return facts
    lookup = pool.lookup(payout.tx_hash)
    facts.lookup = lookup
    tx = lookup.tx
    if tx is not None:
        done = settled(tx) and not lookup.disputed
        sighting = sightings.record_seen(session, sighting, tx, now=now, settled=done, trace="not_needed")
        facts.history = list(sighting.history)
        if tx.status is TxStatus.MEMPOOL:
            facts.fee_market = _fee_market(pool)
        return facts
    if sighting is None or lookup.outcome is not Outcome.NOT_FOUND:
        return facts
    facts.history = list(sighting.history)
    facts.previously_seen = {
        "status": sighting.status,
        "block_height": sighting.block_height,
        "seen_at": sighting.last_seen_at.isoformat(),
    }
    replacement, checked = _replacement(pool, payout.chain, sighting)
    if replacement is not None:
        facts.replaced_by = replacement
        sightings.record_gone(session, sighting, now=now, status="replaced")
        if replacement != "unknown" and depth < MAX_REPLACEMENTS:
            facts.replacement = gather(
                session, pool, replace(payout, tx_hash=replacement), now=now, settled=settled, depth=depth + 1
            )
        return facts
    if (
        checked
        and not sighting.was_confirmed
        and (now - sighting.last_seen_at).total_seconds() >= DROP_GRACE_MINUTES * 60
    ):
        facts.dropped = True
        sightings.record_gone(session, sighting, now=now, status="dropped")
    return facts


def _fee_market(pool: ProviderPool) -> FeeMarket | None:
    try:
        return pool.first_answer("fee_market")
    except ChainError:
        return None


def _replacement(pool: ProviderPool, chain: Chain, sighting: TxSighting) -> tuple[str | None, bool]:
    """The tx that took the place of the one we saw ("unknown" when unnamed), and whether we could check."""
    seen = sighting.tx
    if chain is Chain.BTC:
        checked = True
        for outpoint in seen.inputs:
            spend = pool.spend_of(Outpoint(outpoint.txid, outpoint.vout))
            if spend is None:
                checked = False
            elif spend.spent and spend.spending_txid != seen.tx_hash:
                return spend.spending_txid or "unknown", True
        return None, checked
    if seen.signer is None or seen.nonce is None:
        return None, False
    try:
        mined = pool.first_answer("mined_nonce", seen.signer)
    except ChainError:
        mined = None
    if mined is None:
        return None, False
    if mined <= seen.nonce:
        try:
            pending = pool.first_answer("mined_nonce", seen.signer, "pending")
        except ChainError:
            pending = None
        if pending is not None and pending > seen.nonce:
            return "unknown", True  # another tx with its nonce waits in the mempool: a replacement on its way
        return None, pending is not None  # its nonce is still free: nothing replaced it (yet)
    try:
        named = pool.first_answer("tx_by_sender_and_nonce", seen.signer, seen.nonce)
    except ChainError:
        named = None
    if named == seen.tx_hash:
        return None, False  # mined as itself, yet unknown now: the providers are behind, not a replacement
    return named or "unknown", True
