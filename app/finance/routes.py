"""The deposit auditor's page for agents: open findings by age with totals per asset, filters, each
with its verdict card and the player's status link; the same list as CSV; resolve with a reason."""

from __future__ import annotations

import csv
import io
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from app.finance import views as audit_views
from app.runtime import csv_cells, trail
from app.runtime.db import SessionDep
from app.runtime.pages import secure
from app.runtime.signed_in import AgentDep, CsrfDep, render
from investigations import bounds
from investigations.audit.findings import FindingError, listing, resolve

router = APIRouter(include_in_schema=False, tags=["finance"])


def _listing(request: Request, session: SessionDep, params: dict[str, str], limit: int):  # type: ignore[no-untyped-def]
    age = params.get("min_age_minutes", "").strip()
    chosen = audit_views.filters(
        params.get("status"), params.get("chain"), params.get("code"), params.get("player"), age or None
    )
    investigator = request.app.state.investigator
    now = investigator.clock()
    found = listing(session, chosen, now=now, limit=limit)
    base = request.app.state.settings.public_base_url
    return found, audit_views.finding_rows(session, found, investigator, base, now=now)


@router.get("/audit")
def audit_page(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in _FILTERS}
    context = {"agent": agent, "filters": params, "codes": audit_views.CODES, "statuses": audit_views.STATUSES}
    try:
        found, rows = _listing(request, session, params, limit=500)
    except audit_views.FilterError as exc:
        return render(request, "finance/audit.html", {**context, "rows": [], "error": str(exc), "totals": {}}, 422)
    context |= {
        "rows": rows,
        "totals": audit_views.totals(found, request.app.state.investigator),
        "not_covered": {c: text for c, text in audit_views.coverage(session).items() if text},
        "csv_query": urlencode({k: v for k, v in params.items() if v}),
    }
    return render(request, "finance/audit.html", context)


@router.get("/audit.csv")
def audit_csv(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in _FILTERS}
    try:
        _found, rows = _listing(request, session, params, limit=100_000)
    except audit_views.FilterError as exc:
        return secure(Response(str(exc), status_code=422, media_type="text/plain"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=audit_views.CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:  # cells a spreadsheet would run as formulas are quoted as text
        writer.writerow({k: csv_cells.cell(v) for k, v in row.items()})
    trail.record_now(request, session, "export.csv", "audit.csv", after={"rows": len(rows), **params})
    headers = {"Content-Disposition": 'attachment; filename="findings.csv"'}
    return secure(Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers))


@router.post("/audit/{finding_id}/resolve", dependencies=[CsrfDep])
def audit_resolve(
    finding_id: Annotated[int, Path(ge=1, le=bounds.MAX_DB_INT)],
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        resolve(
            session, finding_id, by=f"agent:{agent.name}", reason=reason, now=request.app.state.investigator.clock()
        )
    except FindingError as exc:
        session.rollback()
        context = {"agent": agent, "error": f"{exc}. Go back and try again."}
        return render(request, "shared/_error_page.html", context, 422)
    trail.record(
        request,
        session,
        "finding.resolved",
        str(finding_id),
        before={"status": "open"},
        after={"status": "resolved", "reason": reason},
    )
    session.commit()
    return RedirectResponse("/audit", status_code=303)


@router.post("/audit/resolve", dependencies=[CsrfDep])
def audit_resolve_many(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    ids: Annotated[list[int], Form(max_length=500)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Several findings resolved with one reason, all or none: a finding that cannot be resolved
    (already resolved, unknown, no reason) leaves every other one as it was and is named."""
    now = request.app.state.investigator.clock()
    for finding_id in dict.fromkeys(ids):
        try:
            resolve(session, finding_id, by=f"agent:{agent.name}", reason=reason, now=now)
        except FindingError as exc:
            session.rollback()
            context = {
                "agent": agent,
                "error": f"Finding {finding_id}: {exc}. Nothing was resolved; go back and try again.",
            }
            return render(request, "shared/_error_page.html", context, 422)
        trail.record(
            request, session, "finding.resolved", str(finding_id), before={"status": "open"},
            after={"status": "resolved", "reason": reason},
        )  # fmt: skip
    session.commit()
    return RedirectResponse("/audit", status_code=303)


_FILTERS = ("status", "chain", "code", "player", "min_age_minutes")
