"""The findings rules: which verdicts of an audited payment become findings, and how a finding
ends — resolved when the ledger credits it (or by an agent, with a reason), withdrawn when a
reorg removes its payment from the chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from chains.base import Chain
from investigations.audit.models import OPEN, RESOLVED, WITHDRAWN, AuditPayment, Finding
from investigations.ledger import LedgerDeposit
from investigations.verdicts import NEVER_FINAL, Code

FINDING_CODES = {
    Code.CONFIRMED_NOT_CREDITED,
    Code.AMOUNT_MISMATCH,
    Code.UNSUPPORTED_ASSET,
    Code.BELOW_MINIMUM,
    Code.WRONG_NETWORK,  # issue 23: paid on BSC to an address issued for Ethereum; treasury recovers it
}
NOT_DECIDED = {code.value for code in NEVER_FINAL}  # asked again later: confirming, reorged, unavailable…
LEDGER = "ledger"


class FindingError(ValueError):
    """A resolve that cannot be done (unknown finding, not open, no reason)."""


def is_finding(code: str) -> bool:
    return code in {c.value for c in FINDING_CODES}


def credited_amount(finding: Finding, rows: Sequence[LedgerDeposit]) -> int:
    return sum(
        row.amount_base_units
        for row in rows
        if row.status == "credited"
        and row.tx_hash == finding.tx_hash
        and row.address == finding.address
        and row.asset == finding.asset
    )


def settled_by_ledger(finding: Finding, rows: Sequence[LedgerDeposit]) -> bool:
    """The ledger now credits exactly what the chain paid that address in that asset."""
    return credited_amount(finding, rows) == finding.amount_base_units


def resolve(session: Session, finding_id: int, *, by: str, reason: str, now: datetime) -> Finding:
    """An agent closes an open finding, saying why; the caller commits."""
    reason = (reason or "").strip()
    if not reason:
        raise FindingError("a reason is needed to resolve a finding")
    if len(reason) > 1000:
        raise FindingError("the reason is longer than 1000 characters")
    finding = session.get(Finding, finding_id, populate_existing=True)
    if finding is None:
        raise FindingError(f"no finding {finding_id}")
    if finding.status != OPEN:
        raise FindingError(f"finding {finding_id} is {finding.status}, not open")
    finding.status, finding.resolved_at, finding.resolved_by, finding.resolution = RESOLVED, now, by, reason
    session.add(finding)
    return finding


def withdraw(session: Session, chain: Chain, block_hashes: Sequence[str], *, now: datetime) -> int:
    """Payments in orphaned blocks, and their open findings, are withdrawn; the caller commits."""
    if not block_hashes:
        return 0
    payments = session.exec(
        select(AuditPayment.id).where(
            AuditPayment.chain == chain.value,
            col(AuditPayment.block_hash).in_(list(block_hashes)),
            AuditPayment.status != WITHDRAWN,
        )
    ).all()
    if not payments:
        return 0
    session.execute(update(AuditPayment).where(col(AuditPayment.id).in_(payments)).values(status=WITHDRAWN))
    session.execute(
        update(Finding)
        .where(col(Finding.payment_id).in_(payments), Finding.status == OPEN)
        .values(status=WITHDRAWN, resolved_at=now, resolved_by="reorg", resolution="its block left the main chain")
    )
    return len(payments)


def for_ticket(session: Session, chain: str, tx_hash: str, ticket_ref: str, *, at: datetime) -> list[Finding]:
    """The open findings about a tx a ticket names; each is linked to the (first) ticket about it."""
    rows = session.exec(
        select(Finding).where(Finding.chain == chain, Finding.tx_hash == tx_hash, Finding.status == OPEN)
    ).all()
    for finding in rows:
        if finding.ticket_ref is None:
            finding.ticket_ref, finding.ticket_at = ticket_ref, at
            session.add(finding)
    return list(rows)


def minutes_before(finding: Finding, written_at: datetime) -> int:
    """How many minutes the finding came before the player wrote (0 if after)."""
    return max(0, int((written_at - finding.found_at) / timedelta(minutes=1)))


@dataclass(frozen=True)
class Filters:
    status: str | None = OPEN
    chain: str | None = None
    code: str | None = None
    player_ref: str | None = None
    older_than: timedelta | None = None


def listing(session: Session, filters: Filters, *, now: datetime, limit: int = 200, offset: int = 0) -> list[Finding]:
    """Findings, oldest first (the one waiting longest on top)."""
    query = select(Finding).order_by(col(Finding.found_at), col(Finding.id))
    if filters.status:
        query = query.where(Finding.status == filters.status)
    if filters.chain:
        query = query.where(Finding.chain == filters.chain)
    if filters.code:
        query = query.where(Finding.code == filters.code)
    if filters.player_ref:
        query = query.where(Finding.player_ref == filters.player_ref)
    if filters.older_than is not None:
        query = query.where(col(Finding.found_at) <= now - filters.older_than)
    return list(session.exec(query.offset(offset).limit(limit)))


def totals(rows: Sequence[Finding]) -> dict[str, int]:
    """Base units per asset over these findings."""
    sums: dict[str, int] = {}
    for row in rows:
        sums[row.asset] = sums.get(row.asset, 0) + row.amount_base_units
    return sums
