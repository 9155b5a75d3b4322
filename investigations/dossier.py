"""The evidence file of one investigation, for a dispute: what was asked, every verdict with its
time and the facts it rested on, each provider's answer as received, the ledger rows used, the
policy in force and explorer links. A plain dict; signing it is the app's business."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from chains.base import Chain
from investigations import provider_log, verdict_log
from investigations.ledger import deposits_for_tx
from investigations.models import Investigation
from investigations.payouts import payout_by_id
from investigations.verdicts import Policy

FORMAT = "depositdesk-evidence/1"


def build(session: Session, record: Investigation, policy: Policy, *, now: datetime, service: str) -> dict[str, Any]:
    checks = verdict_log.for_investigation(session, record.id)
    evidence_by_check = {check.id: check.verdict.get("evidence") or {} for check in checks}
    chain = Chain(record.chain)
    return {
        "format": FORMAT,
        "service": service,
        "generated_at": now.isoformat(),
        "investigation": record.id,
        "request": {
            "received_at": record.created_at.isoformat(),
            "channel": record.channel,
            "chain": record.chain,
            "tx_hash": record.tx_hash,
            "address": record.address,
            "player_ref": record.player_ref,
            "ticket_ref": record.ticket_ref,
        },
        "current_verdict": {**record.verdict, "evidence": record.evidence},
        "verdicts": _verdicts(record, checks),
        "provider_answers": [
            _answer(row, evidence_by_check) for row in provider_log.for_investigation(session, record.id)
        ],
        "ledger_rows_used": record.evidence.get("ledger", []),
        "ledger_rows_now": [_ledger_row(row, policy) for row in deposits_for_tx(session, chain, record.tx_hash)],
        "policy": _policy(policy, chain),
        "explorer_links": _explorer_links(record, policy, chain),
        **({"payout_record_now": _payout_row(session, record.payout_id, policy)} if record.payout_id else {}),
    }


def _payout_row(session: Session, payout_id: str, policy: Policy) -> dict[str, Any] | None:
    """The casino's payout record as it is now (the verdicts hold it as it was when judged)."""
    row = payout_by_id(session, payout_id)
    if row is None:
        return None
    fee = row.network_fee_base_units
    return {
        "payout_id": row.payout_id,
        "status": row.status,
        "player_ref": row.player_ref,
        "to_address": row.to_address,
        "asset": row.asset,
        "amount": policy.assets.format(row.amount_base_units, row.asset),
        "network_fee": policy.assets.format(fee, row.asset) if fee is not None else None,
        "tx_hash": row.tx_hash,
        "requested_at": row.requested_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def _verdicts(record: Investigation, checks: list[verdict_log.VerdictEvent]) -> list[dict[str, Any]]:
    if checks:
        return [
            {
                "check": check.id,
                "at": check.at.isoformat(),
                "kind": check.kind,
                "code": check.code,
                "final": check.final,
                "previous_code": check.previous_code,
                "summary": check.verdict.get("summary"),
                "action": check.verdict.get("action"),
                "evidence": check.verdict.get("evidence") or {},
            }
            for check in checks
        ]
    # Investigations from before every check was kept: the codes of the history, then the current verdict.
    earlier = [{"at": h.get("at"), "code": h.get("code"), "final": h.get("final")} for h in record.history or []]
    checked_at = record.verdict.get("checked_at") or record.created_at.isoformat()
    return earlier + [{"at": checked_at, "code": record.code, "final": record.final, "evidence": record.evidence}]


def _answer(row: provider_log.ProviderExchange, evidence_by_check: dict[int | None, dict[str, Any]]) -> dict[str, Any]:
    kept = row.body is not None
    answer: dict[str, Any] = {
        "check": row.check_id,
        "at": row.at.isoformat(),
        "provider": row.provider,
        "method": row.method,
        "url": row.url,
        "request": provider_log.body_text(row.request_body),
        "status": row.status,
        "answered": row.answered,
        "latency_ms": row.latency_ms,
        "error": row.error,
        "body_sha256": row.body_sha256,
        "body_kept": kept,
        "body": provider_log.body_text(row.body),
    }
    if not kept:  # past the retention period: what was read from it stays, with the hash of the original
        answer["parsed"] = evidence_by_check.get(row.check_id, {}).get("tx")
    return answer


def _ledger_row(row: Any, policy: Policy) -> dict[str, Any]:
    return {
        "address": row.address,
        "asset": row.asset,
        "amount": policy.assets.for_chain(Chain(row.chain)).format(row.amount_base_units, row.asset),
        "status": row.status,
        "player_ref": row.player_ref,
        "index": row.output_index,
        "credited_at": row.credited_at.isoformat() if row.credited_at else None,
    }


def _policy(policy: Policy, chain: Chain) -> dict[str, Any]:
    return {
        "chain": chain.value,
        "required_confirmations": {c.value: n for c, n in policy.required_confirmations.items()},
        "finality": {c.value: f for c, f in policy.finality.items()},
        "min_deposits": {key: _minimum(policy, key, amount) for key, amount in policy.min_deposits.items()},
    }


def _minimum(policy: Policy, key: str, amount: int) -> str:
    """A MIN_DEPOSITS entry as a decimal: ``USDT@bsc`` in BSC's decimals, ``USDT`` in its first chain's."""
    symbol, _, network = key.partition("@")
    assets = policy.assets.for_chain(Chain(network)) if network in {c.value for c in Chain} else policy.assets
    return assets.format(amount, symbol)


def _explorer_links(record: Investigation, policy: Policy, chain: Chain) -> list[str]:
    links = [policy.explorer_tx_url[chain].format(tx_hash=record.tx_hash)] if record.tx_hash else []
    for key in ("explorer_url", "replacement_explorer_url"):
        url = record.evidence.get(key)
        if isinstance(url, str) and url not in links:
            links.append(url)
    on_network = record.evidence.get("explorer_links") or {}  # EVM: addresses and tokens on its explorer
    for url in [on_network.get("tx"), *on_network.get("addresses", []), *on_network.get("tokens", [])]:
        if isinstance(url, str) and url not in links:
            links.append(url)
    found = (record.evidence.get("found_on") or {}).get("explorer")  # wrong_network: where it was paid
    if isinstance(found, str) and found not in links:
        links.append(found)
    return links


def pretty(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
