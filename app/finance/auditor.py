"""The deposit auditor's machinery: one loop per process that, for each chain whose lease it holds,
follows new blocks and reconciles due payments; backfill jobs that workers share; the signed
callback per new finding. Several processes may run the loop: the lease lets one follow a chain.
The holder of a chain's lease also audits that chain's payouts (`investigations.audit.payouts`)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.runtime import jobs, metrics
from app.runtime.jobs import Job, JobError
from app.runtime.signing import standard_sign
from chains.assets import AssetRegistry
from chains.base import Chain, ChainError
from chains.blocks import BlockSources
from investigations.audit import cursors
from investigations.audit.follower import DeepReorg, Follower, store_payments
from investigations.audit.models import Finding
from investigations.audit.payouts import audit_payouts
from investigations.audit.reconcile import Reconciler
from investigations.types import utcnow

log = logging.getLogger(__name__)
BACKFILL, CALLBACK = "audit_backfill", "audit_callback"
BACKFILL_JOB_BLOCKS = 100
# Blocks read per provider round: a Bitcoin block is read whole (~2.5 MB once parsed), so a few at a
# time keep the follower small; an Ethereum range shares one batch and one eth_getLogs.
BATCH = {Chain.BTC: 5, Chain.ETH: 10, Chain.TRON: 10}  # TRON: two requests per block, side by side


@dataclass
class Auditor:
    engine: Engine
    sources: dict[Chain, BlockSources]
    reconciler: Reconciler
    owner: str = field(default_factory=jobs.worker_name)
    lease: timedelta = timedelta(seconds=30)
    blocks_per_round: int = 20
    start_heights: dict[Chain, int] = field(default_factory=dict)
    callback_url: str = ""
    callback_secret: str = ""
    clock: Callable[[], datetime] = utcnow

    def follower(self, chain: Chain) -> Follower:
        return Follower(
            chain,
            self.sources[chain],
            self.owner,
            batch=BATCH.get(chain, 10),  # other EVM networks read ranges like Ethereum
            start_height=self.start_heights.get(chain),
            clock=self.clock,
            lease=self.lease,
        )

    def round(self) -> dict[Chain, Any]:
        """One pass over the chains: follow and reconcile those whose lease this process holds."""
        done: dict[Chain, Any] = {}
        for chain in self.sources:
            with Session(self.engine) as session:
                if not cursors.acquire(session, chain, self.owner, now=self.clock(), lease=self.lease):
                    continue
                try:
                    step = self.follower(chain).step(session, max_blocks=self.blocks_per_round)
                    self._share_tip(chain, step.tip)
                    outcome = self.reconciler.run(session, chain, step.tip or 0)
                except cursors.LeaseLost:
                    log.warning("%s: lease lost to another process", chain.value)
                    continue
                except (ChainError, DeepReorg) as exc:
                    log.warning("%s: follower round failed: %s", chain.value, exc)
                    continue
                metrics.AUDIT_BLOCKS.labels(chain.value).inc(step.scanned)
                payouts = audit_payouts(session, self.reconciler.investigator, chain, now=self.clock())
                for finding in [*outcome.new_findings, *payouts.new_findings]:
                    self._queue_callback(session, finding)
                session.commit()
                done[chain] = (step, outcome)
        return done

    def _share_tip(self, chain: Chain, tip: int | None) -> None:
        """The follower's tip serves the lookups too: they need not ask a provider for it."""
        pool = getattr(getattr(self.reconciler, "investigator", None), "pools", {}).get(chain)
        if tip is not None and pool is not None:
            pool.offer_tip(tip)

    def run(self, stop: threading.Event, *, every: float = 10.0) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.round()
            except Exception:  # noqa: BLE001 - the loop must survive a bad round (database hiccup)
                log.exception("auditor round failed")
            stop.wait(max(0.0, every - (time.monotonic() - started)))
        with Session(self.engine) as session:
            for chain in self.sources:
                cursors.release(session, chain, self.owner)

    def _queue_callback(self, session: Session, finding: Finding) -> None:
        if self.callback_url:
            jobs.enqueue(session, CALLBACK, {"finding_id": finding.id})

    def handlers(self) -> dict[str, Callable[[Session, Job], None]]:
        return {BACKFILL: self.backfill, CALLBACK: self.callback}

    def backfill(self, session: Session, job: Job) -> None:
        """Match the blocks of one backfill job (a height range); idempotent, so a retry is harmless."""
        chain, start, end = Chain(job.payload["chain"]), int(job.payload["start"]), int(job.payload["end"])
        try:
            height = start
            while height <= end:
                for block in self.sources[chain].blocks(height, min(BATCH.get(chain, 10), end - height + 1)):
                    store_payments(session, block, now=self.clock())
                    session.commit()
                    metrics.AUDIT_BLOCKS.labels(chain.value).inc()
                    height = block.height + 1
        except ChainError as exc:
            raise JobError(f"backfill {chain.value} {start}-{end}: {exc}", retryable=True) from exc

    def callback(self, session: Session, job: Job) -> None:
        """POST the new finding to AUDIT_CALLBACK_URL, signed as Standard Webhooks."""
        finding = session.get(Finding, job.payload["finding_id"])
        if finding is None or not self.callback_url:
            return
        assets = self.reconciler.investigator.policy.assets
        body = json.dumps({"type": "finding.opened", "finding": finding_json(finding, assets)}).encode()
        webhook_id, timestamp = f"finding_{finding.id}", str(int(time.time()))
        headers = {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "Content-Type": "application/json"}
        if self.callback_secret:
            headers["webhook-signature"] = standard_sign(self.callback_secret, webhook_id, timestamp, body)
        try:
            response = requests.post(self.callback_url, data=body, headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise JobError(f"finding callback failed ({type(exc).__name__})", retryable=True) from exc
        if response.status_code >= 400:
            retry = response.status_code == 429 or response.status_code >= 500
            raise JobError(f"finding callback HTTP {response.status_code}", retryable=retry)


def finding_json(finding: Finding, assets: AssetRegistry) -> dict[str, Any]:
    """A finding as JSON: the amount as a decimal string in the asset's main unit."""
    return {
        "id": finding.id,
        "chain": finding.chain,
        "tx_hash": finding.tx_hash,
        "block_height": finding.block_height,
        "address": finding.address,
        "player_ref": finding.player_ref,
        "asset": finding.asset,
        "amount": assets.for_chain(Chain(finding.chain)).format(finding.amount_base_units, finding.asset),
        "code": finding.code,
        "status": finding.status,
        "found_at": finding.found_at.isoformat(),
        "investigation_id": finding.investigation_id,
        **({"payout_id": finding.payout_id} if finding.payout_id else {}),
    }


def enqueue_backfill(session: Session, chain: Chain, start: int, end: int) -> list[int]:
    """Split a height range into jobs that workers share; the caller commits."""
    if start < 0 or end < start:
        raise ValueError(f"the range {start}..{end} is empty or negative")
    queued = [
        jobs.enqueue(
            session, BACKFILL, {"chain": chain.value, "start": low, "end": min(end, low + BACKFILL_JOB_BLOCKS - 1)}
        )
        for low in range(start, end + 1, BACKFILL_JOB_BLOCKS)
    ]
    session.flush()
    return [job.id for job in queued if job.id is not None]
