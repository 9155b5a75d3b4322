"""`POST /api/searches` and `GET /api/searches/{id}`: the no-hash search over a player's deposit
addresses (or one deposit address); each candidate is a full investigation with its status link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.agents.schemas import CHAIN_DESCRIPTION, InvestigationOut
from app.runtime import scoping
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep
from investigations.search import InvalidSearch, SearchQuery, SearchResult, load_search, search
from investigations.search_query import DEFAULT_LIMIT, DEFAULT_TOLERANCE, MAX_LIMIT

router = APIRouter()  # included by app.agents.api under /api, with its tag


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    player_ref: str | None = Field(default=None, max_length=128, description="searches all the player's addresses")
    address: str | None = Field(default=None, max_length=128, description="one casino deposit address instead")
    chain: str | None = Field(default=None, max_length=8, description=CHAIN_DESCRIPTION + "; all chains when absent")
    asset: str | None = Field(default=None, max_length=16, description="e.g. BTC, ETH, USDT")
    amount: Any = Field(default=None, description='what the player says they sent, a decimal string such as "0.015"')
    tolerance: str = Field(default=DEFAULT_TOLERANCE, max_length=8, description="relative, for fees and rounding")
    since: datetime | None = Field(default=None, description="default: 7 days before until; at most 31 days")
    until: datetime | None = Field(default=None, description="default: now")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="candidates investigated per page")
    page: int = Field(default=1, ge=1, le=1000)
    ticket_ref: str | None = Field(default=None, max_length=128)


class SearchOut(BaseModel):
    id: str
    query: dict[str, Any]
    candidates: list[InvestigationOut]
    searched: dict[str, list[str]]  # chain -> kinds searched: output (BTC), native, internal, token (ETH)
    not_searched: dict[str, dict[str, str]]  # chain -> {kind: why it could not be searched}
    gaps: list[str]  # the same, in plain words
    complete: bool
    total: int
    next_page: int | None


@router.post(
    "/searches",
    response_model=SearchOut,
    responses={422: {"description": "no player or address, unknown player, not a casino address, bad hint"}},
)
def create_search(body: SearchIn, request: Request, session: SessionDep, _agent: AgentDep):
    investigator = request.app.state.investigator
    try:
        result = search(session, investigator, SearchQuery(**body.model_dump()), run_by=scoping.run_by(request))
    except InvalidSearch as exc:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [{"loc": ["body", exc.field], "msg": exc.reason, "type": "invalid_search"}],
                "message": str(exc),
            },
        )
    return _out(request, result)


@router.get("/searches/{search_id}", response_model=SearchOut)
def get_search(search_id: str, request: Request, session: SessionDep, _agent: AgentDep):
    result = load_search(session, search_id) if len(search_id) <= 32 else None
    if result is None or not scoping.may_see_search(scoping.caller(request), result.run_by):
        raise HTTPException(404, f"no search with id {search_id[:40]!r} ({scoping.NOT_YOURS})")
    return _out(request, result)


def _out(request: Request, result: SearchResult) -> SearchOut:
    investigator = request.app.state.investigator
    base = request.app.state.settings.public_base_url
    return SearchOut(
        id=result.id,
        query=result.query.as_json(),
        candidates=[InvestigationOut.of(c, base, investigator.status_token(c)) for c in result.candidates],
        searched=result.searched,
        not_searched=result.not_searched,
        gaps=result.gaps(),
        complete=result.complete,
        total=result.total,
        next_page=result.next_page,
    )
