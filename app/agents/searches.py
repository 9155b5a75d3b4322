"""The lookup form without a hash: a casino deposit address or a player (named in the text or
entered alone) starts a search, and its candidates show as compact verdict rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.runtime import scoping
from app.runtime.db import SessionDep
from app.runtime.signed_in import AgentDep, render
from investigations.extract import extract
from investigations.ledger import addresses_among
from investigations.search import InvalidSearch, SearchQuery, SearchResult, load_search, players_named, search

router = APIRouter(include_in_schema=False, tags=["agents"])


def query_from_form(session: Session, text: str, address: str, player_ref: str, chain: str) -> SearchQuery | None:
    """Player entered > a casino deposit address (entered or in the text) > a player named in the text."""
    if player_ref.strip():
        return SearchQuery(player_ref=player_ref.strip(), chain=chain or None)
    for address_chain, value in extract(address).addresses + extract(text).addresses:
        if addresses_among(session, address_chain, [value]):
            return SearchQuery(address=value, chain=chain or None)
    if address.strip():
        return SearchQuery(address=address.strip(), chain=chain or None)  # refused with a clear reason
    named = players_named(session, text)
    return SearchQuery(player_ref=named[0], chain=chain or None) if named else None


WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "31d": timedelta(days=31)}


def hints_from_form(window: str, amount: str, asset: str) -> dict[str, Any]:
    """The search form's window (1d, 7d, 31d), amount and asset as SearchQuery fields; an unknown
    window is refused naming the field (the amount and asset are checked by the search itself)."""
    hints: dict[str, Any] = {}
    if window.strip():
        if window.strip() not in WINDOWS:
            raise InvalidSearch("window", f"{window.strip()!r} is not one of {', '.join(WINDOWS)}")
        hints["since"] = datetime.now(UTC) - WINDOWS[window.strip()]
    if amount.strip():
        hints["amount"] = amount.strip()
    if asset.strip():
        hints["asset"] = asset.strip().upper()
    return hints


def run(request: Request, session: Session, agent: Any, query: SearchQuery, fragment: bool) -> Response:
    """Search and answer with the candidate rows (fragment) or a redirect to the search's page.
    InvalidSearch goes back to the caller, which shows the lookup form's error."""
    result = search(session, request.app.state.investigator, query, run_by=scoping.run_by(request))
    url = f"/searches/{result.id}"
    if fragment:
        response = render(request, "agents/_search.html", _context(request, result, agent))
        response.headers["X-Investigation-Url"] = url
        return response
    return RedirectResponse(url, status_code=303)


@router.get("/searches/{search_id}", response_class=HTMLResponse)
def search_page(search_id: str, request: Request, session: SessionDep, agent: AgentDep) -> Response:
    result = load_search(session, search_id[:32])
    if result is None or not scoping.may_see_search(scoping.caller(request), result.run_by):
        error = f"No such search among those you may see ({scoping.NOT_YOURS})."
        return render(request, "shared/_error_page.html", {"agent": agent, "error": error}, 404)
    return render(request, "agents/search.html", _context(request, result, agent))


def _context(request: Request, result: SearchResult, agent: Any) -> dict[str, Any]:
    investigator = request.app.state.investigator
    base = request.app.state.settings.public_base_url
    links = {c.id: f"{base}/s/{investigator.status_token(c)}" for c in result.candidates}
    return {"agent": agent, "result": result, "links": links}


__all__ = ["InvalidSearch", "query_from_form", "router", "run"]
