"""Finance's JSON API: the deposit auditor's findings (`GET /api/findings`, `POST /api/findings/{id}/resolve`)
and the ledger's copy (`PUT /api/deposit-addresses`, `PUT /api/deposits`, `PUT /api/payouts`: bulk upserts,
all rows or none)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.finance import views as audit_views
from app.finance.schemas import ResolveIn, UpsertOut, json_list_body
from app.runtime import trail
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep
from investigations import bounds
from investigations.audit.findings import FindingError, listing, resolve
from investigations.audit.models import Finding
from investigations.ledger import (
    DepositAddressRecord,
    LedgerDepositRecord,
    LedgerRecordsError,
    upsert_deposit_addresses,
    upsert_deposits,
)
from investigations.payouts import PayoutRecordIn, payout_json, payout_listing, upsert_payouts

router = APIRouter(prefix="/api", tags=["finance"])


@router.get("/findings")
def list_findings(
    request: Request,
    session: SessionDep,
    _agent: AgentDep,
    status: str = "open",
    chain: str | None = None,
    code: str | None = None,
    player: str | None = None,
    min_age_minutes: int | None = Query(default=None, ge=0, le=bounds.MAX_MINUTES),
    limit: int = Query(default=200, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=bounds.MAX_OFFSET),
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
def resolve_finding(
    finding_id: Annotated[int, Path(ge=1, le=bounds.MAX_DB_INT)],
    body: ResolveIn,
    request: Request,
    session: SessionDep,
    agent: AgentDep,
) -> Any:
    investigator = request.app.state.investigator
    if session.get(Finding, finding_id) is None:
        raise HTTPException(404, f"no finding {finding_id}")
    try:
        finding = resolve(session, finding_id, by=f"agent:{agent.name}", reason=body.reason, now=investigator.clock())
    except FindingError as exc:
        session.rollback()
        raise HTTPException(409, str(exc)) from exc
    trail.record(
        request,
        session,
        "finding.resolved",
        str(finding_id),
        before={"status": "open"},
        after={"status": finding.status, "reason": body.reason},
    )
    session.commit()
    session.refresh(finding)
    base = request.app.state.settings.public_base_url
    return audit_views.finding_rows(session, [finding], investigator, base, now=investigator.clock())[0]


def _unprocessable(field: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={"detail": [{"loc": ["query", field], "msg": message, "type": "value_error"}], "message": message},
    )


async def _raw_body(request: Request) -> bytes:
    return await request.body()  # already read and size-checked by the limits middleware


RawBody = Annotated[bytes, Depends(_raw_body)]
_LISTS: dict[type, TypeAdapter[Any]] = {
    model: TypeAdapter(list[model]) for model in (DepositAddressRecord, LedgerDepositRecord, PayoutRecordIn)
}


def _records(model: type, body: bytes) -> list[Any]:
    """A ledger upload parsed and validated here, in the route's worker thread: tens of thousands of
    rows take seconds, which must not stall the event loop (FastAPI validates declared bodies on it)."""
    if not body.strip():
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        data = json.loads(body, parse_float=Decimal)
    except ValueError as exc:  # not JSON, not UTF-8, or an integer beyond Python's digit limit
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": f"the body is not valid JSON ({exc})", "input": None}]
        ) from None
    try:
        return _LISTS[model].validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


@router.put("/deposit-addresses", response_model=UpsertOut, openapi_extra=json_list_body(DepositAddressRecord))
def put_deposit_addresses(body: RawBody, request: Request, session: SessionDep, _agent: AgentDep):
    return _upsert(upsert_deposit_addresses, _records(DepositAddressRecord, body), request, session)


@router.put("/deposits", response_model=UpsertOut, openapi_extra=json_list_body(LedgerDepositRecord))
def put_deposits(body: RawBody, request: Request, session: SessionDep, _agent: AgentDep):
    return _upsert(upsert_deposits, _records(LedgerDepositRecord, body), request, session)


@router.put("/payouts", response_model=UpsertOut, openapi_extra=json_list_body(PayoutRecordIn))
def put_payouts(body: RawBody, request: Request, session: SessionDep, _agent: AgentDep):
    """The casino's payout (withdrawal) records by payout_id: bulk, idempotent, all rows or none."""
    return _upsert(upsert_payouts, _records(PayoutRecordIn, body), request, session)


@router.get("/payouts")
def list_payouts(
    request: Request,
    session: SessionDep,
    _agent: AgentDep,
    status: str | None = Query(default=None, max_length=16, description="requested, approved, sent or rejected"),
    player: str | None = Query(default=None, max_length=128),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> Any:
    """The payout records as stored, newest request first (amounts as decimal strings)."""
    if status is not None and status not in ("requested", "approved", "sent", "rejected"):
        return _unprocessable("status", "must be requested, approved, sent or rejected")
    assets = request.app.state.settings.assets
    rows = payout_listing(session, status=status, player_ref=player, limit=limit, offset=offset)
    return {"payouts": [payout_json(row, assets) for row in rows]}


def _upsert(upsert: Callable[..., Any], records: list[Any], request: Request, session: Session) -> Any:
    """All rows or none; rows refused by this deployment's assets get a 422 naming them."""
    try:
        with _one_transaction(session):
            result = upsert(session, records, request.app.state.settings.assets)
            trail.record(
                request,
                session,
                f"ledger.{upsert.__name__.removeprefix('upsert_')}",
                after={"received": len(records), **vars(result)},
            )
    except LedgerRecordsError as exc:
        return _row_errors(exc)
    return UpsertOut(received=len(records), **vars(result))


def _row_errors(exc: LedgerRecordsError) -> JSONResponse:
    """The same 422 shape as a validation error, for rows refused by this deployment's assets."""
    detail = [{"loc": ["body", e.row, e.field], "msg": e.reason, "type": "value_error"} for e in exc.errors]
    message = "; ".join(f"row {e.row + 1}.{e.field}: {e.reason}" for e in exc.errors[:10])
    return JSONResponse(status_code=422, content={"detail": detail, "message": message})


class _one_transaction:
    """Commit on success; on a concurrent write of the same keys, roll back and answer 409."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:  # type: ignore[no-untyped-def]
        if exc_type is None:
            try:
                self.session.commit()
                return False
            except IntegrityError as error:
                exc = error
        self.session.rollback()
        if isinstance(exc, IntegrityError):
            raise HTTPException(409, "another upload wrote the same records at the same time; send the batch again")
        return False
