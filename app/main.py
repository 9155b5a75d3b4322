"""The FastAPI application: create_app(settings) wires engine, investigator and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.admin import api as admin_api
from app.admin import routes as admin
from app.agents import api as agents_api
from app.agents import oidc
from app.agents import routes as agents
from app.agents.sessions import Sessions
from app.finance import api as finance_api
from app.finance import routes as finance
from app.helpdesks import routes as helpdesks
from app.helpdesks.intake import IntakeWriter
from app.lead import api as lead_api
from app.lead import evidence as lead_evidence
from app.lead import routes as lead
from app.players import api as players_api
from app.players import routes as players
from app.players.discord import routes as discord
from app.players.telegram import routes as telegram
from app.runtime.access import bearer_valid, body_rules
from app.runtime.authorize import Forbidden, authorize
from app.runtime.db import make_engine, migrate
from app.runtime.headers import SecurityHeaders
from app.runtime.limits import BodyLimits, BodyRule
from app.runtime.metrics import REGISTRY, register_queue
from app.runtime.pages import STATIC_DIR, secure, templates
from app.runtime.ratelimit import KeyedRateLimit
from app.runtime.redaction import install as redact_configured
from app.runtime.signed_in import CsrfRejected, LoginRequired, render
from app.settings import Settings, load_settings
from app.wiring import build_helpdesks, build_investigator, build_work
from investigations.service import Investigator

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    investigator: Investigator | None = None,
    migrate_schema: bool = True,
) -> FastAPI:
    redact_configured(settings)  # the configured URLs' paths, queries and credentials never reach a log
    docs = settings.docs_served  # off in production unless DOCS_ENABLED=true
    app = FastAPI(
        title="depositdesk",
        version="0.1.0",
        summary="Crypto deposit investigations for casino support teams",
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        lifespan=_lifespan,
        dependencies=[Depends(authorize)],  # every route: the role or scope app.runtime.roles names for it
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, pool_size=settings.pool_size())
    if migrate_schema:
        migrate(app.state.engine)
    app.state.investigator = investigator or build_investigator(settings)
    app.state.sessions = Sessions(settings.resolved_secret_key(), cross_site=bool(settings.embed_origins))
    app.state.oidc = oidc.provider_from(settings)  # None without OIDC_ISSUER
    app.state.helpdesks = build_helpdesks(settings)
    app.state.work = build_work(settings, app.state.investigator, helpdesks=app.state.helpdesks)
    app.state.intake = IntakeWriter(app.state.engine, limit=settings.intake_queue_limit)
    register_queue(app.state.engine)
    shared_limits = {"redis_url": settings.redis_url, "prefix": settings.redis_prefix}
    app.state.login_limit = KeyedRateLimit(settings.login_rate_limit_per_ip, name="login-ip", **shared_limits)
    app.state.status_limits = {
        "ip": KeyedRateLimit(settings.status_rate_limit_per_ip, name="status-ip", **shared_limits),
        "token": KeyedRateLimit(settings.status_rate_limit_per_token, name="status-token", **shared_limits),
    }
    app.add_middleware(
        BodyLimits,
        rules=body_rules(
            upload_bytes=settings.max_body_bytes,
            webhook_bytes=settings.webhook_max_body_bytes,
            other_bytes=settings.request_max_body_bytes,
            # Authenticated on their headers before a body byte is read (read per request: tests
            # and a reload may swap the helpdesks or the settings).
            webhook_headers=helpdesks.door(lambda: app.state.helpdesks),
            telegram_headers=telegram.door(lambda: app.state.settings),
        ),
        default=BodyRule("/", settings.request_max_body_bytes),
        authenticate=lambda token: bearer_valid(app.state.engine, token),
    )
    # Outermost: its headers go on every answer, the limits' refusals included.
    app.add_middleware(SecurityHeaders, https=settings.public_base_url.lower().startswith("https://"))
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(agents_api.router)
    app.include_router(finance_api.router)
    app.include_router(agents.router)
    app.include_router(finance.router)
    app.include_router(lead_api.router)
    app.include_router(lead.router)
    app.include_router(lead_evidence.router)
    app.include_router(players_api.router)
    app.include_router(players.router)
    app.include_router(helpdesks.router)
    app.include_router(telegram.router)
    app.include_router(discord.router)
    app.include_router(admin_api.router)
    app.include_router(admin.router)
    app.include_router(oidc.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["runtime"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["runtime"], include_in_schema=False)
    def prometheus(request: Request) -> Response:
        client = request.client.host if request.client else None
        if not settings.metrics_allowed(client, request.headers.get("authorization")):
            return Response(status_code=404)  # the same as a service without /metrics
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/readyz", tags=["runtime"])
    def readyz() -> JSONResponse:
        try:
            with app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("database not ready")
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.intake.close()  # what was accepted is written before the process ends


def app_from_environment() -> FastAPI:
    """The app of one `depositdesk serve --workers N` process: settings from the environment, the
    schema already migrated (or checked) by the parent process before it started the workers."""
    return create_app(load_settings(), migrate_schema=False)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?{urlencode({'next': exc.next_url})}", status_code=303)


async def _csrf_rejected(_request: Request, _exc: Exception) -> Response:
    return secure(
        HTMLResponse(
            "<p>The form expired or did not come from this site. Go back, reload and try again.</p>", status_code=403
        )
    )


_ERROR_WORDS = {
    404: ("Page not found", "There is no page at this address. Check the link, or start from the lookup."),
    405: ("Not allowed", "This address does not take that kind of request."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    """HTML error pages for browsers, JSON (FastAPI's usual {"detail": …}) for API clients and /api/."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    wants_html = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
    if not wants_html:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    title, text_ = _ERROR_WORDS.get(exc.status_code, (f"Error {exc.status_code}", str(exc.detail)))
    context = {"status_code": exc.status_code, "title": title, "text": text_, "agent": None}
    response = templates.TemplateResponse(request, "shared/http_error.html", context, status_code=exc.status_code)
    response.headers.update(headers)
    return secure(response)


async def _forbidden(request: Request, exc: Exception) -> Response:
    """403 naming the role or scope the route needs; nothing of the route's data."""
    assert isinstance(exc, Forbidden)
    if request.url.path.startswith("/api/") or exc.caller.via == "bearer":
        return JSONResponse({"detail": exc.message}, status_code=403)
    return render(request, "shared/_error_page.html", {"agent": exc.caller.agent, "error": exc.message}, 403)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = []
    for error in exc.errors():
        details.append({"loc": list(error.get("loc", ())), "msg": _message(error), "type": error.get("type")})
    summary = "; ".join(f"{_where(d['loc'])}: {d['msg']}" for d in details[:10])
    if len(details) > 10:
        summary += f"; and {len(details) - 10} more"
    return JSONResponse(status_code=422, content=jsonable_encoder({"detail": details, "message": summary}))


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "missing" and error.get("loc") == ("body",):
        return "the request body is empty: send a JSON document"
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    return message.removeprefix("Value error, ")


def _where(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    if parts and parts[0].isdigit():
        parts[0] = f"row {int(parts[0]) + 1}"
    return ".".join(parts) or "body"
