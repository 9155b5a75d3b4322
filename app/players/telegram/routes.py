"""`POST /telegram/webhook`: Telegram's secret-token header is checked before anything else (a bare
401); the update and its job are stored in one transaction and the answer is 200 at once. An update
seen before is answered 200 and not handled again."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.datastructures import Headers

from app.players.telegram.work import accept_update

router = APIRouter(include_in_schema=False, tags=["players"])
MAX_UPDATE_BYTES = 64 * 1024  # a text message update is a few kilobytes


def door(settings: Callable[[], Any]) -> Callable[[str, Headers], int | None]:
    """For the limits middleware, before a byte of the update is read: 404 when the bot is not
    configured for webhooks, 401 when the secret-token header is missing or wrong."""

    def authorize(_path: str, headers: Headers) -> int | None:
        current = settings()
        expected = current.telegram_webhook_secret
        if not current.telegram_bot_token or not expected:
            return 404
        given = headers.get("x-telegram-bot-api-secret-token", "")
        return None if _same(given, expected) else 401

    return authorize


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


@router.post("/telegram/webhook")
async def telegram_webhook(request: Request) -> Response:
    settings = request.app.state.settings
    expected = settings.telegram_webhook_secret
    if not settings.telegram_bot_token or not expected:
        return JSONResponse({"detail": "the Telegram bot is not configured"}, status_code=404)
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not _same(given, expected):  # checked at the door too (`door`): this route may be mounted alone
        return Response(status_code=401)
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        return JSONResponse({"detail": "update too large"}, status_code=413)
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("an update is a JSON object")
    except (ValueError, UnicodeDecodeError):
        return JSONResponse({"detail": "the body is not a Telegram update"}, status_code=422)

    def persist() -> bool:
        with Session(request.app.state.engine) as session:
            return accept_update(session, data)

    try:
        accepted = await run_in_threadpool(persist)
    except ValueError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    return JSONResponse({"status": "accepted" if accepted else "duplicate"})
