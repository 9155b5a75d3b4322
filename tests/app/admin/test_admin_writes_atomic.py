"""Every admin write and its trail row are one transaction: when the trail's append fails, nothing of
the write is left (tokens added, rotated or revoked, accounts added, re-roled or revoked)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.runtime import activity
from app.runtime.accounts import Agent, AgentSession, add_agent, start_session
from app.runtime.tokens import ApiToken, add_token
from tests.app.admin.conftest import CSRF, person


def _state(engine) -> tuple:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        agents = sorted((a.name, a.role, a.token_hash, a.revoked_at) for a in session.exec(select(Agent)))
        tokens = sorted((t.name, t.secret_hash, t.previous_hash, t.revoked_at) for t in session.exec(select(ApiToken)))
        sessions = sorted(s.key_hash for s in session.exec(select(AgentSession)))
        trail = len(list(session.exec(select(activity.Activity))))
    return agents, tokens, sessions, trail


WRITES = {
    "token added": lambda ids: ("/admin/tokens", {"name": "new-token", "scope": "read"}),
    "token rotated": lambda ids: (f"/admin/tokens/{ids['token']}/rotate", {"overlap": "1h"}),
    "token revoked": lambda ids: (f"/admin/tokens/{ids['token']}/revoke", {}),
    "account added": lambda ids: ("/admin/accounts", {"name": "newcomer", "role": "lead"}),
    "role changed": lambda ids: (f"/admin/accounts/{ids['bob']}/role", {"role": "finance"}),
    "account revoked": lambda ids: (f"/admin/accounts/{ids['bob']}/revoke", {}),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_failing_trail_append_leaves_the_admin_write_undone(role_app, monkeypatch, write):
    engine = role_app.state.engine
    admin, _token = person(role_app, "boss", "admin")
    with Session(engine) as session:
        bob, _bob_token = add_agent(session, "bob", role="agent")
        start_session(session, bob.id, role_app.state.sessions.lifetime)  # a role change would end it
        token, _secret = add_token(session, "backoffice", ["read"], by="test")
        session.commit()
        ids = {"bob": bob.id, "token": token.id}
    path, form = WRITES[write](ids)
    with admin:
        admin.get("/admin/tokens")  # signed in and looked up before the trail breaks
    before = _state(engine)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the trail cannot be written")

    monkeypatch.setattr(activity, "append", broken)
    monkeypatch.setattr(activity, "append_now", broken)
    failing = TestClient(role_app, raise_server_exceptions=False, cookies=admin.cookies, headers=admin.headers)
    with failing:
        answer = failing.post(path, data={"csrf": CSRF, **form}, follow_redirects=False)
    assert answer.status_code == 500, answer.text[:200]
    assert _state(engine) == before
    monkeypatch.undo()
    with admin:  # and with the trail back, the same write goes through with its row
        answer = admin.post(path, data={"csrf": CSRF, **form}, follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text[:300]
    after = _state(engine)
    assert after != before and after[3] == before[3] + 1
