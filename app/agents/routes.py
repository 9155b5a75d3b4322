"""The agent's pages: sign-in, the lookup form and verdict card, recent investigations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from app.agents import searches
from app.runtime.accounts import (
    Agent,
    agent_for_token,
    end_session,
    start_session,
    verify_password,
)
from app.runtime.db import SessionDep
from app.runtime.pages import secure, templates
from app.runtime.signed_in import AgentDep, CsrfDep, render
from investigations.extract import Extracted, extract
from investigations.models import Investigation
from investigations.payouts import PayoutRecord, find_payout
from investigations.service import InvalidInput, InvestigationRequest
from investigations.verdicts import Code

router = APIRouter(include_in_schema=False, tags=["agents"])
PAGE_SIZE = 50


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "agents/login.html", {"next": _safe_next(next), "agent": None})


@router.post("/login", dependencies=[CsrfDep])
def login(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    if not request.app.state.login_limit.allow(client):
        context = {
            "next": _safe_next(next),
            "agent": None,
            "name": name,
            "error": "Too many sign-in attempts. Wait a minute and try again.",
        }
        return render(request, "agents/login.html", context, status_code=429)
    agent = None
    if token.strip():
        agent = agent_for_token(session, token.strip())
    elif name.strip():
        candidate = session.exec(select(Agent).where(Agent.name == name.strip())).first()
        ok = verify_password(password, candidate.password_hash if candidate else None)
        agent = candidate if ok and candidate and candidate.revoked_at is None else None
    if agent is None:
        context = {"next": _safe_next(next), "agent": None, "name": name, "error": "Wrong name, password or token."}
        return render(request, "agents/login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    sessions = request.app.state.sessions
    sessions.sign_in(request, response, start_session(session, agent.id, sessions.lifetime))
    return response


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, session: SessionDep) -> Response:
    """Ends the session in the database too: a copy of the cookie is worth nothing afterwards."""
    key = request.app.state.sessions.key(request)
    if key is not None:
        end_session(session, key)
    response = RedirectResponse("/login", status_code=303)
    request.app.state.sessions.sign_out(response)
    return response


@router.get("/", response_class=HTMLResponse)
def lookup_page(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    return render(request, "agents/lookup.html", {"agent": agent, "form": {}, "recent": _recent(session, limit=10)})


@router.post("/lookup", dependencies=[CsrfDep])
def lookup(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
    address: Annotated[str, Form(max_length=200)] = "",
    player_ref: Annotated[str, Form(max_length=128)] = "",
    chain: Annotated[str, Form(max_length=8)] = "",
    page: Annotated[int, Form(ge=1, le=1000)] = 1,
    payout_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    form = {"text": text, "address": address, "player_ref": player_ref, "chain": chain, "payout_id": payout_id}
    fragment = request.headers.get("x-requested-with") == "fetch"
    found = extract(text)
    payout = _payout_asked(session, found, payout_id, address, player_ref)
    if payout_id.strip() and payout is None:
        return _lookup_error(request, session, agent, form, f"payout_id: no payout record {payout_id[:40]!r}", fragment)
    if payout is not None:
        try:
            record = request.app.state.investigator.investigate_payout(session, payout, channel="lookup")
        except InvalidInput as exc:
            return _lookup_error(request, session, agent, form, str(exc), fragment)
        return _show(request, record, agent, fragment)
    if found.tx_hash is None and found.test_network_reason:
        refusal = request.app.state.investigator.refusal("tx_hash", found.test_network_reason)
        return _lookup_error(request, session, agent, form, f"{refusal.verdict.code}: {refusal}", fragment)
    if found.tx_hash is None:
        query = searches.query_from_form(session, text, address, player_ref, chain)
        if query is not None:
            try:
                return searches.run(request, session, agent, replace(query, page=page), fragment)
            except searches.InvalidSearch as exc:
                return _lookup_error(request, session, agent, form, str(exc), fragment)
        return _lookup_error(
            request,
            session,
            agent,
            form,
            "No transaction hash found: paste the hash, an explorer link or the player's message "
            "(or enter only the player or a deposit address to search their payments).",
            fragment,
        )
    wanted_address = address.strip() or found.address
    investigator = request.app.state.investigator
    try:
        record = investigator.investigate(
            session,
            InvestigationRequest(found.tx_hash, wanted_address, chain or None, player_ref or None, channel="lookup"),
        )
    except InvalidInput as exc:
        return _lookup_error(request, session, agent, form, str(exc), fragment)
    return _show(request, record, agent, fragment)


def _payout_asked(
    session: Session, found: Extracted, payout_id: str, address: str, player_ref: str
) -> PayoutRecord | None:
    """The payout a lookup is about: the payout id field, an id in the text, or a withdrawal question
    naming the player's hash, receiving address or player reference."""
    if payout_id.strip():
        return find_payout(session, payout_id=payout_id.strip())
    if found.payout_ids:
        named = find_payout(session, payout_id=found.payout_ids[0])
        if named is not None:
            return named
    if not found.withdrawal:
        return None
    return find_payout(
        session,
        tx_hash=found.tx_hash,
        address=address.strip() or found.address,
        player_ref=player_ref.strip() or None,
    )


def _show(request: Request, record: Investigation, agent: Agent, fragment: bool) -> Response:
    url = f"/investigations/{record.id}"
    if fragment:
        response = render(request, "agents/_card.html", _card_context(request, record, agent))
        response.headers["X-Investigation-Url"] = url
        return response
    return RedirectResponse(url, status_code=303)


def _lookup_error(
    request: Request, session: Session, agent: Agent, form: dict[str, str], error: str, fragment: bool
) -> Response:
    if fragment:
        return secure(templates.TemplateResponse(request, "shared/_error.html", {"error": error}, status_code=422))
    context = {"agent": agent, "form": form, "error": error, "recent": _recent(session, limit=10)}
    return render(request, "agents/lookup.html", context, status_code=422)


@router.get("/investigations", response_class=HTMLResponse)
def investigations_page(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    code: str = "",
    chain: str = "",
    date_from: str = "",
    date_to: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    query = select(Investigation).order_by(col(Investigation.created_at).desc())
    if code in Code._value2member_map_:
        query = query.where(Investigation.code == code)
    if chain in ("btc", "eth"):
        query = query.where(Investigation.chain == chain)
    start, end = _day(date_from), _day(date_to)
    if start:
        query = query.where(col(Investigation.created_at) >= start)
    if end and end.date() < date.max:
        query = query.where(col(Investigation.created_at) < end + timedelta(days=1))
    rows = list(session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    filters = {"code": code, "chain": chain, "date_from": date_from if start else "", "date_to": date_to if end else ""}

    def page_query(number: int) -> str:
        return urlencode({**{k: v for k, v in filters.items() if v}, "page": number})

    context = {
        "agent": agent,
        "recent": rows[:PAGE_SIZE],
        "more": len(rows) > PAGE_SIZE,
        "page": page,
        "filters": filters,
        "codes": [c.value for c in Code],
        "query": page_query,
    }
    return render(request, "agents/investigations.html", context)


@router.get("/investigations/{investigation_id}", response_class=HTMLResponse)
def investigation_page(investigation_id: str, request: Request, session: SessionDep, agent: AgentDep) -> Response:
    record = session.get(Investigation, investigation_id[:32])
    if record is None:
        return render(request, "shared/_error_page.html", {"agent": agent, "error": "No such investigation."}, 404)
    return render(request, "agents/investigation.html", _card_context(request, record, agent))


@router.post("/investigations/{investigation_id}/revoke-link", dependencies=[CsrfDep])
def revoke_link(investigation_id: str, request: Request, session: SessionDep, agent: AgentDep) -> Response:
    record = session.get(Investigation, investigation_id[:32])
    if record is None:
        return render(request, "shared/_error_page.html", {"agent": agent, "error": "No such investigation."}, 404)
    if record.status_revoked_at is None:
        record.status_revoked_at = datetime.now(UTC)
        session.add(record)
        session.commit()
    return RedirectResponse(f"/investigations/{record.id}", status_code=303)


def _card_context(request: Request, record: Investigation, agent: Agent) -> dict[str, Any]:
    investigator = request.app.state.investigator
    base = request.app.state.settings.public_base_url
    status_url = f"{base}/s/{investigator.status_token(record)}"
    return {"agent": agent, "record": record, "status_url": status_url}


def _recent(session: Session, *, limit: int) -> list[Investigation]:
    return list(session.exec(select(Investigation).order_by(col(Investigation.created_at).desc()).limit(limit)))


def _day(text: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC) if text else None
    except ValueError:
        return None


def _safe_next(target: str) -> str:
    """Only local paths: a sign-in link must not send the agent to another site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


# Searches without a hash: their own module (pages render through app.runtime.signed_in), on this router.
router.include_router(searches.router)
