"""Matched payments through the existing engine: once a payment is confirmed under the chain's
policy and the grace for the casino's own processor has passed, the Investigator decides it as if
a ticket named the tx and the casino address; four verdicts become findings. Open findings the
ledger now credits are resolved."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from chains.base import Chain
from investigations.audit.findings import LEDGER, NOT_DECIDED, is_finding, settled_by_ledger
from investigations.audit.models import CHECKED, MATCHED, OPEN, RESOLVED, AuditPayment, Finding
from investigations.ledger import LedgerDeposit
from investigations.models import Investigation
from investigations.service import InvalidInput, InvestigationRequest, Investigator

log = logging.getLogger(__name__)
RETRY = timedelta(minutes=2)  # a payment whose verdict is not decided yet (confirming, unavailable)


@dataclass
class Round:
    checked: int = 0
    new_findings: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)


@dataclass
class Reconciler:
    investigator: Investigator
    grace: timedelta = timedelta(minutes=30)
    clock: Callable[[], datetime] | None = None  # default: the investigator's clock

    def now(self) -> datetime:
        return (self.clock or self.investigator.clock)()

    def run(self, session: Session, chain: Chain, tip_height: int, *, limit: int = 50) -> Round:
        result = Round()
        self._check_due(session, chain, tip_height, limit, result)
        self._resolve_credited(session, chain, result)
        return result

    def _check_due(self, session: Session, chain: Chain, tip_height: int, limit: int, result: Round) -> None:
        now = self.now()
        required = self.investigator.policy.required_confirmations[chain]
        if chain is Chain.TRON:
            required = 1  # TRON's tip here is the solidified block: final already
        due = session.exec(
            select(AuditPayment)
            .where(
                AuditPayment.status == MATCHED,
                AuditPayment.chain == chain.value,
                col(AuditPayment.block_height) <= tip_height - required + 1,
                func.coalesce(col(AuditPayment.block_time), col(AuditPayment.matched_at)) <= now - self.grace,
                or_(col(AuditPayment.check_after).is_(None), col(AuditPayment.check_after) <= now),
            )
            .order_by(col(AuditPayment.id))
            .limit(limit * 4)
        ).all()
        groups: dict[tuple[str, str], list[AuditPayment]] = defaultdict(list)
        for payment in due:
            groups[(payment.tx_hash, payment.address)].append(payment)
        for payments in list(groups.values())[:limit]:
            self._check(session, chain, payments, result)
            result.checked += 1

    def _check(self, session: Session, chain: Chain, payments: list[AuditPayment], result: Round) -> None:
        first = payments[0]
        earlier = session.get(Investigation, first.investigation_id) if first.investigation_id else None
        try:
            if earlier is not None:
                record = self.investigator.recheck(session, earlier)
            else:
                request = InvestigationRequest(first.tx_hash, first.address, chain.value, first.player_ref)
                record = self.investigator.investigate(session, request)
        except InvalidInput as exc:
            log.error("audited payment %s cannot be investigated: %s", first.id, exc)
            for payment in payments:
                payment.status, payment.code = CHECKED, "invalid_input"
                session.add(payment)
            session.commit()
            return
        now = self.now()
        for payment in payments:
            payment.investigation_id, payment.code = record.id, record.code
            if record.code in NOT_DECIDED:
                payment.check_after = now + RETRY
            else:
                payment.status = CHECKED
                if is_finding(record.code):
                    finding = Finding(
                        payment_id=payment.id or 0,
                        chain=payment.chain,
                        tx_hash=payment.tx_hash,
                        block_height=payment.block_height,
                        address=payment.address,
                        player_ref=payment.player_ref,
                        asset=payment.asset,
                        amount_base_units=payment.amount_base_units,
                        code=record.code,
                        summary=str(record.verdict.get("summary", ""))[:500],
                        investigation_id=record.id,
                        found_at=now,
                    )
                    session.add(finding)
                    result.new_findings.append(finding)
            session.add(payment)
        session.commit()
        for finding in result.new_findings:
            session.refresh(finding)

    def _resolve_credited(self, session: Session, chain: Chain, result: Round) -> None:
        open_findings = session.exec(select(Finding).where(Finding.status == OPEN, Finding.chain == chain.value)).all()
        if not open_findings:
            return
        hashes = sorted({f.tx_hash for f in open_findings})
        rows: list[LedgerDeposit] = []
        for start in range(0, len(hashes), 500):
            rows += session.exec(
                select(LedgerDeposit).where(
                    LedgerDeposit.chain == chain.value, col(LedgerDeposit.tx_hash).in_(hashes[start : start + 500])
                )
            ).all()
        now = self.now()
        for finding in open_findings:
            if settled_by_ledger(finding, rows):
                finding.status, finding.resolved_at, finding.resolved_by = RESOLVED, now, LEDGER
                finding.resolution = "credited in the ledger"
                session.add(finding)
                result.resolved.append(finding)
        session.commit()
        for finding in result.resolved:  # the verdict card behind it says credited too
            record = session.get(Investigation, finding.investigation_id) if finding.investigation_id else None
            if record is not None:
                self.investigator.recheck(session, record)
