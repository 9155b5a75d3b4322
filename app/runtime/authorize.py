"""The access check of every route, before it runs: who calls (a signed-in person, a person's API
token, or a machine token) and whether `app.runtime.roles` lets them. The app installs `authorize`
as a dependency of every route; the caller it found is kept on `request.state.caller` for the route's
own dependencies (`app.runtime.bearer`, `app.runtime.signed_in`) and for the trail (`who`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, Request, status
from sqlmodel import Session

from app.runtime.accounts import Agent, agent_for_session, agent_for_token
from app.runtime.activity import Who
from app.runtime.db import SessionDep
from app.runtime.roles import Rule, match
from app.runtime.signed_in import LoginRequired
from app.runtime.tokens import ApiToken, token_for_secret, touch


@dataclass(frozen=True)
class Caller:
    name: str  # the agent's name, or the token's
    role: str  # the agent's role; "token" for a machine token
    agent: Agent | None = None
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    via: str = "session"  # session | bearer

    @property
    def actor(self) -> str:
        return f"token:{self.name}" if self.token is not None else f"agent:{self.name}"


class Forbidden(Exception):
    """403 with a message saying what is needed; JSON for the API, a page otherwise."""

    def __init__(self, message: str, caller: Caller) -> None:
        super().__init__(message)
        self.message = message
        self.caller = caller


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def caller_for_secret(session: Session, secret: str) -> Caller | None:
    """A person's API token or a machine token; None for an unknown, revoked or expired one."""
    if len(secret) > 200:
        return None
    token = token_for_secret(session, secret)
    if token is not None:
        touch(session, token)
        return Caller(token.name, "token", token=token, scopes=token.scope_set(), via="bearer")
    agent = agent_for_token(session, secret)
    return Caller(agent.name, agent.role, agent=agent, via="bearer") if agent is not None else None


def identify(request: Request, session: Session) -> Caller | None:
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    secret = _bearer(request)
    caller: Caller | None = None
    if secret is not None:
        caller = caller_for_secret(session, secret)
    else:
        key = request.app.state.sessions.key(request)
        agent = agent_for_session(session, key) if key is not None else None
        caller = Caller(agent.name, agent.role, agent=agent) if agent is not None else None
    request.state.caller = caller
    return caller


def refusal(rule: Rule, caller: Caller, method: str, path: str) -> str | None:
    """Why the caller may not use the route (None: they may)."""
    if caller.token is not None:
        if rule.scope is not None and rule.scope.value in caller.scopes:
            return None
        given = ", ".join(sorted(caller.scopes)) or "none"
        if rule.scope is None:
            return f"{method} {path} is for people ({rule.who()}), not machine tokens (this token's scopes: {given})"
        return f"{method} {path} needs a token with the scope {rule.scope.value} (this token's scopes: {given})"
    if caller.role in rule.roles:
        return None
    return f"{method} {path} is for the roles {rule.who()}; your role is {caller.role}"


def authorize(request: Request, session: SessionDep) -> None:
    path, rule, _declared = match(request.method, request.url.path)
    if rule.public:
        return
    caller = identify(request, session)
    if caller is None:
        if _bearer(request) is not None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        if path.startswith("/api/"):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing bearer token: send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise LoginRequired(request.url.path)
    why = refusal(rule, caller, request.method, path)
    if why is not None:
        raise Forbidden(why, caller)


def who(request: Request) -> Who:
    """The trail's "who": the caller of this request, their role and address."""
    caller = getattr(request.state, "caller", None)
    source = client_address(request)
    if caller is None:
        return Who("anonymous", "none", source)
    return Who(caller.actor, caller.role, source)
