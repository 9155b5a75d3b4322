"""A signed-in agent's client for the page tests: the agent's pages and the player's status link."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.runtime.accounts import add_agent, hash_password
from tests.support.ledger import add_addresses, address

OURS = address("web-p-1")
TIP = 850_010
PASSWORD = "correct horse battery"


@pytest.fixture
def app(settings, sqlite_engine, chain):
    application = create_app(settings.model_copy(update={"status_rate_limit_per_ip": 1000}), engine=sqlite_engine)
    with Session(sqlite_engine) as session:
        add_agent(session, "alice", password_hash=hash_password(PASSWORD))
        add_addresses(session, (OURS, "p-1842"))
    return application


@pytest.fixture
def browser(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def agent(browser):
    """A signed-in agent's browser."""
    page = browser.get("/login")
    browser.post(
        "/login", data={"csrf": _csrf(page.text), "name": "alice", "password": PASSWORD}, follow_redirects=False
    )
    return browser


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _lookup(agent, **form):
    page = agent.get("/")
    return agent.post("/lookup", data={"csrf": _csrf(page.text), **form}, follow_redirects=True)
