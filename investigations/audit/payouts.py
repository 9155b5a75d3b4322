"""The payout auditor: every approved or sent payout is judged before the player writes.

A payout becomes a finding when finance must act — approved (or sent) with no tx known to the chain
after `PAYOUT_GRACE_MINUTES`, stuck under the fee horizon, sent to another address or amount,
reverted, dropped, or cancelled by a replacement — and its finding is resolved when the payout
confirms (delivered, or confirming to the record's address). One open finding per payout at a time;
its code follows the payout's latest verdict. Each payout keeps one auditor investigation, re-checked
when due, so the auditor adds one verdict log line per check, not one investigation per round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from chains.base import Chain, ChainError
from investigations.audit.models import OPEN, RESOLVED, Finding
from investigations.models import Investigation
from investigations.payouts import PayoutRecord, payouts_to_watch
from investigations.service import InvalidInput, Investigator
from investigations.verdicts import PayoutCode

AUDIT_CHANNEL = "audit"
# What finance must act on; payout_not_sent only once the grace is over (the verdict says "Escalate").
PAYOUT_FINDING_CODES = {
    PayoutCode.NOT_SENT,
    PayoutCode.STUCK,
    PayoutCode.WRONG_ADDRESS,
    PayoutCode.AMOUNT_DIFFERS,
    PayoutCode.FAILED,
    PayoutCode.DROPPED,
    PayoutCode.REPLACED,
}
SETTLED = {PayoutCode.DELIVERED, PayoutCode.CONFIRMING}
WATCH_DAYS = 7  # payouts requested longer ago are left to the findings already raised


@dataclass
class PayoutAudit:
    new_findings: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    checked: int = 0


def needs_finance(record: Investigation) -> bool:
    """The payout's verdict is one finance must act on now (the decision says so in its evidence)."""
    return record.code in {c.value for c in PAYOUT_FINDING_CODES} and bool(
        (record.evidence or {}).get("finance_must_act")
    )


def audit_payouts(
    session: Session, investigator: Investigator, chain: Chain, *, now: datetime, limit: int = 200
) -> PayoutAudit:
    """One pass over the chain's approved and sent payouts; the caller commits."""
    outcome = PayoutAudit()
    for payout in payouts_to_watch(session, chain, since=now - timedelta(days=WATCH_DAYS), limit=limit):
        record = _judged(session, investigator, payout, now=now)
        if record is None:
            continue
        outcome.checked += 1
        finding = session.exec(
            select(Finding).where(Finding.payout_id == payout.payout_id, Finding.status == OPEN)
        ).first()
        if needs_finance(record):
            if finding is None:
                finding = _open(payout, record, now=now)
                session.add(finding)
                session.flush()
                outcome.new_findings.append(finding)
            elif finding.code != record.code or finding.investigation_id != record.id:
                finding.code, finding.summary = record.code, str(record.verdict.get("summary", ""))[:500]
                finding.tx_hash, finding.investigation_id = payout.tx_hash or "", record.id
                session.add(finding)
        elif finding is not None and record.code in {c.value for c in SETTLED}:
            finding.status, finding.resolved_at, finding.resolved_by = RESOLVED, now, "chain"
            finding.resolution = f"the payout confirmed ({record.code})"
            session.add(finding)
            outcome.resolved.append(finding)
    return outcome


def _judged(
    session: Session, investigator: Investigator, payout: PayoutRecord, *, now: datetime
) -> Investigation | None:
    """The auditor's investigation of the payout, re-checked when due (or made on the first pass)."""
    record = session.exec(
        select(Investigation)
        .where(Investigation.payout_id == payout.payout_id, Investigation.channel == AUDIT_CHANNEL)
        .order_by(col(Investigation.created_at).desc())
    ).first()
    try:
        if record is None:
            return investigator.investigate_payout(session, payout, channel=AUDIT_CHANNEL)
        changed = (record.tx_hash or "") != (payout.tx_hash or "")
        due = not record.final and (record.next_check_at is None or record.next_check_at <= now)
        if changed or due:
            return investigator.recheck(session, record)
        return record
    except (ChainError, InvalidInput):
        session.rollback()
        return None


def _open(payout: PayoutRecord, record: Investigation, *, now: datetime) -> Finding:
    tx = (record.evidence or {}).get("tx") or {}
    return Finding(
        payment_id=None,
        payout_id=payout.payout_id,
        chain=payout.chain,
        tx_hash=payout.tx_hash or "",
        block_height=tx.get("block_height"),
        address=payout.to_address,
        player_ref=payout.player_ref,
        asset=payout.asset,
        amount_base_units=payout.amount_base_units,
        code=record.code,
        summary=str(record.verdict.get("summary", ""))[:500],
        investigation_id=record.id,
        found_at=now,
    )
