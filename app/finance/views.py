"""What finance's pages and routes (the /audit page, its CSV, the findings API) show of a finding: the
same fields, amounts as decimal strings, the verdict card and the player's status link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from app.finance.auditor import finding_json
from chains.base import Chain
from investigations import bounds
from investigations.audit.findings import FINDING_CODES, Filters
from investigations.audit.models import AuditCursor, Finding
from investigations.audit.payouts import PAYOUT_FINDING_CODES
from investigations.models import Investigation
from investigations.service import Investigator

CODES = sorted(code.value for code in FINDING_CODES | PAYOUT_FINDING_CODES)
STATUSES = ("open", "resolved", "withdrawn")
CSV_COLUMNS = (
    "id", "found_at", "age_minutes", "chain", "code", "status", "player_ref", "asset", "amount", "address",
    "tx_hash", "block_height", "ticket_ref", "card_url", "status_url", "resolved_by", "resolution",
)  # fmt: skip


class FilterError(ValueError):
    """A filter value the listing cannot use; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


def filters(
    status: str | None, chain: str | None, code: str | None, player: str | None, min_age_minutes: int | str | None
) -> Filters:
    """Query parameters checked against what exists (a typo is a 422, not an empty list)."""
    status = (status or "open").strip().lower()
    if status not in (*STATUSES, "all"):
        raise FilterError("status", f"must be one of {', '.join(STATUSES)} or all")
    chain = (chain or "").strip().lower() or None
    if chain is not None and chain not in {c.value for c in Chain}:
        raise FilterError("chain", f"must be one of {', '.join(c.value for c in Chain)}")
    code = (code or "").strip().lower() or None
    if code is not None and code not in CODES:
        raise FilterError("code", f"must be one of {', '.join(CODES)}")
    if min_age_minutes is not None:
        try:
            min_age_minutes = bounds.minutes(min_age_minutes, "min_age_minutes")
        except bounds.BoundsError as exc:
            raise FilterError("min_age_minutes", exc.reason) from None
    if player is not None and ("\x00" in player or len(player) > 200):
        raise FilterError("player", "must be at most 200 characters, without a NUL character")
    return Filters(
        status=None if status == "all" else status,
        chain=chain,
        code=code,
        player_ref=(player or "").strip() or None,
        older_than=timedelta(minutes=min_age_minutes) if min_age_minutes else None,
    )


def finding_rows(
    session: Session, findings: Sequence[Finding], investigator: Investigator, base_url: str, *, now: datetime
) -> list[dict[str, Any]]:
    ids = [f.investigation_id for f in findings if f.investigation_id]
    records = (
        {r.id: r for r in session.exec(select(Investigation).where(col(Investigation.id).in_(ids)))} if ids else {}
    )
    assets = investigator.policy.assets
    rows = []
    for finding in findings:
        record = records.get(finding.investigation_id or "")
        rows.append(
            finding_json(finding, assets)
            | {
                "summary": finding.summary,
                "age_minutes": int((now - finding.found_at) / timedelta(minutes=1)),
                "investigation_id": finding.investigation_id,
                "card_url": f"/investigations/{record.id}" if record else None,
                "status_url": f"{base_url}/s/{investigator.status_token(record)}" if record else None,
                "ticket_ref": finding.ticket_ref,
                "resolved_at": finding.resolved_at.isoformat() if finding.resolved_at else None,
                "resolved_by": finding.resolved_by,
                "resolution": finding.resolution,
            }
            | paid_and_credited(finding, record)
        )
    return rows


def paid_and_credited(finding: Finding, record: Investigation | None) -> dict[str, Any]:
    """What the chain paid to the finding's address and what the ledger credited for it (from the
    verdict's evidence), and the difference, as decimal strings; nothing credited is "0"."""
    paid = [
        p
        for p in ((record.evidence or {}).get("paid") or [] if record else [])
        if p.get("address") == finding.address and p.get("asset") == finding.asset
    ]
    if not paid:
        return {"chain_paid": None, "ledger_credited": None, "difference": None}
    try:
        chain_paid = sum((Decimal(str(p.get("amount") or "0")) for p in paid), Decimal(0))
        credited = sum((Decimal(str(p.get("ledger_credited") or "0")) for p in paid), Decimal(0))
    except InvalidOperation:
        return {"chain_paid": None, "ledger_credited": None, "difference": None}
    return {
        "chain_paid": _plain(chain_paid),
        "ledger_credited": _plain(credited),
        "difference": _plain(chain_paid - credited),
    }


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"


def totals(findings: Sequence[Finding], investigator: Investigator) -> dict[str, str]:
    """Decimal totals per asset over the listed findings; an asset of another EVM network than
    Ethereum is its own total (``USDT@bsc``: 18 decimals there, never added to Ethereum's 6)."""
    sums: dict[tuple[str, str], int] = {}
    for finding in findings:
        key = (finding.chain, finding.asset)
        sums[key] = sums.get(key, 0) + finding.amount_base_units
    assets = investigator.policy.assets
    return {
        (asset if chain in ("btc", "eth") else f"{asset}@{chain}"): assets.for_chain(Chain(chain)).format(amount, asset)
        for (chain, asset), amount in sorted(
            sums.items(), key=lambda item: (item[0][1], item[0][0] != "eth", item[0][0])
        )
    }


def coverage(session: Session) -> dict[str, str]:
    """Per chain, the kinds of transfer its providers could not read (empty: everything covered)."""
    rows = {row.chain: row for row in session.exec(select(AuditCursor))}
    followed = [c for c in Chain if c in (Chain.BTC, Chain.ETH) or c.value in rows]  # others (TRON…) once followed
    return {chain.value: rows[chain.value].uncovered if chain.value in rows else "" for chain in followed}
