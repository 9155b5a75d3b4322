"""The player's status link: `/s/{token}` (HTML) and `/api/status/{token}` (JSON with an ETag).

No login; the token is the only key. Unknown, expired and revoked tokens all answer the same
404. A page view re-checks the chain only when the investigation is due, and only one viewer
does it (the others see the current state): many viewers of one link cost one lookup.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Column, MetaData, String, Table, or_
from sqlmodel import Session, select

from app.players.words import (
    LANG_COOKIE,
    NETWORKS,
    PERSON_CODES,
    SUPPORT_MESSAGE,
    confirmations_label,
    eta_label,
    pick_language,
    state_label,
)
from app.runtime.db import SessionDep
from app.runtime.pages import secure, symbol, templates, tone
from chains.base import Chain, ChainError
from investigations import catalogs, rechecks, status_links
from investigations.audit.models import Finding
from investigations.messages import reply_for
from investigations.models import Investigation
from investigations.verdicts import Code, PayoutCode

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, tags=["players"])
CLAIM = timedelta(seconds=30)

_STATE_OF = {
    Code.PENDING: "received",
    Code.CONFIRMING: "confirming",
    Code.CONFIRMED_NOT_CREDITED: "confirmed",
    Code.CREDITED: "credited",
    Code.NOT_FOUND: "checking",
    Code.PROVIDER_UNAVAILABLE: "checking",
    Code.REORGED: "checking",
}


# The helpdesks room's table, named by the one column read here (a room imports no other room).
_ticket_links = Table("ticket_links", MetaData(), Column("investigation_id", String))


def handed_on(session: Session, record: Investigation) -> bool:
    """Whether someone has the case: a finance finding for this payment, or a helpdesk ticket on it.
    Only then may a reply say it was passed on (issue 30)."""
    about = [Finding.investigation_id == record.id]
    if record.payout_id:
        about.append(Finding.payout_id == record.payout_id)
    else:
        about.append((Finding.chain == record.chain) & (Finding.tx_hash == record.tx_hash))
    if session.exec(select(Finding.id).where(or_(*about)).limit(1)).first() is not None:
        return True
    ticket = select(_ticket_links.c.investigation_id).where(_ticket_links.c.investigation_id == record.id).limit(1)
    return session.exec(ticket).first() is not None  # type: ignore[call-overload]


def _find(session: Session, request: Request, token: str) -> Investigation | None:
    if not 20 <= len(token) <= 128:
        return None
    record = session.exec(
        select(Investigation).where(Investigation.status_token_hash == status_links.token_hash(token))
    ).first()
    now = request.app.state.investigator.clock()
    return record if status_links.usable(record, now) else None


def _limited(request: Request, token: str) -> bool:
    limits = request.app.state.status_limits
    client = request.client.host if request.client else "unknown"
    return not (limits["ip"].allow(client) and limits["token"].allow(status_links.token_hash(token)))


def _refresh(session: Session, request: Request, record: Investigation) -> Investigation:
    """Re-check when due, claimed atomically so concurrent viewers cause a single lookup."""
    investigator = request.app.state.investigator
    now = investigator.clock()
    if record.final or record.next_check_at is None or record.next_check_at > now:
        return record
    if not rechecks.claim(session, record.id, now, CLAIM):
        session.refresh(record)
        return record
    try:
        record = investigator.recheck(session, record)
    except ChainError:
        log.exception("status page re-check of %s failed", record.id)
        session.rollback()
        session.refresh(record)
        return record
    request.app.state.work.after_recheck(session, record)  # tickets that asked hear of the change too
    return record


def own_payment(record: Investigation) -> dict[str, Any] | None:
    """The payment that is the ticket player's own, or None when it is not known to be theirs.

    With a player on the ticket, only a payment to that player's address; without one, only when
    every paid casino address belongs to one player (a batch payout to several is not anyone's yet)."""
    evidence = record.evidence or {}
    paid = evidence.get("paid") or []
    if evidence.get("ambiguous_players") or not paid:
        return None
    owners = {entry.get("player_ref") for entry in paid}
    if record.player_ref is not None:
        paid = [entry for entry in paid if entry.get("player_ref") == record.player_ref]
    elif len(owners) != 1:
        return None
    return paid[0] if paid else None


def _which_payment(record: Investigation, lang: str) -> dict[str, Any]:
    """A tx paying several players and a ticket that names none: no state, no amount, no reply."""
    body: dict[str, Any] = {
        "state": "which_payment",
        "final": False,
        "asset": None,
        "amount": None,
        "network": NETWORKS.get(record.chain, record.chain),
        "confirmations": None,
        "required": None,
        "tx_short": f"{record.tx_hash[:10]}…{record.tx_hash[-6:]}",
        "explorer_url": None,
        "message": None,
        "checked_at": ((record.evidence or {}).get("checked_at") or record.created_at.isoformat())[:16].replace(
            "T", " "
        )
        + " UTC",
    }
    body["etag"] = hashlib.sha256(json.dumps([body, lang], sort_keys=True).encode()).hexdigest()[:32]
    return body


_PAYOUT_STATE_OF = {
    PayoutCode.NOT_SENT: "withdrawal_processing",
    PayoutCode.PENDING: "withdrawal_sent",
    PayoutCode.STUCK: "withdrawal_sent",
    PayoutCode.REPLACED: "withdrawal_sent",
    PayoutCode.CONFIRMING: "withdrawal_confirming",
    PayoutCode.DELIVERED: "withdrawal_delivered",
    Code.PROVIDER_UNAVAILABLE: "checking",
}


def payout_view(record: Investigation, lang: str, *, passed_on: bool = False) -> dict[str, Any]:
    """A withdrawal as its player may see it: state, ETA, amount, network — never the casino's internal
    reason (a wrong address, a fee too low) nor the player's address."""
    evidence = record.evidence or {}
    payout = evidence.get("payout") or {}
    code = record.code
    state = _PAYOUT_STATE_OF.get(code, "passed_on" if passed_on else "needs_support")  # type: ignore[call-overload]
    tx = evidence.get("tx") or {}
    confirming = code == PayoutCode.CONFIRMING
    eta = (
        evidence.get("eta_minutes")
        if code in (PayoutCode.PENDING, PayoutCode.CONFIRMING, PayoutCode.REPLACED)
        else None
    )
    body = {
        "kind": "withdrawal",
        "state": state,
        "final": record.final,
        "asset": payout.get("asset"),
        "amount": payout.get("amount"),
        "network": NETWORKS.get(record.chain, record.chain),
        "confirmations": int(tx.get("confirmations") or 0) if confirming else None,
        "required": tx.get("required_confirmations") if confirming else None,
        "eta_minutes": eta,
        "tx_short": f"{record.tx_hash[:10]}…{record.tx_hash[-6:]}" if record.tx_hash else None,
        "explorer_url": evidence.get("explorer_url") if record.tx_hash else None,
        "message": reply_for(record.verdict, lang, handed_on=passed_on),
        "checked_at": (evidence.get("checked_at") or record.created_at.isoformat())[:16].replace("T", " ") + " UTC",
    }
    body["etag"] = hashlib.sha256(json.dumps([body, lang], sort_keys=True).encode()).hexdigest()[:32]
    return body


def view(record: Investigation, lang: str, *, passed_on: bool = False) -> dict[str, Any]:
    """What the player may see: no player reference, no full address, no internal reasons, and
    never a state or an amount that is not the player's own. `passed_on`: a finding or a ticket
    exists (`handed_on`), so the state and the reply may say someone has it."""
    if record.payout_id:
        return payout_view(record, lang, passed_on=passed_on)
    evidence = record.evidence or {}
    if evidence.get("ambiguous_players"):
        return _which_payment(record, lang)
    tx = evidence.get("tx") or {}
    paid = own_payment(record)
    code = record.code
    state = _state(Code(code), passed_on)
    required = tx.get("required_confirmations") if code in (Code.PENDING, Code.CONFIRMING) else None
    confirmations = int(tx.get("confirmations") or 0)
    body = {
        "state": state,
        "final": record.final,
        "asset": paid["asset"] if paid else None,
        "amount": paid["amount"] if paid else None,
        "network": NETWORKS.get(record.chain, record.chain),
        "confirmations": confirmations if required else None,
        "required": required,
        "tx_short": f"{record.tx_hash[:10]}…{record.tx_hash[-6:]}",
        "explorer_url": evidence.get("explorer_url"),
        "message": _message(record, state, lang, passed_on),
        "checked_at": (evidence.get("checked_at") or record.created_at.isoformat())[:16].replace("T", " ") + " UTC",
    }
    body["etag"] = hashlib.sha256(json.dumps([body, lang], sort_keys=True).encode()).hexdigest()[:32]
    return body


def _state(code: Code, passed_on: bool) -> str:
    """One state per case, and the message says the same: "confirmed" (someone is crediting it) only
    once a finding or a ticket exists; a case a person must look at is "passed_on" then, else "needs_support"."""
    if code is Code.CONFIRMED_NOT_CREDITED and not passed_on:
        return "confirmed_waiting"
    return _STATE_OF.get(code, "passed_on" if passed_on else "needs_support")


def _message(record: Investigation, state: str, lang: str, passed_on: bool) -> str:
    if state == "needs_support" and record.code in PERSON_CODES:
        return catalogs.translations(lang).gettext(SUPPORT_MESSAGE)
    return reply_for(record.verdict, lang, handed_on=passed_on)


def _eta_minutes(request: Request, record: Investigation, data: dict[str, Any]) -> int | None:
    """Minutes until the confirmations needed, from the chain's block time (shown beside the bar)."""
    if not data.get("required"):
        return None
    seconds_per_block = request.app.state.investigator.policy.block_seconds.get(Chain(record.chain), 600)
    remaining = max(int(data["required"]) - int(data["confirmations"] or 0), 0)
    return max(1, -(-(remaining or 1) * seconds_per_block // 60))


def _brand(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {"name": settings.brand_name, "logo": settings.brand_logo_url, "support": settings.support_url}


def _allow_logo(response: Response, logo: str) -> Response:
    """The strict CSP allows images from this host only; a BRAND_LOGO_URL elsewhere is allowed by origin."""
    parts = urlsplit(logo)
    if parts.scheme == "https" and parts.netloc:
        csp = response.headers["Content-Security-Policy"]
        response.headers["Content-Security-Policy"] = csp.replace(
            "img-src 'self' data:", f"img-src 'self' data: https://{parts.netloc}"
        )
    return response


@router.get("/s/{token}")
def status_page(token: str, request: Request, session: SessionDep) -> Response:
    lang = pick_language(request)
    if _limited(request, token):
        return _gone(request, lang, 429)
    record = _find(session, request, token)
    if record is None:
        return _gone(request, lang, 404)
    record = _refresh(session, request, record)
    data = view(record, lang, passed_on=handed_on(session, record))
    shown = Code.PROVIDER_UNAVAILABLE if data["state"] == "which_payment" else record.code  # a neutral "wait"
    data |= {
        "state_text": state_label(lang, data["state"]),
        "tone": tone(shown),
        "symbol": symbol(shown),
        "confirmations_text": confirmations_label(lang, data["confirmations"] or 0, data["required"] or 0),
        "eta_text": eta_label(lang, data["eta_minutes"]) if data.get("eta_minutes") else None,
    }
    poll_ms = int(request.app.state.settings.status_poll_seconds * 1000)
    brand = _brand(request)
    context = {
        "view": data,
        "lang": lang,
        "token": token,
        "poll_ms": poll_ms,
        "brand": brand,
        "eta_minutes": _eta_minutes(request, record, data),
        "checked_iso": (record.evidence or {}).get("checked_at") or record.created_at.isoformat(),
    }
    response = templates.TemplateResponse(request, "players/status.html", context)
    if request.query_params.get("lang", "").lower() == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return _allow_logo(secure(response, public=True), brand["logo"])


@router.get("/api/status/{token}")
def status_json(token: str, request: Request, session: SessionDep) -> Response:
    lang = pick_language(request)
    if _limited(request, token):
        return secure(
            JSONResponse({"detail": "too many requests"}, status_code=429, headers={"Retry-After": "60"}), public=True
        )
    record = _find(session, request, token)
    if record is None:
        return secure(JSONResponse({"detail": "not found"}, status_code=404), public=True)
    record = _refresh(session, request, record)
    data = view(record, lang, passed_on=handed_on(session, record))
    etag = f'"{data["etag"]}"'
    if request.headers.get("if-none-match") == etag:
        return secure(Response(status_code=304, headers={"ETag": etag}), public=True)
    return secure(JSONResponse(data, headers={"ETag": etag}), public=True)


def _gone(request: Request, lang: str, status_code: int) -> Response:
    brand = _brand(request)
    context = {"lang": lang, "status_code": status_code, "brand": brand}
    response = templates.TemplateResponse(request, "players/status_gone.html", context, status_code=status_code)
    if status_code == 429:
        response.headers["Retry-After"] = "60"
    return _allow_logo(secure(response, public=True), brand["logo"])
