"""An app on SQLite and PostgreSQL, and clients signed in as an account of each role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.agents.sessions import CSRF_COOKIE, SESSION_COOKIE
from app.main import create_app
from app.runtime.accounts import add_agent, start_session

CSRF = "walk-csrf-token-0123456789abcdefghij"


@pytest.fixture
def role_app(settings, engine, chain):  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"docs_enabled": True}), engine=engine)
    with Session(engine) as session:
        add_agent(session, "root")  # the first account of a deployment: admin
    return app


def person(app, name: str, role: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    """A browser signed in as a new account of `role` (CSRF cookie set), and the account's API token."""
    with Session(app.state.engine) as session:
        agent, token = add_agent(session, name, role=role)
        key = start_session(session, agent.id, app.state.sessions.lifetime)
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, app.state.sessions._serializer().dumps({"session": key}))
    client.cookies.set(CSRF_COOKIE, CSRF)
    client.headers["x-csrf-token"] = CSRF
    return client, token
