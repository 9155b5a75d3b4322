"""Evidence files for disputes: the signed JSON, a printable page, and the public key that checks them."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.lead.evidence_signing import EvidenceKey, load_or_create
from app.runtime import trail
from app.runtime.accounts import Agent
from app.runtime.bearer import bearer_agent
from app.runtime.db import SessionDep
from app.runtime.pages import secure
from app.runtime.signed_in import current_agent, render
from investigations import dossier
from investigations.models import Investigation
from investigations.types import utcnow

router = APIRouter(include_in_schema=False, tags=["lead"])
WELL_KNOWN = "/.well-known/depositdesk-evidence-key"
_key_lock = threading.Lock()


def evidence_key(request: Request) -> EvidenceKey:
    """The service's signing key, created on first use (never at start: most deployments start without it)."""
    with _key_lock:
        key = getattr(request.app.state, "evidence_key", None)
        if key is None:
            key = load_or_create(request.app.state.settings.resolved_evidence_key_path())
            request.app.state.evidence_key = key
        return key


def agent_or_token(request: Request, session: SessionDep) -> Agent:
    """A signed-in agent, or a script with an API token (the lead's tooling)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        agent = bearer_agent(session, header[7:].strip())
        if agent is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return agent
    return current_agent(request, session)


ReaderDep = Annotated[Agent, Depends(agent_or_token)]


def _signed(request: Request, session: SessionDep, investigation_id: str) -> dict[str, Any] | None:
    record = session.get(Investigation, investigation_id[:32])
    if record is None:
        return None
    investigator = request.app.state.investigator
    settings = request.app.state.settings
    document = dossier.build(session, record, investigator.policy, now=utcnow(), service=settings.public_base_url)
    return evidence_key(request).sign(document)


@router.get("/investigations/{investigation_id}/evidence.json")
def evidence_json(investigation_id: str, request: Request, session: SessionDep, _agent: ReaderDep) -> Response:
    signed = _signed(request, session, investigation_id)
    if signed is None:
        return secure(JSONResponse({"detail": "no such investigation"}, status_code=404))
    trail.record_now(request, session, "evidence.downloaded", investigation_id[:32])
    filename = f"depositdesk-evidence-{investigation_id[:32]}.json"
    response = Response(
        dossier.pretty(signed) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    return secure(response)


@router.get("/investigations/{investigation_id}/evidence", response_class=HTMLResponse)
def evidence_page(investigation_id: str, request: Request, session: SessionDep, agent: ReaderDep) -> Response:
    signed = _signed(request, session, investigation_id)
    if signed is None:
        return render(request, "shared/_error_page.html", {"agent": agent, "error": "No such investigation."}, 404)
    context = {"agent": agent, "doc": signed["evidence"], "signature": signed["signature"], "well_known": WELL_KNOWN}
    return render(request, "lead/evidence.html", context)


@router.get(WELL_KNOWN, include_in_schema=True)
def public_key(request: Request) -> Response:
    """The public half of the key that signs evidence files (Ed25519, base64 of the 32 raw bytes)."""
    return secure(JSONResponse(evidence_key(request).describe()))
