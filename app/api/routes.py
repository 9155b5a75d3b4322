"""JSON API routes: parse, call the service, render. Decisions live in `investigations`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.api.deps import AgentDep
from app.api.schemas import InvestigationIn, InvestigationOut, TelegramLinkIn, TelegramLinkOut, UpsertOut
from app.api.searches import router as searches_router
from app.runtime import chat_links
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


@router.put("/deposit-addresses", response_model=UpsertOut)
def put_deposit_addresses(records: list[DepositAddressRecord], request: Request, session: SessionDep, _agent: AgentDep):
    return _upsert(upsert_deposit_addresses, records, request, session)


@router.put("/deposits", response_model=UpsertOut)
def put_deposits(records: list[LedgerDepositRecord], request: Request, session: SessionDep, _agent: AgentDep):
    return _upsert(upsert_deposits, records, request, session)


def _upsert(
    upsert: Callable[..., Any], records: list[Any], request: Request, session: Session
) -> UpsertOut | JSONResponse:
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

    def __init__(self, session: SessionDep) -> None:
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
