"""The depositdesk command: check, agents add, ledger import (CSV and JSON, all or nothing)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from app.cli import main
from app.runtime.db import make_engine, migrate
from investigations.ledger import DepositAddress, LedgerDeposit
from tests.conftest import PROVIDERS
from tests.support.ledger import address

OURS = address("cli-p-1")
TIP = 850_010


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Runs the command in an empty folder with the environment a user would set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BTC_PROVIDERS", ",".join(PROVIDERS))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    invoke.db = make_engine(f"sqlite:///{tmp_path}/cli.db")  # type: ignore[attr-defined]
    migrate(invoke.db)
    invoke.path = tmp_path  # type: ignore[attr-defined]
    return invoke


def _write(cli, name: str, text: str):
    path = cli.path / name
    path.write_text(text)
    return str(path)


def test_check_prints_a_readable_verdict_and_the_same_json_as_the_api(cli, chain):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 3)
    csv = _write(cli, "addresses.csv", f"chain,address,player_ref,assets\nbtc,{OURS},p-1,BTC\n")
    assert cli("ledger", "import", csv).exit_code == 0
    result = cli("check", tx["txid"], "--address", OURS, "--player", "p-1")
    assert result.exit_code == 0
    assert "CONFIRMED_NOT_CREDITED" in result.output
    assert "paid 0.015 BTC" in result.output and "status link: https://desk.example/s/" in result.output
    as_json = json.loads(cli("check", tx["txid"], "--json", "--player", "p-1").output)
    assert as_json["verdict"]["code"] == "confirmed_not_credited"
    assert set(as_json) >= {"id", "chain", "tx_hash", "verdict", "evidence", "status_url"}
    russian = cli("check", tx["txid"], "--lang", "ru").output
    assert "подтверждён" in russian


def test_check_with_a_malformed_hash_is_a_clear_cli_error(cli, chain):
    result = CliRunner().invoke(main, ["check", "12345"])
    assert result.exit_code == 2
    assert "is not a Bitcoin txid" in result.output
    assert chain.requests == []


def test_agents_add_prints_a_token_once_and_stores_only_its_hash(cli):
    from app.runtime.accounts import Agent, hash_token

    result = CliRunner().invoke(main, ["agents", "add", "alice"])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("dd_") and len(token) > 40
    with Session(cli.db) as session:
        agent = session.exec(select(Agent)).one()
    assert agent.token_hash == hash_token(token) and token not in agent.token_hash


def test_ledger_import_json_with_addresses_and_deposits(cli):
    document = {
        "deposit_addresses": [{"chain": "btc", "address": OURS, "player_ref": "p-1", "assets": ["BTC"]}],
        "deposits": [
            {
                "chain": "btc",
                "tx_hash": "ab" * 32,
                "address": OURS,
                "asset": "BTC",
                "amount": "0.015",
                "status": "credited",
                "player_ref": "p-1",
                "credited_at": "2026-11-20T10:00:00Z",
                "index": 0,
            }
        ],
    }
    path = _write(cli, "ledger.json", json.dumps(document))
    result = cli("ledger", "import", path)
    assert result.exit_code == 0, result.output
    assert "imported 2 records" in result.output
    assert cli("ledger", "import", path).exit_code == 0  # idempotent
    with Session(cli.db) as session:
        assert session.exec(select(LedgerDeposit)).one().amount_base_units == 1_500_000
        assert len(session.exec(select(DepositAddress)).all()) == 1


def test_ledger_import_with_one_bad_row_imports_nothing_and_names_it(cli):
    csv = _write(
        cli,
        "deposits.csv",
        "chain,tx_hash,address,asset,amount,status,player_ref\n"
        f"btc,{'ab' * 32},{OURS},BTC,0.1,credited,p-1\n"
        f"btc,{'cd' * 32},{OURS},BTC,-0.1,credited,p-1\n"
        f"btc,{'ef' * 32},{OURS},BTC,0.2,credited,p-1\n",
    )
    result = CliRunner().invoke(main, ["ledger", "import", csv])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "line 3: amount" in result.output and "negative" in result.output
    with Session(cli.db) as session:
        assert session.exec(select(LedgerDeposit)).all() == []


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("bad.json", "{nope", "not valid JSON"),
        ("bad.json", '[{"chain": "btc", "address": "x", "player_ref": "p"}]', "row 1: address"),
        (
            "amount.json",
            json.dumps(
                [
                    {
                        "chain": "btc",
                        "tx_hash": "ab" * 32,
                        "address": OURS,
                        "asset": "BTC",
                        "amount": 0.1,
                        "status": "credited",
                        "player_ref": "p",
                    }
                ]
            ),
            "not a number",
        ),
        ("empty.csv", "", "empty"),
        ("header.csv", "chain,address,player_ref\n", "no records"),
    ],
)
def test_ledger_import_refuses_bad_files_clearly(cli, name, text, says):
    result = CliRunner().invoke(main, ["ledger", "import", _write(cli, name, text)])
    assert result.exit_code == 1 and says in result.output


def test_bad_settings_stop_the_command_with_the_variable_named(cli, monkeypatch):
    monkeypatch.setenv("BTC_CONFIRMATIONS", "0")
    monkeypatch.setenv("MIN_DEPOSITS", "BTC=lots")
    result = CliRunner().invoke(main, ["check", "ab" * 32])
    assert result.exit_code == 1
    assert "BTC_CONFIRMATIONS" in result.output and "MIN_DEPOSITS" in result.output


def test_agents_add_with_a_password_stores_a_slow_hash(cli):
    from app.runtime.accounts import Agent, verify_password

    result = CliRunner().invoke(main, ["agents", "add", "dora", "--password"], input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    with Session(cli.db) as session:
        agent = session.exec(select(Agent).where(Agent.name == "dora")).one()
    assert agent.password_hash.startswith("scrypt$") and "long enough pw" not in agent.password_hash
    assert verify_password("long enough pw", agent.password_hash) and not verify_password("wrong", agent.password_hash)
    short = CliRunner().invoke(main, ["agents", "add", "eve", "--password"], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    again = CliRunner().invoke(main, ["agents", "add", "dora"])
    assert again.exit_code == 1 and "exists already" in again.output


def test_check_a_payout_by_its_id(cli, chain):
    from tests.support.ledger import address

    player, hot = address("cli-payout-player"), address("cli-payout-hot")
    tx = chain.build_tx([(player, 1_500_000), (hot, 9_000_000)], senders=[hot], fee=150)
    rows = {"payouts": [{"payout_id": "w-77", "chain": "btc", "player_ref": "p-1", "to_address": player,
                         "asset": "BTC", "amount": "0.015", "status": "sent", "tx_hash": tx["txid"],
                         "requested_at": "2026-12-01T10:00:00Z", "sent_at": "2026-12-01T10:05:00Z"}]}  # fmt: skip
    assert cli("ledger", "import", _write(cli, "payouts.json", json.dumps(rows))).exit_code == 0
    result = cli("check", "--payout", "w-77")
    assert result.exit_code == 0 and "PAYOUT_STUCK" in result.output and "payout w-77 (sent)" in result.output
    assert "CPFP" in result.output
    assert CliRunner().invoke(main, ["check", "--payout", "w-404"]).exit_code == 2
    assert CliRunner().invoke(main, ["check"]).exit_code == 2
