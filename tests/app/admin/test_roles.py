"""Roles: accounts that exist when roles arrive become admin, the first account of a deployment is
admin whatever is asked, later ones agents by default; a new role or a revocation ends the account's
sessions; the admin's account pages (CSRF on every form) and `depositdesk agents add --role | role`."""

from __future__ import annotations

import pytest
from alembic import command
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.cli import main
from app.runtime.accounts import Agent, add_agent, agent_for_session, set_role, start_session
from app.runtime.activity import Activity
from app.runtime.db import alembic_config, make_engine, migrate
from tests.app.admin.conftest import CSRF, person


def test_accounts_that_exist_before_roles_become_admin(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    command.upgrade(alembic_config(engine), "0014")
    with engine.begin() as connection:
        for name in ("alice", "bob"):
            connection.execute(
                text("INSERT INTO agents (name, token_hash, created_at) VALUES (:n, :h, '2026-01-01 00:00:00')"),
                {"n": name, "h": name * 8},
            )
    migrate(engine)
    with Session(engine) as session:
        assert {a.name: a.role for a in session.exec(select(Agent))} == {"alice": "admin", "bob": "admin"}
        _carol, _token = add_agent(session, "carol")
        assert session.exec(select(Agent).where(Agent.name == "carol")).one().role == "agent"
    engine.dispose()


def test_the_first_account_is_admin_whatever_is_asked_and_later_ones_agents(session):
    first, _ = add_agent(session, "first", role="agent")
    second, _ = add_agent(session, "second")
    third, _ = add_agent(session, "third", role="finance")
    assert (first.role, second.role, third.role) == ("admin", "agent", "finance")
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        add_agent(session, "fourth", role="boss")


def test_a_new_role_ends_the_sessions_and_the_last_admin_stays(session):
    admin, _ = add_agent(session, "admin")
    bob, _ = add_agent(session, "bob")
    key = start_session(session, bob.id, __import__("datetime").timedelta(hours=1))
    assert agent_for_session(session, key) is not None
    set_role(session, "bob", "lead")
    session.commit()
    assert agent_for_session(session, key) is None
    with pytest.raises(ValueError, match="only admin"):
        set_role(session, "admin", "agent")


def test_agents_add_with_a_role_and_agents_role_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example")
    runner = CliRunner()
    first = runner.invoke(main, ["agents", "add", "root", "--role", "agent"])
    assert first.exit_code == 0 and "is admin, not agent" in first.stderr
    assert runner.invoke(main, ["agents", "add", "fin", "--role", "finance"]).exit_code == 0
    assert runner.invoke(main, ["agents", "add", "newbie"]).exit_code == 0
    bad = runner.invoke(main, ["agents", "add", "x", "--role", "boss"])
    assert bad.exit_code == 2 and "'boss' is not one of" in bad.output
    changed = runner.invoke(main, ["agents", "role", "newbie", "lead"])
    assert changed.exit_code == 0 and "is lead now (was agent)" in changed.stdout
    listing = runner.invoke(main, ["agents", "list"]).stdout
    assert [line.split()[:2] for line in listing.splitlines()] == [
        ["fin", "finance"],
        ["newbie", "lead"],
        ["root", "admin"],
    ]
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    with Session(engine) as session:
        trail = [(r.actor, r.action, r.target) for r in session.exec(select(Activity).order_by(Activity.seq))]
    assert trail == [
        ("cli", "account.added", "root"),
        ("cli", "account.added", "fin"),
        ("cli", "account.added", "newbie"),
        ("cli", "account.role", "newbie"),
    ]
    engine.dispose()


def test_the_admin_adds_an_account_and_changes_its_role_on_the_page(role_app):
    admin, _ = person(role_app, "boss", "admin")
    with admin:
        page = admin.post("/admin/accounts", data={"csrf": CSRF, "name": "dana", "role": "lead"})
        assert page.status_code == 200 and "dana" in page.text and "dd_" in page.text
        with Session(role_app.state.engine) as session:
            dana = session.exec(select(Agent).where(Agent.name == "dana")).one()
            dana_id, role = dana.id, dana.role
            key = start_session(session, dana_id, role_app.state.sessions.lifetime)
        assert role == "lead"
        moved = admin.post(
            f"/admin/accounts/{dana_id}/role", data={"csrf": CSRF, "role": "finance"}, follow_redirects=False
        )
        assert moved.status_code == 303
        bad = admin.post(f"/admin/accounts/{dana_id}/role", data={"csrf": CSRF, "role": "owner"})
        assert bad.status_code == 422 and "unknown role" in bad.text
        with Session(role_app.state.engine) as session:
            assert session.get(Agent, dana_id).role == "finance"
            assert agent_for_session(session, key) is None  # her browser was signed out
            rows = [(r.actor, r.role, r.action, r.target, r.before, r.after) for r in session.exec(select(Activity))]
        assert ("agent:boss", "admin", "account.added", "dana", None, '{"role":"lead"}') in rows
        assert ("agent:boss", "admin", "account.role", "dana", '{"role":"lead"}', '{"role":"finance"}') in rows


def test_every_admin_form_needs_its_csrf_token(role_app):
    admin, _ = person(role_app, "boss", "admin")
    with TestClient(role_app, cookies=admin.cookies) as forger:  # the session cookie, but no token
        for path in ("/admin/accounts", "/admin/accounts/1/role", "/admin/accounts/1/revoke", "/admin/tokens"):
            answer = forger.post(path, data={"name": "mallory", "role": "admin"})
            assert answer.status_code == 403 and "did not come from this site" in answer.text, path
    with Session(role_app.state.engine) as session:
        assert session.exec(select(Agent).where(Agent.name == "mallory")).first() is None


def test_revoking_an_account_on_the_page_ends_its_session_and_its_token(role_app):
    admin, _ = person(role_app, "boss", "admin")
    victim, token = person(role_app, "eve", "agent")
    with admin, victim:
        assert victim.get("/", follow_redirects=False).status_code == 200
        with Session(role_app.state.engine) as session:
            eve_id = session.exec(select(Agent.id).where(Agent.name == "eve")).one()
        assert (
            admin.post(f"/admin/accounts/{eve_id}/revoke", data={"csrf": CSRF}, follow_redirects=False).status_code
            == 303
        )
        assert victim.get("/", follow_redirects=False).status_code == 303  # back to the sign-in page
        api = victim.get("/api/investigations/x", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401
        with Session(role_app.state.engine) as session:
            boss_id = session.exec(select(Agent.id).where(Agent.name == "boss")).one()
        me = admin.post(f"/admin/accounts/{boss_id}/revoke", data={"csrf": CSRF})
        assert me.status_code == 422 and "cannot revoke your own account" in me.text


def test_the_settings_view_shows_numbers_and_never_a_secret(role_app):
    settings = role_app.state.settings.model_copy(
        update={"zendesk_api_token": "zd-token-0123456789", "eth_providers": ["https://eth.example/v2/KEY-abcdef"]}
    )
    role_app.state.settings = settings
    admin, _ = person(role_app, "boss", "admin")
    with admin:
        page = admin.get("/admin/settings").text
    assert "<code>BTC_CONFIRMATIONS</code></td><td>2</td>" in page
    assert "<code>ZENDESK_API_TOKEN</code></td><td>set (not shown)</td>" in page
    for secret in ("zd-token-0123456789", "KEY-abcdef", settings.secret_key):
        assert secret not in page
