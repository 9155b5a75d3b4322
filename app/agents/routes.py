"""The agent's pages: sign-in, the lookup form and verdict card, recent investigations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import case, func, or_
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from app.agents import searches
from app.runtime import scoping, trail
from app.runtime.accounts import (
    Agent,
    agent_for_token,
    end_session,
    start_session,
    verify_password,
)
from app.runtime.db import SessionDep
from app.runtime.pages import languages, secure, templates
from app.runtime.signed_in import AgentDep, CsrfDep, render
from chains.base import Chain
from investigations.extract import Extracted, extract
from investigations.messages import detect_language
from investigations.models import Investigation
from investigations.payouts import PayoutRecord, find_payout
from investigations.service import InvalidInput, InvestigationRequest
from investigations.verdicts import LEVELS, Code, level_rank

router = APIRouter(include_in_schema=False, tags=["agents"])
PAGE_SIZE = 50


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    response = render(request, "agents/login.html", {"next": _safe_next(next), "agent": None})
    return _framed_for_panel(request, response, _safe_next(next))


def _framed_for_panel(request: Request, response: Response, next_url: str) -> Response:
    """Sign-in on the way to the side panel may be shown inside the helpdesk's frame (EMBED_ORIGINS)."""
    origins = request.app.state.settings.embed_origins
    if origins and (next_url == "/panel" or next_url.startswith("/panel?")):
        return secure(response, frame_origins=origins)
    return response


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
    how = "token" if token.strip() else "password"
    refused = trail.signin_refusal(request, session, name)  # failed sign-ins per account and per address
    if refused is not None:
        return render(
            request, "agents/login.html", {"next": _safe_next(next), "agent": None, "name": name, "error": refused}, 429
        )
    agent = None
    if token.strip():
        agent = agent_for_token(session, token.strip())
    elif name.strip():
        candidate = session.exec(select(Agent).where(Agent.name == name.strip())).first()
        ok = verify_password(password, candidate.password_hash if candidate else None)
        agent = candidate if ok and candidate and candidate.revoked_at is None else None
    trail.record_signin(request, session, agent.name if agent else name, role=agent.role if agent else None, how=how)
    if agent is None:
        context = {"next": _safe_next(next), "agent": None, "name": name, "error": "Wrong name, password or token."}
        return _framed_for_panel(
            request, render(request, "agents/login.html", context, status_code=401), _safe_next(next)
        )
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
    recent = _recent(request, session, limit=10)
    return render(request, "agents/lookup.html", {"agent": agent, "form": {}, "recent": recent})


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
    window: Annotated[str, Form(max_length=4)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    asset: Annotated[str, Form(max_length=16)] = "",
    payout_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    form = {
        "text": text,
        "address": address,
        "player_ref": player_ref,
        "chain": chain,
        "window": window,
        "amount": amount,
        "asset": asset,
        "payout_id": payout_id,
    }
    fragment = request.headers.get("x-requested-with") == "fetch"
    found = extract(text)
    payout = _payout_asked(session, found, payout_id, address, player_ref)
    if payout_id.strip() and payout is None:
        return _lookup_error(request, session, agent, form, f"payout_id: no payout record {payout_id[:40]!r}", fragment)
    if payout is not None:
        try:
            record = request.app.state.investigator.investigate_payout(
                session, payout, channel="lookup", run_by=scoping.run_by(request)
            )
        except InvalidInput as exc:
            return _lookup_error(request, session, agent, form, str(exc), fragment)
        trail.record_now(request, session, "link.created", record.id, after={"channel": "lookup", "code": record.code})
        return _show(request, record, agent, fragment)
    if found.tx_hash is None and found.test_network_reason:
        refusal = request.app.state.investigator.refusal("tx_hash", found.test_network_reason)
        return _lookup_error(request, session, agent, form, f"{refusal.verdict.code}: {refusal}", fragment)
    if found.tx_hash is None:
        query = searches.query_from_form(session, text, address, player_ref, chain)
        if query is not None:
            try:
                hints = searches.hints_from_form(window, amount, asset)
                return searches.run(request, session, agent, replace(query, page=page, **hints), fragment)
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
            InvestigationRequest(
                found.tx_hash,
                wanted_address,
                chain or None,
                player_ref or None,
                channel="lookup",
                run_by=scoping.run_by(request),
            ),
        )
    except InvalidInput as exc:
        return _lookup_error(request, session, agent, form, str(exc), fragment)
    trail.record_now(request, session, "link.created", record.id, after={"channel": "lookup", "code": record.code})
    reply_lang = detect_language(text) if text.strip() else None
    return _show(request, record, agent, fragment, session=session, reply_lang=reply_lang)


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
    if found.tx_hash:  # a hash no payout names is a deposit's: investigated as one
        return find_payout(session, tx_hash=found.tx_hash)
    return find_payout(session, address=address.strip() or found.address, player_ref=player_ref.strip() or None)


def _show(
    request: Request,
    record: Investigation,
    agent: Agent,
    fragment: bool,
    *,
    session: Session | None = None,
    reply_lang: str | None = None,
) -> Response:
    url = f"/investigations/{record.id}" + (f"?reply={reply_lang}" if reply_lang and reply_lang != "en" else "")
    if fragment:
        context = _card_context(request, record, agent, reply_lang=reply_lang, session=session)
        response = render(request, "agents/_card.html", context)
        response.headers["X-Investigation-Url"] = url
        return response
    return RedirectResponse(url, status_code=303)


def _lookup_error(
    request: Request, session: Session, agent: Agent, form: dict[str, str], error: str, fragment: bool
) -> Response:
    if fragment:
        return secure(templates.TemplateResponse(request, "shared/_error.html", {"error": error}, status_code=422))
    context = {"agent": agent, "form": form, "error": error, "recent": _recent(request, session, limit=10)}
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
    q: Annotated[str, Query(max_length=200)] = "",
    sort: str = "level",
) -> Response:
    sort = sort if sort in ("level", "newest") else "level"
    query = scoping.scoped(select(Investigation), scoping.caller(request))
    if sort == "level":
        query = query.order_by(level_rank_sql(col(Investigation.code)))
    query = query.order_by(col(Investigation.created_at).desc())
    needle = q.strip()
    if needle:
        query = query.where(
            or_(
                func.lower(col(Investigation.tx_hash)) == needle.lower(),
                func.lower(col(Investigation.address)) == needle.lower(),
                col(Investigation.player_ref) == needle,
                col(Investigation.ticket_ref) == needle,
            )
        )
    if code in Code._value2member_map_:
        query = query.where(Investigation.code == code)
    if chain in {c.value for c in Chain}:
        query = query.where(Investigation.chain == chain)
    start, end = _day(date_from), _day(date_to)
    if start:
        query = query.where(col(Investigation.created_at) >= start)
    if end and end.date() < date.max:
        query = query.where(col(Investigation.created_at) < end + timedelta(days=1))
    rows = list(session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    filters = {
        "code": code,
        "chain": chain,
        "date_from": date_from if start else "",
        "date_to": date_to if end else "",
        "q": needle,
        "sort": sort if sort != "level" else "",
    }

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
    if not scoping.may_see(session, scoping.caller(request), record):
        return _not_found(request, agent)
    reply = request.query_params.get("reply", "")
    context = _card_context(request, record, agent, reply_lang=reply or None, session=session)
    return render(request, "agents/investigation.html", context)


@router.get("/panel", response_class=HTMLResponse)
def side_panel(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    ticket: Annotated[str, Query(max_length=128)] = "",
    helpdesk: Annotated[str, Query(max_length=16)] = "",
    tx_hash: Annotated[str, Query(alias="hash", max_length=100)] = "",
    reply: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """The card sized for a helpdesk's side panel (360 px), framed by EMBED_ORIGINS only: the newest
    investigation of the ticket (`helpdesk` + `ticket`, or `ticket` as `helpdesk:id`) or of the hash."""
    ticket_ref = f"{helpdesk}:{ticket}" if helpdesk and ticket else ticket
    query = scoping.scoped(select(Investigation), scoping.caller(request))
    query = query.order_by(col(Investigation.created_at).desc())
    if ticket_ref:
        query = query.where(Investigation.ticket_ref == ticket_ref)
    elif tx_hash.strip():
        query = query.where(func.lower(col(Investigation.tx_hash)) == tx_hash.strip().lower())
    rows = list(session.exec(query.limit(5))) if ticket_ref or tx_hash.strip() else []
    context: dict[str, Any] = {
        "agent": agent,
        "ticket_ref": ticket_ref,
        "tx_hash": tx_hash,
        "others": rows[1:],
        "panel_mode": True,
    }
    context["await_context"] = not (ticket_ref or tx_hash.strip())
    context["embed_origins"] = request.app.state.settings.embed_origins
    if rows:
        context |= _card_context(request, rows[0], agent, reply_lang=reply or None, session=session)
    response = render(request, "agents/panel.html", context)
    return secure(response, frame_origins=request.app.state.settings.embed_origins or None)


@router.post("/investigations/{investigation_id}/revoke-link", dependencies=[CsrfDep])
def revoke_link(investigation_id: str, request: Request, session: SessionDep, agent: AgentDep) -> Response:
    record = session.get(Investigation, investigation_id[:32])
    if not scoping.may_see(session, scoping.caller(request), record):
        return _not_found(request, agent)
    if record.status_revoked_at is None:
        record.status_revoked_at = datetime.now(UTC)
        session.add(record)
        trail.record(request, session, "link.revoked", record.id, before={"revoked": False}, after={"revoked": True})
        session.commit()
    return RedirectResponse(f"/investigations/{record.id}", status_code=303)


def _not_found(request: Request, agent: Agent) -> Response:
    """An unknown id and another agent's answer alike: nothing tells one from the other."""
    error = f"No such investigation among those you may see ({scoping.NOT_YOURS})."
    return render(request, "shared/_error_page.html", {"agent": agent, "error": error}, 404)


def _card_context(
    request: Request,
    record: Investigation,
    agent: Agent,
    *,
    reply_lang: str | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    investigator = request.app.state.investigator
    base = request.app.state.settings.public_base_url
    status_url = f"{base}/s/{investigator.status_token(record)}"
    if reply_lang not in languages() and session is not None:
        reply_lang = _ticket_language(session, record.id)
    return {"agent": agent, "record": record, "status_url": status_url, "reply_lang": reply_lang or "en"}


def _ticket_language(session: Session, investigation_id: str) -> str | None:
    """The language detected on the helpdesk ticket that asked about this investigation, if one did
    (the helpdesks' ticket_links table, read as data: this room does not import that one)."""
    row = session.connection().execute(
        sql_text("SELECT language FROM ticket_links WHERE investigation_id = :id ORDER BY id LIMIT 1"),
        {"id": investigation_id},
    )
    found = row.first()
    return found[0] if found and found[0] in languages() else None


def _recent(request: Request, session: Session, *, limit: int) -> list[Investigation]:
    """The newest investigations the caller may see, one row per payment (a search or a repeated
    lookup investigates the same transaction again: only its newest investigation is listed)."""
    query = scoping.scoped(select(Investigation), scoping.caller(request))
    rows = session.exec(query.order_by(col(Investigation.created_at).desc()).limit(limit * 5))
    seen: set[tuple[str, str, str | None]] = set()
    unique = []
    for row in rows:
        key = (row.chain, row.tx_hash, row.player_ref)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique[:limit]


def level_rank_sql(code_column: Any) -> Any:
    """The level's rank of a code column, for ORDER BY (needs action first)."""
    return case({code: level_rank(code) for code in LEVELS}, value=code_column, else_=level_rank(""))


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
