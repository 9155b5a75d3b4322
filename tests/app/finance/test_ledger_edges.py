"""Values at the edges of what a database can store: the same clear 422 on SQLite and PostgreSQL,
and "row N: reason" from `depositdesk ledger import`, never a 500 or a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from app.cli import main
from investigations.ledger import DepositAddress, LedgerDeposit
from tests.conftest import PROVIDERS
from tests.support.ledger import address

OURS = address("edge-p-1")


def deposit(**change):
    row = {
        "chain": "btc",
        "tx_hash": "ab" * 32,
        "address": OURS,
        "asset": "BTC",
        "amount": "0.1",
        "status": "credited",
        "player_ref": "p-1",
    }
    return {**row, **change}


EDGES = [
    ({"amount": "0.1234567\n"}, "amount"),
    ({"amount": "0.015\n"}, "amount"),
    ({"amount": "1" * 81}, "2^256-1"),
    ({"amount": "1" * 200}, "the limit is 160"),
    ({"index": 2**63}, "2147483647"),
    ({"index": 2**64}, "2147483647"),
    ({"index": 2**31}, "2147483647"),
    ({"credited_at": "9999-12-31T23:59:59-05:00"}, "outside the dates"),
    ({"credited_at": "0001-01-01T00:00:00+05:00"}, "outside the dates"),
    ({"player_ref": "p-\x001"}, "NUL"),
    ({"tx_hash": "ab" * 31 + "\x00a"}, "NUL"),
    ({"address": OURS + "\x00"}, "NUL"),
    ({"asset": "BT\x00C"}, "NUL"),
    ({"player_ref": "p-\ud800"}, "surrogate"),
]


@pytest.mark.parametrize(("change", "says"), EDGES)
def test_edge_values_are_a_clear_422_on_every_database(api, engine, change, says):
    body = json.dumps([deposit(tx_hash="cd" * 32), deposit(**change)])
    response = api.put("/api/deposits", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith("row 2") and says in response.json()["message"]
    with Session(engine) as session:
        assert session.exec(select(LedgerDeposit)).first() is None


@pytest.mark.parametrize("field", ["address", "player_ref"])
def test_nul_in_a_deposit_address_row_is_a_422(api, engine, field):
    row = {"chain": "btc", "address": OURS, "player_ref": "p-1", field: "x\x00y"}
    response = api.put(
        "/api/deposit-addresses", content=json.dumps([row]), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "NUL" in response.json()["message"]
    with Session(engine) as session:
        assert session.exec(select(DepositAddress)).first() is None


@pytest.mark.parametrize("field", ["player_ref", "ticket_ref", "address", "tx_hash"])
def test_nul_in_an_investigation_request_is_a_422(api, chain, field):
    body = {"tx_hash": "ab" * 32, field: "x\x00y"}
    response = api.post("/api/investigations", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "NUL" in response.json()["message"]


def test_edge_amounts_at_the_limit_are_stored_exactly(api, engine):
    top = str(2**256 - 1)
    rows = [
        deposit(
            chain="eth",
            tx_hash="0x" + "ab" * 32,
            address="0x" + "11" * 20,
            asset="ETH",
            amount=top[:-18] + "." + top[-18:],
            index=2**31 - 1,
        )
    ]
    assert api.put("/api/deposits", json=rows).status_code == 200
    with Session(engine) as session:
        assert session.exec(select(LedgerDeposit)).one().amount_base_units == 2**256 - 1


@pytest.mark.parametrize(("change", "says"), EDGES)
def test_ledger_import_names_the_row_and_reason(tmp_path, monkeypatch, change, says):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BTC_PROVIDERS", ",".join(PROVIDERS))
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps([deposit(tx_hash="cd" * 32), deposit(**change)]))
    result = CliRunner().invoke(main, ["ledger", "import", str(path)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "row 2" in result.output and says in result.output, result.output
    assert "Traceback" not in result.output


def test_ledger_import_csv_with_a_nul_names_the_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    path = tmp_path / "ledger.csv"
    path.write_text(f"chain,address,player_ref\nbtc,{OURS},p-\x001\n")
    result = CliRunner().invoke(main, ["ledger", "import", str(path)])
    assert result.exit_code == 1 and "line 2" in result.output and "NUL" in result.output, result.output


# --- TRON (issue 24): deposit addresses and ledger rows named "tron" -------------------------------
TRON_ADDRESS = "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj"


def test_tron_addresses_and_usdt_rows_are_stored_with_chain_tron(api, engine):
    hex_form = "4105cc125604448afeb6867eb688efb7e80411d57a"
    rows = [{"chain": "tron", "address": hex_form, "player_ref": "p-t", "assets": ["USDT", "TRX"]}]
    assert api.put("/api/deposit-addresses", json=rows).status_code == 200
    usdt = deposit(chain="tron", tx_hash="CD" * 32, address=TRON_ADDRESS, asset="USDT", amount="25.5", index=0)
    assert api.put("/api/deposits", json=[usdt]).status_code == 200
    with Session(engine) as session:
        assert session.exec(select(DepositAddress)).one().address == TRON_ADDRESS  # the T form
        row = session.exec(select(LedgerDeposit)).one()
        assert (row.chain, row.tx_hash, row.asset, row.amount_base_units) == ("tron", "cd" * 32, "USDT", 25_500_000)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"address": TRON_ADDRESS[:-1] + "k"}, "checksum"),
        ({"asset": "ETH"}, "not accepted on tron"),
        ({"tx_hash": "0x" + "ab" * 31}, "TRON transaction id"),
        ({"address": "0x05cc125604448afeb6867eb688efb7e80411d57a"}, "is this row's chain eth"),
    ],
)
def test_bad_tron_rows_are_a_clear_422_naming_the_problem(api, engine, change, says):
    row = deposit(chain="tron", tx_hash="cd" * 32, address=TRON_ADDRESS, asset="USDT", amount="1", **{})
    answer = api.put("/api/deposits", json=[{**row, **change}])
    assert answer.status_code == 422 and says in answer.text
    with Session(engine) as session:
        assert session.exec(select(LedgerDeposit)).all() == []
