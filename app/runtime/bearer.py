"""The bearer-token dependency of the JSON API: a person's API token or a machine token (the caller
`app.runtime.authorize` found for this request, whose role or scopes it has already checked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.runtime.accounts import Agent
from app.runtime.authorize import Caller, caller_for_secret
from app.runtime.db import SessionDep

_bearer = HTTPBearer(auto_error=False, description="Token printed by `depositdesk agents add NAME`")


def as_agent(caller: Caller) -> Agent:
    """The person, or for a machine token a stand-in named `token:NAME` (never stored)."""
    if caller.agent is not None:
        return caller.agent
    return Agent(id=None, name=caller.actor, token_hash="", role="token")


def require_agent(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Agent:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    caller = getattr(request.state, "caller", None)
    if caller is None or caller.via != "bearer":
        caller = caller_for_secret(session, credentials.credentials)
    if caller is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    return as_agent(caller)


AgentDep = Annotated[Agent, Depends(require_agent)]


def bearer_agent(session: SessionDep, secret: str) -> Agent | None:
    """The agent (or a machine token's stand-in) of a bearer secret; None for an unknown or revoked one."""
    caller = caller_for_secret(session, secret)
    return as_agent(caller) if caller is not None else None
