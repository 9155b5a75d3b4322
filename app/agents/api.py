"""JSON API routes: parse, call the service, render. Decisions live in `investigations`."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.agents.api_searches import router as searches_router
from app.agents.schemas import (
    InvestigationIn,
    InvestigationOut,
    TelegramLinkIn,
    TelegramLinkOut,
    UpsertOut,
    json_list_body,
)
from app.players import chat_links
from app.runtime.bearer import AgentDep
from app.runtime.db import SessionDep
from investigations.ledger import (
    DepositAddressRecord,
    LedgerDepositRecord,
    LedgerRecordsError,
    upsert_deposit_addresses,
    upsert_deposits,
)
from investigations.models import Investigation
from investigations.service import InvalidInput, InvestigationRequest

router = APIRouter(prefix="/api", tags=["api"])


@router.post(
    "/investigations",
    response_model=InvestigationOut,
    responses={422: {"description": "malformed hash or address; body carries the invalid_input verdict"}},
)
def create_investigation(body: InvestigationIn, request: Request, session: SessionDep, _agent: AgentDep):
    investigator = request.app.state.investigator
    try:
        record = investigator.investigate(session, InvestigationRequest(**body.model_dump()))
    except InvalidInput as exc:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [{"loc": ["body", exc.field], "msg": exc.reason, "type": "invalid_input"}],
                "message": f"{exc.field}: {exc.reason}",
                "verdict": exc.verdict.as_dict(),
            },
        )
    return _out(request, record)


@router.get("/investigations/{investigation_id}", response_model=InvestigationOut)
def get_investigation(investigation_id: str, request: Request, session: SessionDep, _agent: AgentDep):
    record = session.get(Investigation, investigation_id) if len(investigation_id) <= 32 else None
    if record is None:
        raise HTTPException(404, f"no investigation with id {investigation_id[:40]!r}")
    return _out(request, record)


async def _raw_body(request: Request) -> bytes:
    return await request.body()  # already read and size-checked by the limits middleware


RawBody = Annotated[bytes, Depends(_raw_body)]
_LISTS: dict[type, TypeAdapter[Any]] = {
    model: TypeAdapter(list[model]) for model in (DepositAddressRecord, LedgerDepositRecord)
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


def _upsert(upsert: Callable[..., Any], records: list[Any], request: Request, session: Session) -> Any:
    """All rows or none; rows refused by this deployment's assets get a 422 naming them."""
    try:
        with _one_transaction(session):
            result = upsert(session, records, request.app.state.settings.assets)
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


def _out(request: Request, record: Investigation) -> InvestigationOut:
    investigator = request.app.state.investigator
    return InvestigationOut.of(record, request.app.state.settings.public_base_url, investigator.status_token(record))


@router.post(
    "/telegram-links",
    response_model=TelegramLinkOut,
    responses={409: {"description": "the Telegram bot is not configured"}},
)
def create_telegram_link(body: TelegramLinkIn, request: Request, session: SessionDep, _agent: AgentDep):
    """A one-time deep link that links the player's Telegram chat to `player_ref` (15 minutes, single use)."""
    settings = request.app.state.settings
    if not settings.telegram_bot_token or not settings.telegram_bot_username:
        raise HTTPException(409, "set TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME to link chats")
    code, expires = chat_links.mint(session, body.player_ref, settings.resolved_secret_key())
    session.commit()
    return TelegramLinkOut(
        url=f"https://t.me/{settings.telegram_bot_username}?start={code}",
        expires_at=expires.isoformat().replace("+00:00", "Z"),
    )


# The no-hash search lives in its own module; its routes share this router's /api prefix.
router.include_router(searches_router)
