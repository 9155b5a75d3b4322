"""The admin's pages: accounts and roles (`/admin/accounts`), machine tokens (`/admin/tokens`), and the
activity trail (`/activity`, `/activity.csv`, for admins and leads). Who may open them is said in
`app.runtime.roles`; every form carries the CSRF token; every change appends its trail row in the
transaction that makes it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.runtime import activity, tokens
from app.runtime.accounts import ROLES, Agent, add_agent, list_agents, revoke_agent, set_role
from app.runtime.authorize import who
from app.runtime.db import SessionDep
from app.runtime.pages import secure
from app.runtime.roles import Scope
from app.runtime.signed_in import AgentDep, CsrfDep, render
from investigations.types import utcnow

router = APIRouter(include_in_schema=False, tags=["admin"])
PAGE_SIZE = 100


@router.get("/admin")
def admin_home() -> Response:
    return RedirectResponse("/admin/accounts", status_code=303)


def _accounts(request: Request, session: SessionDep, agent: Agent, **extra: Any) -> Response:
    context = {"agent": agent, "accounts": list_agents(session), "roles": ROLES, **extra}
    return render(request, "admin/accounts.html", context, extra.pop("status_code", 200))


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    return _accounts(request, session, agent)


@router.post("/admin/accounts", dependencies=[CsrfDep])
def account_add(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    name: Annotated[str, Form(max_length=128)] = "",
    role: Annotated[str, Form(max_length=16)] = "agent",
) -> Response:
    try:
        created, token = add_agent(session, name, role=role, commit=False)
    except ValueError as exc:
        session.rollback()
        return _accounts(request, session, agent, error=f"name or role: {exc}", status_code=422)
    activity.append(session, who(request), "account.added", created.name, after={"role": created.role})
    session.commit()
    shown = {"name": created.name, "token": token}
    return _accounts(request, session, agent, created=shown)


@router.post("/admin/accounts/{agent_id}/role", dependencies=[CsrfDep])
def account_role(
    agent_id: int,
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    target = session.get(Agent, agent_id)
    if target is None:
        return _accounts(request, session, agent, error=f"no account {agent_id}", status_code=404)
    try:
        changed, before = set_role(session, target.name, role)
    except ValueError as exc:
        session.rollback()
        return _accounts(request, session, agent, error=f"role: {exc}", status_code=422)
    activity.append(session, who(request), "account.role", changed.name, before={"role": before}, after={"role": role})
    session.commit()
    return RedirectResponse("/admin/accounts", status_code=303)


@router.post("/admin/accounts/{agent_id}/revoke", dependencies=[CsrfDep])
def account_revoke(agent_id: int, request: Request, session: SessionDep, agent: AgentDep) -> Response:
    target = session.get(Agent, agent_id)
    if target is None:
        return _accounts(request, session, agent, error=f"no account {agent_id}", status_code=404)
    if target.id == agent.id:
        return _accounts(request, session, agent, error="you cannot revoke your own account", status_code=422)
    was = "revoked" if target.revoked_at else "active"
    revoke_agent(session, target.name)
    activity.append(
        session, who(request), "account.revoked", target.name, before={"state": was}, after={"state": "revoked"}
    )
    session.commit()
    return RedirectResponse("/admin/accounts", status_code=303)


def _tokens(request: Request, session: SessionDep, agent: Agent, **extra: Any) -> Response:
    now = utcnow()
    rows = [token.describe(now) for token in tokens.list_tokens(session)]
    context = {"agent": agent, "tokens": rows, "scopes": [s.value for s in Scope], **extra}
    return render(request, "admin/tokens.html", context, extra.pop("status_code", 200))


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    return _tokens(request, session, agent)


@router.post("/admin/tokens", dependencies=[CsrfDep])
def token_add(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    name: Annotated[str, Form(max_length=128)] = "",
    scope: Annotated[list[str] | None, Form()] = None,
    expires: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        expires_in = tokens.parse_duration(expires, what="expires") if expires.strip() else None
        token, secret = tokens.add_token(session, name, scope or [], by=who(request).actor, expires_in=expires_in)
    except ValueError as exc:
        session.rollback()
        return _tokens(request, session, agent, error=str(exc), status_code=422)
    activity.append(session, who(request), "token.added", token.name, after=_token_change(token))
    session.commit()
    return _tokens(request, session, agent, created={"name": token.name, "secret": secret})


@router.post("/admin/tokens/{token_id}/rotate", dependencies=[CsrfDep])
def token_rotate(
    token_id: int,
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    overlap: Annotated[str, Form(max_length=16)] = "24h",
) -> Response:
    try:
        token = tokens.by_id(session, token_id)
        window = tokens.parse_duration(overlap, what="overlap") if overlap.strip() not in ("", "0") else timedelta(0)
        secret = tokens.rotate(session, token, window)
    except ValueError as exc:
        session.rollback()
        return _tokens(request, session, agent, error=str(exc), status_code=422)
    activity.append(session, who(request), "token.rotated", token.name, after=_token_change(token))
    session.commit()
    return _tokens(request, session, agent, created={"name": token.name, "secret": secret})


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[CsrfDep])
def token_revoke(token_id: int, request: Request, session: SessionDep, agent: AgentDep) -> Response:
    try:
        token = tokens.by_id(session, token_id)
    except ValueError as exc:
        return _tokens(request, session, agent, error=str(exc), status_code=404)
    before = token.state(utcnow())
    tokens.revoke(session, token)
    activity.append(
        session, who(request), "token.revoked", token.name, before={"state": before}, after={"state": "revoked"}
    )
    session.commit()
    return RedirectResponse("/admin/tokens", status_code=303)


def _token_change(token: tokens.ApiToken) -> dict[str, Any]:
    """What the trail keeps of a token: never its secret nor its hash."""
    return {
        "scopes": sorted(token.scope_set()),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "previous_until": token.previous_until.isoformat() if token.previous_until else None,
    }


# Text settings whose value is never a secret; every other text setting shows only "set" or "not set".
_PLAIN_TEXT = {
    "environment",
    "public_base_url",
    "auto_reply_mode",
    "oidc_issuer",
    "oidc_role_claim",
    "oidc_scopes",
    "oidc_name_claim",
}
_SECRET_WORDS = ("secret", "token", "password", "key", "url", "provider", "api")


def settings_rows(settings: Any) -> list[dict[str, str]]:
    """Every setting by its variable name; numbers, switches and a few plain texts with their value,
    anything else (which may hold a secret or carry credentials in a URL) only as set or not."""
    rows = []
    for name in sorted(type(settings).model_fields):
        value = getattr(settings, name)
        plain = name in _PLAIN_TEXT or (
            isinstance(value, (bool, int, float)) and not any(word in name for word in _SECRET_WORDS)
        )
        if value in (None, "", [], {}, ()):
            shown = "not set"
        elif plain:
            shown = str(value)
        else:
            shown = "set (not shown)"
        rows.append({"name": name.upper(), "value": shown})
    return rows


@router.get("/admin/settings", response_class=HTMLResponse)
def settings_page(request: Request, agent: AgentDep) -> Response:
    context = {"agent": agent, "settings": settings_rows(request.app.state.settings)}
    return render(request, "admin/settings.html", context)


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def activity_filters(params: dict[str, str]) -> dict[str, Any]:
    """actor, action (prefix), from/to (days, to included), before (the cursor); errors name the field."""
    chosen: dict[str, Any] = {
        "actor": params.get("actor", "").strip()[:160],
        "action": params.get("action", "").strip()[:64],
    }
    for field, key, shift in (("from", "since", 0), ("to", "until", 1)):
        value = params.get(field, "").strip()
        if value:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise FilterError(field, "must be a day, YYYY-MM-DD") from None
            chosen[key] = datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=shift)
    cursor = params.get("before", "").strip()
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:
            raise FilterError("before", "must be the seq of a row (a whole number)")
        chosen["before_seq"] = int(cursor)
    return chosen


_ACTIVITY_FILTERS = ("actor", "action", "from", "to")


@router.get("/activity", response_class=HTMLResponse)
def activity_page(
    request: Request,
    session: SessionDep,
    agent: AgentDep,
    before: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in (*_ACTIVITY_FILTERS, "before")}
    shown = {k: v for k, v in params.items() if k in _ACTIVITY_FILTERS and v}
    context: dict[str, Any] = {
        "agent": agent,
        "filters": shown,
        "rows": [],
        "next": None,
        "csv_query": urlencode(shown),
    }
    try:
        chosen = activity_filters(params)
    except FilterError as exc:
        return render(request, "admin/activity.html", {**context, "error": str(exc)}, 422)
    found = activity.rows(session, **chosen, limit=PAGE_SIZE + 1)
    context["rows"] = [row.as_dict() for row in found[:PAGE_SIZE]]
    if len(found) > PAGE_SIZE:
        context["next"] = urlencode({**shown, "before": found[PAGE_SIZE - 1].seq})
    return render(request, "admin/activity.html", context)


@router.get("/activity.csv")
def activity_csv(request: Request, session: SessionDep, agent: AgentDep) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in _ACTIVITY_FILTERS}
    try:
        chosen = activity_filters(params)
    except FilterError as exc:
        return secure(Response(str(exc), status_code=422, media_type="text/plain"))
    found = activity.rows(session, **chosen, limit=100_000)
    activity.append_now(
        session, who(request), "activity.exported", "activity.csv", after={"rows": len(found), **params}
    )
    headers = {"Content-Disposition": 'attachment; filename="activity.csv"'}
    return secure(Response(activity.to_csv(found), media_type="text/csv; charset=utf-8", headers=headers))
