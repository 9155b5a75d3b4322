"""Machine tokens: a scoped token does only its scope (the role walk covers every route); a revoked
token is refused by a second process at once; rotation accepts both secrets only inside the window;
expiry and last use; the secret is shown once and is never in a page, a list or the trail."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from app.cli import main
from app.main import create_app
from app.runtime.accounts import hash_token
from app.runtime.activity import Activity
from app.runtime.db import make_engine
from app.runtime.tokens import ApiToken, add_token, rotate, token_for_secret
from investigations.types import utcnow
from tests.app.admin.conftest import CSRF, person


def _token(engine, name="backoffice", scopes=("read",), **kwargs):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        token, secret = add_token(session, name, list(scopes), by="test", **kwargs)
        session.commit()
        return token.id, secret


def test_a_revoked_token_is_refused_by_another_process_at_once(role_app, settings, engine):
    token_id, secret = _token(engine)
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    other = create_app(settings, engine=other_engine, migrate_schema=False)  # a second API process
    admin, _ = person(role_app, "boss", "admin")
    try:
        with TestClient(other) as machine, admin:
            auth = {"Authorization": f"Bearer {secret}"}
            assert machine.get("/api/findings", headers=auth).status_code == 200
            assert machine.put("/api/deposits", headers=auth, json=[]).status_code == 403  # not its scope
            revoked = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf": CSRF}, follow_redirects=False)
            assert revoked.status_code == 303
            refused = machine.get("/api/findings", headers=auth)
            assert refused.status_code == 401 and refused.json()["detail"] == "unknown or revoked token"
    finally:
        other_engine.dispose()


def test_rotation_accepts_both_secrets_only_inside_the_window(engine):
    token_id, old = _token(engine)
    with Session(engine) as session:
        token = session.get(ApiToken, token_id)
        new = rotate(session, token, timedelta(hours=1))
        session.commit()
        now = utcnow()
        assert token_for_secret(session, old, now=now) is not None
        assert token_for_secret(session, new, now=now) is not None
        assert token_for_secret(session, old, now=now + timedelta(minutes=59)) is not None
        assert token_for_secret(session, old, now=now + timedelta(minutes=61)) is None
        assert token_for_secret(session, new, now=now + timedelta(minutes=61)) is not None
        token = session.get(ApiToken, token_id)
        newer = rotate(session, token, timedelta(0))  # no overlap: the previous secret stops now
        session.commit()
        assert token_for_secret(session, new, now=now) is None and token_for_secret(session, old, now=now) is None
        assert token_for_secret(session, newer, now=now) is not None


def test_an_expired_token_is_refused_and_use_is_recorded(role_app, engine):
    token_id, secret = _token(engine, expires_in=timedelta(days=90))
    with TestClient(role_app) as machine:
        auth = {"Authorization": f"Bearer {secret}"}
        assert machine.get("/api/findings", headers=auth).status_code == 200
        with Session(engine) as session:
            token = session.get(ApiToken, token_id)
            assert token.last_used_at is not None and token.expires_at > utcnow() + timedelta(days=89)
            assert token_for_secret(session, secret, now=utcnow() + timedelta(days=91)) is None
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(expires_at=utcnow()))
            session.commit()
        assert machine.get("/api/findings", headers=auth).status_code == 401


def test_the_admin_page_adds_rotates_and_revokes_and_never_shows_a_secret_twice(role_app, engine):
    admin, _ = person(role_app, "boss", "admin")
    with admin:
        bad = admin.post("/admin/tokens", data={"csrf": CSRF, "name": "x", "scope": "everything"})
        assert bad.status_code == 422 and "scope must be one or more of" in bad.text
        bad = admin.post("/admin/tokens", data={"csrf": CSRF, "name": "x", "scope": "read", "expires": "soon"})
        assert bad.status_code == 422 and "expires must be a number and a unit" in bad.text
        made = admin.post(
            "/admin/tokens",
            data={"csrf": CSRF, "name": "ledger-sync", "scope": ["ledger:write", "read"], "expires": "90d"},
        )
        assert made.status_code == 200
        secret = made.text.split("<code>")[1].split("</code>")[0]
        assert secret.startswith("ddt_")
        with Session(engine) as session:
            token = session.exec(select(ApiToken)).one()
            assert token.scopes == "ledger:write,read" and token.secret_hash == hash_token(secret)
        listing = admin.get("/admin/tokens")
        assert "ledger-sync" in listing.text and secret not in listing.text and token.secret_hash not in listing.text
        with TestClient(role_app) as machine:
            auth = {"Authorization": f"Bearer {secret}"}
            assert machine.put("/api/deposits", headers=auth, json=[]).status_code == 200
            rotated = admin.post(f"/admin/tokens/{token.id}/rotate", data={"csrf": CSRF, "overlap": "1h"})
            fresh = rotated.text.split("<code>")[1].split("</code>")[0]
            assert fresh != secret
            assert machine.put("/api/deposits", headers=auth, json=[]).status_code == 200  # inside the overlap
            assert (
                machine.put("/api/deposits", headers={"Authorization": f"Bearer {fresh}"}, json=[]).status_code == 200
            )
            admin.post(f"/admin/tokens/{token.id}/revoke", data={"csrf": CSRF})
            assert (
                machine.put("/api/deposits", headers={"Authorization": f"Bearer {fresh}"}, json=[]).status_code == 401
            )
    with Session(engine) as session:
        trail = list(session.exec(select(Activity).order_by(Activity.seq)))
    actions = [(r.actor, r.action, r.target) for r in trail if r.action.startswith("token.")]
    assert actions == [
        ("agent:boss", "token.added", "ledger-sync"),
        ("agent:boss", "token.rotated", "ledger-sync"),
        ("agent:boss", "token.revoked", "ledger-sync"),
    ]
    everything = " ".join(f"{r.target} {r.before} {r.after}" for r in trail)
    assert secret not in everything and fresh not in everything and hash_token(secret) not in everything


def test_tokens_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example")
    runner = CliRunner()
    added = runner.invoke(main, ["tokens", "add", "backoffice", "--scope", "ledger:write", "--expires", "90d"])
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip()
    assert secret.startswith("ddt_") and "ledger:write" in added.stderr and "expires" in added.stderr
    bad = runner.invoke(main, ["tokens", "add", "x", "--scope", "root"])
    assert bad.exit_code == 1 and "scope must be one or more of" in bad.output
    bad = runner.invoke(main, ["tokens", "add", "x", "--scope", "read", "--expires", "forever"])
    assert bad.exit_code == 2 and "--expires" in bad.output
    listing = runner.invoke(main, ["tokens", "list"]).stdout
    assert "backoffice" in listing and "ledger:write" in listing and "active" in listing and secret not in listing
    rotated = runner.invoke(main, ["tokens", "rotate", "backoffice", "--overlap", "2h"])
    assert rotated.exit_code == 0 and rotated.stdout.strip().startswith("ddt_") and "works until" in rotated.stderr
    assert runner.invoke(main, ["tokens", "revoke", "backoffice"]).exit_code == 0
    assert "revoked" in runner.invoke(main, ["tokens", "list"]).stdout
    assert runner.invoke(main, ["tokens", "revoke", "nobody"]).exit_code == 1
