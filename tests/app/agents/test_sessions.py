"""Sessions end server-side: a copied cookie stops working after sign-out, a password change,
a token rotation or a revoked agent; `depositdesk agents list | revoke | rotate | password`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cli import main
from app.runtime.accounts import hash_password, revoke_agent, rotate_token, set_password
from tests.support.web import PASSWORD, _csrf


def _sign_in(client: TestClient, name: str = "alice", password: str = PASSWORD) -> str:
    page = client.get("/login")
    client.post("/login", data={"csrf": _csrf(page.text), "name": name, "password": password})
    return client.cookies["dd_session"]


def _with_cookie(app, cookie: str) -> int:
    with TestClient(app) as other:
        other.cookies.set("dd_session", cookie)
        return other.get("/", follow_redirects=False).status_code


def test_a_copied_cookie_stops_working_after_sign_out(app, browser):
    cookie = _sign_in(browser)
    assert _with_cookie(app, cookie) == 200
    browser.post("/logout", data={"csrf": _csrf(browser.get("/").text)})
    assert _with_cookie(app, cookie) == 303


@pytest.mark.parametrize(
    "change",
    [
        lambda session: revoke_agent(session, "alice"),
        lambda session: rotate_token(session, "alice"),
        lambda session: set_password(session, "alice", hash_password("another password")),
    ],
    ids=["revoked", "token rotated", "password changed"],
)
def test_sessions_end_when_the_agent_changes(app, browser, sqlite_engine, change):
    cookie = _sign_in(browser)
    assert _with_cookie(app, cookie) == 200
    with Session(sqlite_engine) as session:
        change(session)
        session.commit()  # the change is the caller's to commit, with its trail row
    assert _with_cookie(app, cookie) == 303


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(main, list(args), catch_exceptions=False, **kw)


def test_agents_list_revoke_and_rotate(cli, tmp_path):
    from app.runtime.accounts import agent_for_token
    from app.runtime.db import make_engine

    first = cli("agents", "add", "alice").stdout.strip().splitlines()[-1]
    cli("agents", "add", "bob")
    rotated = cli("agents", "rotate", "alice")
    assert rotated.exit_code == 0
    second = rotated.stdout.strip().splitlines()[-1]
    assert second.startswith("dd_") and second != first
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    with Session(engine) as session:
        assert agent_for_token(session, first) is None and agent_for_token(session, second) is not None
    assert cli("agents", "revoke", "alice").exit_code == 0
    with Session(engine) as session:
        assert agent_for_token(session, second) is None
    listing = cli("agents", "list").stdout
    assert "alice" in listing and "revoked" in listing and "bob" in listing and "active" in listing
    assert second not in listing
    assert cli("agents", "rotate", "alice").exit_code == 1  # a revoked agent gets no new token
    assert "no agent named" in cli("agents", "revoke", "carol").output


def test_a_revoked_agent_cannot_sign_in_or_use_the_api(app, browser, sqlite_engine):
    from app.runtime.accounts import add_agent

    with Session(sqlite_engine) as session:
        _agent, token = add_agent(session, "mallory", password_hash=hash_password(PASSWORD))
        revoke_agent(session, "mallory")
        session.commit()
    page = browser.get("/login")
    assert browser.post("/login", data={"csrf": _csrf(page.text), "token": token}).status_code == 401
    assert (
        browser.post("/login", data={"csrf": _csrf(page.text), "name": "mallory", "password": PASSWORD}).status_code
        == 401
    )
    assert browser.get("/api/investigations/x", headers={"Authorization": f"Bearer {token}"}).status_code == 401
