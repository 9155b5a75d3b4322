"""`POST /webhooks/{helpdesk}`: signature over the raw bytes first (a bare 401; nothing is parsed
or scanned before it), then the delivery and its job are persisted in one transaction and the answer
is 202 — nothing slow happens in the request; when too many deliveries wait to be written the
answer is a quick 503 with Retry-After.
A delivery seen before answers 200 and does nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers

from app.helpdesks.intake import IntakeUnavailable
from app.runtime import metrics
from app.runtime.limits import MAX_JSON_DEPTH, too_deep
from investigations.inputs import UnstorableText, storable_text
from investigations.types import utcnow

router = APIRouter(tags=["helpdesks"])
INLINE_PARSE_BYTES = 16 * 1024


@router.post("/webhooks/{helpdesk}", status_code=202, responses={401: {"description": "bad or missing signature"}})
async def webhook(helpdesk: str, request: Request) -> Response:
    desk = request.app.state.helpdesks.get(helpdesk)
    if desk is None:
        return JSONResponse({"detail": f"no helpdesk {helpdesk[:20]!r} is configured"}, status_code=404)
    body = await request.body()
    if not desk.verify(request.headers, body, utcnow()):
        metrics.WEBHOOKS.labels(helpdesk, "unauthorized").inc()
        return Response(status_code=401)
    # Signed bodies only from here on. A usual delivery is a few kilobytes: scanned and parsed right
    # here; a large one (up to WEBHOOK_MAX_BODY_BYTES) off the event loop.
    small = len(body) <= INLINE_PARSE_BYTES
    if too_deep(body, MAX_JSON_DEPTH) if small else await run_in_threadpool(too_deep, body, MAX_JSON_DEPTH):
        return _invalid(helpdesk, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        if small:
            delivery = desk.parse(request.headers, body)
        else:
            delivery = await run_in_threadpool(desk.parse, request.headers, body)
    except json.JSONDecodeError:
        return _invalid(helpdesk, "the body is not JSON")
    except UnicodeDecodeError:
        return _invalid(helpdesk, "the body is not UTF-8 JSON")
    except ValueError as exc:  # our own messages: say what is wrong
        return _invalid(helpdesk, str(exc))
    except (TypeError, AttributeError):
        return _invalid(helpdesk, "the body does not have the shape this helpdesk sends")
    try:
        for text in (delivery.delivery_id, delivery.ticket_ref, delivery.text or "") if delivery else ():
            storable_text(text)
    except UnstorableText as exc:
        return _invalid(helpdesk, f"the delivery {exc}")
    if delivery is None:
        metrics.WEBHOOKS.labels(helpdesk, "ignored").inc()
        return JSONResponse({"status": "ignored"}, status_code=200)

    try:
        new = await request.app.state.intake.record(helpdesk, delivery)
    except IntakeUnavailable as exc:  # queue full or database down: quick refusal, the helpdesk retries
        metrics.WEBHOOKS.labels(helpdesk, "busy").inc()
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": str(exc.retry_after)})
    if not new:
        metrics.WEBHOOKS.labels(helpdesk, "duplicate").inc()
        return JSONResponse({"status": "duplicate"}, status_code=200)
    metrics.WEBHOOKS.labels(helpdesk, "accepted").inc()
    return JSONResponse({"status": "accepted"}, status_code=202)


def door(helpdesks: Callable[[], Mapping[str, Any]]) -> Callable[[str, Headers], int | None]:
    """For the limits middleware, before a byte of a delivery is read: 404 for a helpdesk that is not
    configured, 401 when the headers alone already fail (`check_headers`), None to read the body."""

    def authorize(path: str, headers: Headers) -> int | None:
        name = path.removeprefix("/webhooks/").split("/", 1)[0]
        desk = helpdesks().get(name)
        if desk is None:
            return 404
        if not desk.check_headers(headers, utcnow()):
            metrics.WEBHOOKS.labels(name, "unauthorized").inc()
            return 401
        return None

    return authorize


def _invalid(helpdesk: str, message: str) -> JSONResponse:
    metrics.WEBHOOKS.labels(helpdesk, "invalid").inc()
    # The shape the OpenAPI document gives every 422 (a list of {loc, msg, type}), plus the message.
    detail = [{"loc": ["body"], "msg": message, "type": "value_error"}]
    return JSONResponse({"detail": detail, "message": message}, status_code=422)
