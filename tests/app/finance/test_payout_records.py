"""`PUT /api/payouts` and `ledger import` of payouts: bulk, idempotent, all rows or none, the same
validation as deposits (a clear 422 naming the row and field), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from app.cli import main
from investigations.payouts import PayoutRecord
from tests.conftest import PROVIDERS
from tests.support.ledger import address

TO = address("payout-player")


def payout(**change):
    row = {
        "payout_id": "w-77",
        "chain": "btc",
        "player_ref": "p-1842",
        "to_address": TO,
        "asset": "BTC",
        "amount": "0.015",
        "status": "sent",
        "tx_hash": "ab" * 32,
        "requested_at": "2026-12-01T10:00:00Z",
        "sent_at": "2026-12-01T10:05:00Z",
    }
    return {**row, **change}


def test_payouts_are_stored_in_base_units_and_a_second_upload_changes_nothing(api, engine):
    rows = [payout(), payout(payout_id="w-78", tx_hash=None, status="approved", sent_at=None, amount="1")]
    first = api.put("/api/payouts", json=rows)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 2, "created": 2, "updated": 0, "unchanged": 0}
    again = api.put("/api/payouts", json=rows)
    assert again.json() == {"received": 2, "created": 0, "updated": 0, "unchanged": 2}
    changed = api.put("/api/payouts", json=[payout(payout_id="w-78", status="sent", tx_hash="cd" * 32, amount="1")])
    assert changed.json()["updated"] == 1
    with Session(engine) as session:
        stored = {p.payout_id: p for p in session.exec(select(PayoutRecord))}
    assert stored["w-77"].amount_base_units == 1_500_000 and stored["w-77"].tx_hash == "ab" * 32
    assert stored["w-78"].status == "sent" and stored["w-78"].tx_hash == "cd" * 32
    assert stored["w-77"].requested_at.tzinfo is not None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"amount": 0.015}, "amount"),
        ({"amount": "0.123456789"}, "amount"),
        ({"asset": "DOGE"}, "asset"),
        ({"status": "paid"}, "status"),
        ({"to_address": "bc1-not-an-address"}, "to_address"),
        ({"tx_hash": "zz"}, "tx_hash"),
        ({"requested_at": "9999-12-31T23:59:59-05:00"}, "outside the dates"),
        ({"player_ref": "p-\x001"}, "NUL"),
        ({"network_fee": "0.02"}, "network_fee"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_row_is_a_422_naming_it_and_nothing_is_written(api, engine, change, says):
    body = json.dumps([payout(payout_id="w-1"), payout(**change)])
    response = api.put("/api/payouts", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    text = json.dumps(response.json())
    assert says in text, text
    assert '"body", 1' in text.replace("[", "").replace("]", "") or "row 2" in text
    with Session(engine) as session:
        assert session.exec(select(PayoutRecord)).first() is None


def test_payouts_need_a_token(api):
    del api.headers["Authorization"]
    assert api.put("/api/payouts", json=[payout()]).status_code == 401


def test_ledger_import_loads_payouts_from_json_and_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BTC_PROVIDERS", ",".join(PROVIDERS))
    document = tmp_path / "ledger.json"
    document.write_text(json.dumps({"payouts": [payout()]}))
    result = CliRunner().invoke(main, ["ledger", "import", str(document)])
    assert result.exit_code == 0, result.output
    assert "payouts {'created': 1" in result.output
    sheet = tmp_path / "payouts.csv"
    columns = ["payout_id", "chain", "player_ref", "to_address", "asset", "amount", "status", "requested_at"]
    sheet.write_text(",".join(columns) + f"\nw-9,btc,p-1,{TO},BTC,0.5,approved,2026-12-01T10:00:00Z\n")
    result = CliRunner().invoke(main, ["ledger", "import", str(sheet)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([payout(payout_id="w-10"), payout(payout_id="w-11", asset="DOGE")]))
    result = CliRunner().invoke(main, ["ledger", "import", str(bad)])
    assert result.exit_code == 1 and "row 2: asset" in result.output, result.output


def test_payouts_are_listed_newest_first_by_status_and_player(api, engine):
    rows = [
        payout(payout_id="w-1", requested_at="2026-12-01T09:00:00Z"),
        payout(payout_id="w-2", status="approved", tx_hash=None, sent_at=None, requested_at="2026-12-01T11:00:00Z"),
        payout(payout_id="w-3", player_ref="p-9", requested_at="2026-12-01T12:00:00Z", network_fee="0.0001"),
    ]
    assert api.put("/api/payouts", json=rows).status_code == 200
    listed = api.get("/api/payouts").json()["payouts"]
    assert [p["payout_id"] for p in listed] == ["w-3", "w-2", "w-1"]
    assert listed[0]["amount"] == "0.015" and listed[0]["network_fee"] == "0.0001"
    assert [
        p["payout_id"] for p in api.get("/api/payouts", params={"status": "sent", "player": "p-1842"}).json()["payouts"]
    ] == ["w-1"]
    bad = api.get("/api/payouts", params={"status": "paid"})
    assert bad.status_code == 422 and "status" in bad.text
