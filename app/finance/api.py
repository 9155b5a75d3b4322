"""The deposit auditor's findings as JSON: `GET /api/findings`, `POST /api/findings/{id}/resolve`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.finance import views as audit_views
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep
from investigations.audit.findings import FindingError, listing, resolve
from investigations.audit.models import Finding

router = APIRouter(prefix="/api", tags=["findings"])


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=1000, description="why the finding is closed, e.g. credited by hand")


@router.get("/findings")
def list_findings(
    request: Request,
    session: SessionDep,
    _agent: AgentDep,
    status: str = "open",
    chain: str | None = None,
    code: str | None = None,
    player: str | None = None,
    min_age_minutes: int | None = None,
    limit: int = Query(default=200, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> Any:
    """Findings, oldest first, with totals per asset and which transfer kinds the providers could not cover."""
    try:
        chosen = audit_views.filters(status, chain, code, player, min_age_minutes)
    except audit_views.FilterError as exc:
        return _unprocessable(exc.field, str(exc))
    investigator = request.app.state.investigator
    now = investigator.clock()
    found = listing(session, chosen, now=now, limit=limit, offset=offset)
    base = request.app.state.settings.public_base_url
    return {
        "findings": audit_views.finding_rows(session, found, investigator, base, now=now),
        "totals": audit_views.totals(found, investigator),
        "not_covered": audit_views.coverage(session),
    }


@router.post("/findings/{finding_id}/resolve", responses={404: {}, 409: {"description": "not open"}})
def resolve_finding(finding_id: int, body: ResolveIn, request: Request, session: SessionDep, agent: AgentDep) -> Any:
    investigator = request.app.state.investigator
    if session.get(Finding, finding_id) is None:
        raise HTTPException(404, f"no finding {finding_id}")
    try:
        finding = resolve(session, finding_id, by=f"agent:{agent.name}", reason=body.reason, now=investigator.clock())
    except FindingError as exc:
        session.rollback()
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    session.refresh(finding)
    base = request.app.state.settings.public_base_url
    return audit_views.finding_rows(session, [finding], investigator, base, now=investigator.clock())[0]


def _unprocessable(field: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={"detail": [{"loc": ["query", field], "msg": message, "type": "value_error"}], "message": message},
    )
