"""The trail: every write finds its row (who, role, from where, what, before/after); rows are
hash-chained and `activity verify` names a changed or missing one; /activity with filters, /api/activity
with a cursor, CSV safe against formulas; retention; failed sign-ins limited per account and address."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.cli import main
from app.runtime.accounts import add_agent, hash_password
from app.runtime.activity import Activity, Who, append, prune, safe_cell, verify
from app.runtime.db import make_engine, migrate
from app.runtime.tokens import add_token
from investigations.audit.models import Finding
from investigations.types import utcnow
from tests.app.admin.conftest import CSRF, person
from tests.support.ledger import address

OURS = address("trail-p-1")
TIP = 850_010


def _rows(engine, action: str | None = None) -> list[Activity]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        query = select(Activity).order_by(Activity.seq)
        return [r for r in session.exec(query) if action is None or r.action == action]


def _three(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        for n in range(3):
            append(
                session,
                Who("agent:a", "admin", "10.0.0.1"),
                "test.write",
                f"thing-{n}",
                before={"n": n},
                after={"n": n + 1},
            )
        session.commit()


def test_a_changed_or_missing_row_is_named(engine):
    _three(engine)
    with Session(engine) as session:
        assert verify(session) == []
        session.execute(text("UPDATE activity SET after = :after WHERE seq = 2"), {"after": '{"n":99}'})
        session.commit()
        assert [str(p) for p in verify(session)] == ["row 2: changed (its fields no longer match its hash)"]
        session.execute(text("DELETE FROM activity WHERE seq = 2"))
        session.commit()
        assert [str(p) for p in verify(session)] == ["row 2: missing (deleted from the trail)"]
        session.execute(text("DELETE FROM activity WHERE seq = 3"))
        session.commit()
        assert "row 3: missing (deleted from the end of the trail)" in [str(p) for p in verify(session)]


def test_a_rehashed_row_still_breaks_the_chain(engine):
    """Someone who edits a row and recomputes its own hash still breaks the link of the row after."""
    _three(engine)
    with Session(engine) as session:
        row = session.get(Activity, 2)
        row.target = "forged"
        from app.runtime.activity import _digest

        row.hash = _digest(row)
        session.add(row)
        session.commit()
        assert [str(p) for p in verify(session)] == [
            "row 3: does not follow the row before it (a row before it was changed)"
        ]


def test_activity_verify_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example")
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    migrate(engine)
    runner = CliRunner()
    assert runner.invoke(main, ["agents", "add", "root"]).exit_code == 0
    assert runner.invoke(main, ["tokens", "add", "sync", "--scope", "read"]).exit_code == 0
    whole = runner.invoke(main, ["activity", "verify"])
    assert whole.exit_code == 0 and "the trail is whole: 2 rows" in whole.stdout
    with engine.begin() as connection:
        connection.execute(text("UPDATE activity SET actor = 'agent:someone-else' WHERE seq = 1"))
    broken = runner.invoke(main, ["activity", "verify"])
    assert broken.exit_code == 1 and "row 1: changed" in broken.stderr
    engine.dispose()


def test_retention_removes_the_oldest_rows_and_the_trail_stays_whole(engine):
    with Session(engine) as session:
        old = utcnow() - timedelta(days=400)
        for n in range(3):
            append(session, Who.cli(), "test.old", str(n), at=old)
        append(session, Who.cli(), "test.new", "kept")
        session.commit()
        assert prune(session, timedelta(days=365), Who.cli()) == 3
        assert [r.action for r in session.exec(select(Activity).order_by(Activity.seq))] == [
            "test.new",
            "activity.pruned",
        ]
        assert verify(session) == []
        session.execute(text("DELETE FROM activity WHERE action = 'test.new'"))
        session.commit()
        assert [str(p) for p in verify(session)] == ["row 4: missing (deleted from the trail)"]


def test_ledger_upserts_findings_and_links_each_leave_their_row(role_app, engine, chain):
    with Session(engine) as session:
        _t, secret = add_token(session, "ledger-sync", ["ledger:write", "links:create"], by="test")
        session.commit()
    with TestClient(role_app) as machine:
        machine.headers["Authorization"] = f"Bearer {secret}"
        rows = [{"chain": "btc", "address": OURS, "player_ref": "p-1", "assets": ["BTC"]}]
        assert machine.put("/api/deposit-addresses", json=rows).status_code == 200
        tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
        made = machine.post("/api/investigations", json={"tx_hash": tx["txid"], "address": OURS})
        assert made.status_code == 200, made.text
    upsert = _rows(engine, "ledger.deposit_addresses")[0]
    assert (upsert.actor, upsert.role, upsert.source) == ("token:ledger-sync", "token", "testclient")
    assert json.loads(upsert.after) == {"received": 1, "created": 1, "updated": 0, "unchanged": 0}
    link = _rows(engine, "link.created")[0]
    assert link.target == made.json()["id"] and json.loads(link.after)["channel"] == "api"
    with Session(engine) as session:
        finding = Finding(payment_id=1, chain="btc", tx_hash="ab" * 32, block_height=850_000, address=OURS,
                          player_ref="p-1", asset="BTC", amount_base_units=1_500_000,
                          code="confirmed_not_credited", found_at=utcnow())  # fmt: skip
        session.add(finding)
        session.commit()
        finding_id = finding.id
    finance, _ = person(role_app, "fin", "finance")
    with finance:
        done = finance.post(f"/audit/{finding_id}/resolve", data={"csrf": CSRF, "reason": "credited by hand"})
        assert done.status_code in (200, 303)
        assert finance.get("/audit.csv?status=all").status_code == 200
    resolved = _rows(engine, "finding.resolved")[0]
    assert (resolved.actor, resolved.role, resolved.target) == ("agent:fin", "finance", str(finding_id))
    assert json.loads(resolved.before) == {"status": "open"}
    assert json.loads(resolved.after) == {"status": "resolved", "reason": "credited by hand"}
    assert _rows(engine, "export.csv")[0].target == "audit.csv"
    investigation = made.json()["id"]
    lead, lead_token = person(role_app, "lee", "lead")
    with lead:
        assert lead.get(f"/investigations/{investigation}/evidence.json").status_code == 200
        assert lead.get("/dashboard/stats.csv").status_code == 200
        revoked = lead.post(f"/investigations/{investigation}/revoke-link", data={"csrf": CSRF}, follow_redirects=False)
        assert revoked.status_code == 303
    with TestClient(role_app) as api:
        api.headers["Authorization"] = f"Bearer {_finance_token(role_app)}"
        with Session(engine) as session:
            second = Finding(payment_id=2, chain="btc", tx_hash="cd" * 32, block_height=850_000, address=OURS,
                             player_ref="p-1", asset="BTC", amount_base_units=1, code="below_minimum",
                             found_at=utcnow())  # fmt: skip
            session.add(second)
            session.commit()
            second_id = second.id
        assert api.post(f"/api/findings/{second_id}/resolve", json={"reason": "dust"}).status_code == 200
    downloaded = _rows(engine, "evidence.downloaded")[0]
    assert (downloaded.actor, downloaded.role, downloaded.target) == ("agent:lee", "lead", investigation)
    assert _rows(engine, "export.csv")[1].target == "dashboard/stats.csv"
    link = _rows(engine, "link.revoked")[0]
    assert (link.actor, link.target, json.loads(link.after)) == ("agent:lee", investigation, {"revoked": True})
    by_api = _rows(engine, "finding.resolved")[1]
    assert (by_api.actor, by_api.target, json.loads(by_api.after)["reason"]) == (
        "agent:fin-api",
        str(second_id),
        "dust",
    )
    assert lead_token not in " ".join(f"{r.target} {r.before} {r.after}" for r in _rows(engine))
    with Session(engine) as session:
        assert verify(session) == []


def _finance_token(app) -> str:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        _agent, token = add_agent(session, "fin-api", role="finance")
    return token


def test_sign_ins_and_failed_ones_are_recorded_and_limited_per_account(role_app, engine):
    with Session(engine) as session:
        add_agent(session, "carol", password_hash=hash_password("correct horse battery"))
    with TestClient(role_app) as browser:

        def sign_in(password: str, name: str = "carol"):  # type: ignore[no-untyped-def]
            browser.cookies.clear()
            browser.cookies.set("dd_csrf", CSRF)
            form = {"csrf": CSRF, "name": name, "password": password}
            return browser.post("/login", data=form, follow_redirects=False)

        assert sign_in("correct horse battery").status_code == 303
        for _ in range(5):
            assert sign_in("wrong password!").status_code == 401
        refused = sign_in("correct horse battery")  # even the right password waits now
        assert refused.status_code == 429 and "Too many failed sign-ins for this account" in refused.text
    ok = _rows(engine, "signin")
    failed = _rows(engine, "signin.failed")
    assert [(r.actor, r.role) for r in ok] == [("agent:carol", "agent")]
    assert len(failed) == 5 and {(r.actor, r.role, r.source) for r in failed} == {("agent:carol", "none", "testclient")}
    assert "wrong password" not in " ".join(f"{r.before} {r.after}" for r in failed)  # never the password


def test_failed_sign_ins_are_limited_per_address_too(role_app, settings, engine):
    role_app.state.settings = settings.model_copy(update={"login_failures_per_ip": 3})
    with TestClient(role_app) as browser:
        browser.cookies.set("dd_csrf", CSRF)
        for name in ("a", "b", "c"):
            assert browser.post("/login", data={"csrf": CSRF, "name": name, "password": "x"}).status_code == 401
        refused = browser.post("/login", data={"csrf": CSRF, "name": "d", "password": "x"})
        assert refused.status_code == 429 and "from this address" in refused.text


def test_the_activity_page_filters_and_the_api_pages_with_a_cursor(role_app, engine):
    with Session(engine) as session:
        for n in range(5):
            append(session, Who("agent:x", "finance", "10.0.0.9"), "ledger.deposits", f"batch-{n}")
        append(session, Who("agent:y", "admin", "10.0.0.9"), "token.added", '=HYPERLINK("http://evil")')
        session.commit()
    lead, token = person(role_app, "lee", "lead")
    with lead:
        page = lead.get("/activity?actor=agent:x")
        assert page.status_code == 200 and page.text.count("ledger.deposits") == 5 and "token.added" not in page.text
        assert lead.get("/activity?from=yesterday").status_code == 422
        first = lead.get("/api/activity?action=ledger.&limit=2", headers={"Authorization": f"Bearer {token}"}).json()
        assert [r["target"] for r in first["rows"]] == ["batch-4", "batch-3"] and first["next"]
        second = lead.get(
            f"/api/activity?action=ledger.&limit=2&before={first['next']}", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [r["target"] for r in second["rows"]] == ["batch-2", "batch-1"]
        bad = lead.get("/api/activity?before=abc", headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 422 and "before" in bad.json()["message"]
        csv_text = lead.get("/activity.csv").text
        assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    assert _rows(engine, "activity.exported")[0].actor == "agent:lee"
    assert (
        safe_cell("+1") == "'+1" and safe_cell("-2") == "'-2" and safe_cell("@x") == "'@x" and safe_cell("ok") == "ok"
    )


def test_concurrent_writers_are_chained_one_after_the_other(engine):
    """A second writer waits on the head row while the first one's transaction is open (PostgreSQL's
    lock table says so), then chains its row after the first: no fork, no duplicate sequence."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by itself; the row lock is PostgreSQL's")
    pid: list[int] = []
    started = threading.Event()

    def second() -> None:
        with Session(engine) as other:
            pid.append(other.execute(text("SELECT pg_backend_pid()")).scalar_one())
            started.set()
            append(other, Who("agent:b", "admin", "10.0.0.2"), "test.second")
            other.commit()

    with Session(engine) as first:
        append(first, Who("agent:a", "admin", "10.0.0.1"), "test.first")  # holds the head row, uncommitted
        thread = threading.Thread(target=second)
        thread.start()
        assert started.wait(30)
        with engine.connect() as watcher:  # wait for the state "blocked on a lock", not for a time
            for _ in range(3000):
                state = watcher.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid[0]}
                ).scalar()
                watcher.rollback()
                if state == "Lock":
                    break
                time.sleep(0.01)
            assert state == "Lock"
        first.commit()
    thread.join(30)
    rows = _rows(engine)
    assert [(r.seq, r.action) for r in rows] == [(1, "test.first"), (2, "test.second")]
    assert rows[1].prev_hash == rows[0].hash
    with Session(engine) as session:
        assert verify(session) == []


def test_the_workers_apply_the_retention_setting(engine, settings):
    from app.runtime.activity import Retention
    from app.wiring import build_investigator, build_work

    with Session(engine) as session:
        append(session, Who.cli(), "test.old", "gone", at=utcnow() - timedelta(days=40))
        append(session, Who.cli(), "test.new", "kept")
        session.commit()
        kept_for_good = build_work(settings, build_investigator(settings))
        kept_for_good.housekeeping(session)
        assert [r.action for r in _rows(engine)] == ["test.old", "test.new"]
        work = build_work(settings.model_copy(update={"activity_retention_days": 30}), build_investigator(settings))
        assert any(isinstance(w, Retention) and w.days == 30 for w in work.housekeepers)
        work.housekeeping(session)
        assert [r.action for r in _rows(engine)] == ["test.new", "activity.pruned"]
        assert verify(session) == []
        work.housekeeping(session)  # within the hour: nothing more is done
        assert len(_rows(engine)) == 2


def test_a_ledger_import_leaves_its_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example")
    records = {"deposit_addresses": [{"chain": "btc", "address": OURS, "player_ref": "p-7", "assets": ["BTC"]}]}
    (tmp_path / "ledger.json").write_text(json.dumps(records))
    result = CliRunner().invoke(main, ["ledger", "import", str(tmp_path / "ledger.json")])
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    row = _rows(engine, "ledger.import")[0]
    assert (row.actor, row.target) == ("cli", "ledger.json")
    assert json.loads(row.after)["addresses"] == {"created": 1, "updated": 0, "unchanged": 0}
    engine.dispose()


def test_findings_resolved_together_each_leave_their_row(role_app, engine):
    ids = []
    with Session(engine) as session:
        for n in (11, 12):
            finding = Finding(payment_id=n, chain="btc", tx_hash=f"{n:02d}" * 32, block_height=850_000, address=OURS,
                              player_ref="p-1", asset="BTC", amount_base_units=1, code="below_minimum",
                              found_at=utcnow())  # fmt: skip
            session.add(finding)
            session.commit()
            ids.append(finding.id)
    finance, _ = person(role_app, "fin", "finance")
    with finance:
        done = finance.post("/audit/resolve", data={"csrf": CSRF, "ids": ids, "reason": "dust"}, follow_redirects=False)
        assert done.status_code == 303
    rows = _rows(engine, "finding.resolved")
    assert [(r.actor, r.target) for r in rows] == [("agent:fin", str(i)) for i in ids]
