"""`GET /api/stats`: the SLA figures of a period as JSON, or CSV with `format=csv`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from app.lead.sla import csv_rows, period, stats
from app.runtime import trail
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep
from investigations.types import utcnow

router = APIRouter(prefix="/api", tags=["lead"])


@router.get("/stats", responses={422: {"description": "a bad or too long period"}, 403: {"description": "not a lead"}})
def get_stats(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    date_from: Annotated[str | None, Query(alias="from", max_length=40, description="first day, YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=40, description="last day (included)")] = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    settings = request.app.state.settings
    if not stats.may_see(agent.name, settings.dashboard_agents):
        raise HTTPException(403, "the SLA figures are for the agents named in DASHBOARD_AGENTS")
    now = utcnow()
    try:
        chosen = period.parse(date_from, date_to, now.date())
    except period.PeriodError as exc:
        field = "from" if str(exc).startswith("from") else "to"
        return JSONResponse(
            status_code=422,
            content={
                "detail": [{"loc": ["query", field], "msg": str(exc), "type": "value_error"}],
                "message": str(exc),
            },
        )
    targets = stats.Targets(settings.sla_first_note_seconds, settings.sla_resolve_hours)
    figures = stats.compute(session, chosen, targets, now)
    if format == "csv":
        trail.record_now(
            request, session, "export.csv", "api/stats", after={"from": figures["from"], "to": figures["to"]}
        )
        filename = f"depositdesk-sla-{figures['from']}-{figures['to']}.csv"
        return Response(
            csv_rows.to_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return JSONResponse(figures)
