"""The bearer-token dependency of the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.runtime.accounts import Agent, agent_for_token
from app.runtime.db import SessionDep

_bearer = HTTPBearer(auto_error=False, description="Token printed by `depositdesk agents add NAME`")


def require_agent(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Agent:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    agent = agent_for_token(session, credentials.credentials)
    if agent is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    return agent


AgentDep = Annotated[Agent, Depends(require_agent)]
