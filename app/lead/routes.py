"""`/dashboard`: the SLA figures of a period for the support lead, charts with their tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.lead.sla import csv_rows, panels, period, stats
from app.lead.sla import figures as sla_figures
from app.runtime import trail
from app.runtime.db import SessionDep
from app.runtime.pages import secure
from app.runtime.signed_in import AgentDep, render
from investigations.types import utcnow

router = APIRouter(include_in_schema=False, tags=["lead"])


def _figures(request: Request, session: SessionDep, chosen: period.Period) -> dict[str, Any]:
    settings = request.app.state.settings
    targets = stats.Targets(settings.sla_first_note_seconds, settings.sla_resolve_hours)
    return stats.compute(session, chosen, targets, utcnow())


def previous_period(chosen: period.Period) -> period.Period:
    """The period of the same length just before `chosen` (for the headline trend)."""
    length = chosen.last_day - chosen.first_day + timedelta(days=1)
    return period.Period(chosen.first_day - length, chosen.first_day - timedelta(days=1))


def headline(
    request: Request, session: SessionDep, figures_now: dict[str, Any], chosen: period.Period
) -> list[dict[str, Any]]:
    """The headline figures against the previous period of the same length: value, before, and the
    direction that is good for each (fewer missed notes, a higher share answered without an agent)."""
    settings = request.app.state.settings
    before = previous_period(chosen)
    previous = {
        "questions": sla_figures.questions(session, before),
        "first_note": sla_figures.first_note(session, before, settings.sla_first_note_seconds, utcnow()),
        "automation": sla_figures.automation(session, before),
    }
    rows = [
        ("Deposit questions", ("questions", "total"), None, ""),
        ("First note p50", ("first_note", "p50_seconds"), "lower", " s"),
        ("First note p95", ("first_note", "p95_seconds"), "lower", " s"),
        ("Missed the first-note target", ("first_note", "missed"), "lower", ""),
        ("Answered without an agent", ("automation", "share_without_agent"), "higher", " %"),
        ("Escalated", ("automation", "share_escalated"), "lower", " %"),
    ]
    result = []
    for name, (section, key), better, unit in rows:
        now_value, then_value = figures_now[section].get(key), previous[section].get(key)
        if unit == " %":
            now_value = None if now_value is None else round(now_value * 100, 1)
            then_value = None if then_value is None else round(then_value * 100, 1)
        trend = "same"
        if now_value is not None and then_value is not None and now_value != then_value:
            up = now_value > then_value
            trend = ("better" if up == (better == "higher") else "worse") if better else ("up" if up else "down")
        result.append({"name": name, "value": now_value, "before": then_value, "unit": unit, "trend": trend})
    return result


def _choose(request: Request) -> tuple[period.Period | None, str, str | None]:
    """The period from ?period=today|7d|30d or ?from=&to=; an error message instead when they are bad."""
    params, today = request.query_params, utcnow().date()
    name = params.get("period", "")
    try:
        if name in period.PRESETS:
            return period.preset(name, today), name, None
        chosen = period.parse(params.get("from"), params.get("to"), today)
        return chosen, "" if params.get("from") or params.get("to") else "7d", None
    except period.PeriodError as exc:
        return None, "", str(exc)


def _forbidden(request: Request, agent: Any) -> Response | None:
    if stats.may_see(agent.name, request.app.state.settings.dashboard_agents):
        return None
    context = {"agent": agent, "error": "The dashboard is for the support leads (DASHBOARD_AGENTS)."}
    return render(request, "shared/_error_page.html", context, 403)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    refused = _forbidden(request, agent)
    if refused is not None:
        return refused
    chosen, preset, error = _choose(request)
    context: dict[str, Any] = {"agent": agent, "preset": preset, "error": error, "presets": period.PRESETS}
    if chosen is None:
        return render(request, "lead/dashboard.html", context | {"figures": None, "panels": []}, 422)
    figures = _figures(request, session, chosen)
    query = f"from={figures['from']}&to={figures['to']}"
    context |= {
        "figures": figures,
        "panels": panels.build(figures),
        "query": query,
        "headline": headline(request, session, figures, chosen),
        "previous": previous_period(chosen),
    }
    return render(request, "lead/dashboard.html", context)


@router.get("/dashboard/stats.csv")
def dashboard_csv(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    refused = _forbidden(request, agent)
    if refused is not None:
        return refused
    chosen, _preset, error = _choose(request)
    if chosen is None:
        return secure(Response(error or "bad period", status_code=422, media_type="text/plain"))
    figures = _figures(request, session, chosen)
    filename = f"depositdesk-sla-{figures['from']}-{figures['to']}.csv"
    trail.record_now(
        request, session, "export.csv", "dashboard/stats.csv", after={"from": figures["from"], "to": figures["to"]}
    )
    response = Response(
        csv_rows.to_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    return secure(response)
