"""`GET /api/activity`: the trail as JSON, newest first, a page at a time (`next` is the cursor to
pass as `before`); for admins, leads and tokens with the `read` scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.admin.routes import FilterError, activity_filters
from app.runtime import activity
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep

router = APIRouter(prefix="/api", tags=["admin"])


@router.get(
    "/activity", responses={422: {"description": "a bad filter, named"}, 403: {"description": "not admin or lead"}}
)
def get_activity(
    request: Request,
    session: SessionDep,
    _agent: AgentDep,
    actor: Annotated[str, Query(max_length=160, description="agent:NAME, token:NAME, cli or anonymous")] = "",
    action: Annotated[str, Query(max_length=64, description="an action or its prefix, e.g. token. or ledger.")] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10, description="first day, YYYY-MM-DD")] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10, description="last day (included)")] = "",
    before: Annotated[str, Query(max_length=20, description="the cursor: `next` of the previous page")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    params = {"actor": actor, "action": action, "from": date_from, "to": date_to, "before": before}
    try:
        chosen = activity_filters(params)
    except FilterError as exc:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [{"loc": ["query", exc.field], "msg": str(exc), "type": "value_error"}],
                "message": str(exc),
            },
        )
    found = activity.rows(session, **chosen, limit=limit + 1)
    page = found[:limit]
    return {"rows": [row.as_dict() for row in page], "next": str(page[-1].seq) if len(found) > limit else None}
