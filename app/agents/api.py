"""The agents' JSON API: `POST /api/investigations`, `GET /api/investigations/{id}` (and the no-hash
search of `api_searches`). Parse, call the service, render; decisions live in `investigations`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.agents.api_searches import router as searches_router
from app.agents.schemas import InvestigationIn, InvestigationOut
from app.runtime import scoping, trail
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep
from investigations.models import Investigation
from investigations.service import InvalidInput, InvestigationRequest

router = APIRouter(prefix="/api", tags=["agents"])


@router.post(
    "/investigations",
    response_model=InvestigationOut,
    responses={422: {"description": "malformed hash or address; body carries the invalid_input verdict"}},
)
def create_investigation(body: InvestigationIn, request: Request, session: SessionDep, _agent: AgentDep):
    investigator = request.app.state.investigator
    fields = body.model_dump()
    payout_id = fields.pop("payout_id")
    try:
        if payout_id:
            payout = investigator.payout(session, payout_id)
            record = investigator.investigate_payout(
                session, payout, channel="api", ticket_ref=body.ticket_ref, run_by=scoping.run_by(request)
            )
        else:
            record = investigator.investigate(session, InvestigationRequest(**fields, run_by=scoping.run_by(request)))
    except InvalidInput as exc:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [{"loc": ["body", exc.field], "msg": exc.reason, "type": "invalid_input"}],
                "message": f"{exc.field}: {exc.reason}",
                "verdict": exc.verdict.as_dict(),
            },
        )
    trail.record_now(request, session, "link.created", record.id, after={"channel": "api", "code": record.code})
    return _out(request, record)


@router.get("/investigations/{investigation_id}", response_model=InvestigationOut)
def get_investigation(investigation_id: str, request: Request, session: SessionDep, _agent: AgentDep):
    record = session.get(Investigation, investigation_id) if len(investigation_id) <= 32 else None
    if not scoping.may_see(session, scoping.caller(request), record):
        raise HTTPException(404, f"no investigation with id {investigation_id[:40]!r} ({scoping.NOT_YOURS})")
    return _out(request, record)


def _out(request: Request, record: Investigation) -> InvestigationOut:
    investigator = request.app.state.investigator
    return InvestigationOut.of(record, request.app.state.settings.public_base_url, investigator.status_token(record))


# The no-hash search lives in its own module; its routes share this router's /api prefix.
router.include_router(searches_router)
