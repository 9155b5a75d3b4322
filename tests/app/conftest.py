from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.runtime.accounts import add_agent


@pytest.fixture
def api(engine, settings, chain):  # type: ignore[no-untyped-def]
    """An authenticated client on SQLite and on PostgreSQL, providers served by `chain`."""
    # The OpenAPI document is part of the contract these tests read (off by default in production).
    app = create_app(settings.model_copy(update={"docs_enabled": True}), engine=engine)
    with Session(engine) as session:
        _agent, token = add_agent(session, "alice")
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
