"""Non-final verdicts are re-checked when due, keep their history, and stop after the window."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from app.cli import main
from investigations.rechecks import due, recheck_due
from investigations.service import InvestigationRequest
from investigations.types import utcnow
from tests.conftest import PROVIDERS
from tests.support.ledger import add_addresses, address

OURS = address("recheck-p-1")
TIP = 850_010


def test_a_pending_deposit_is_rechecked_until_it_settles(chain, investigator, session):
    add_addresses(session, (OURS, "p-1"))
    tx = chain.build_tx([(OURS, 1_500_000)])
    record = investigator.investigate(session, InvestigationRequest(tx["txid"], player_ref="p-1"))
    assert record.code == "pending" and record.next_check_at is not None
    assert due(session, utcnow()) == []  # not due yet
    later = record.next_check_at + timedelta(seconds=1)
    chain.confirm(tx["txid"], TIP)
    [rechecked] = recheck_due(session, investigator, now=later)
    assert rechecked.id == record.id and rechecked.code == "confirming"
    chain.confirm(tx["txid"], TIP - 5)
    [rechecked] = recheck_due(session, investigator, now=rechecked.next_check_at + timedelta(seconds=1))
    assert rechecked.code == "confirmed_not_credited" and rechecked.final and rechecked.next_check_at is None
    assert [h["code"] for h in rechecked.history] == ["pending", "confirming"]
    assert due(session, later + timedelta(days=1)) == []  # final: never again


def test_rechecks_stop_after_the_window(chain, investigator, session):
    record = investigator.investigate(session, InvestigationRequest("ee" * 32))
    assert record.code == "not_found"
    [rechecked] = recheck_due(session, investigator, now=utcnow() + timedelta(days=4))
    assert rechecked.code == "not_found" and rechecked.next_check_at is None


def test_recheck_command_runs_one_round(chain, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BTC_PROVIDERS", ",".join(PROVIDERS))
    monkeypatch.setenv("ETH_PROVIDERS", "https://eth-one.test/rpc,https://eth-two.test/rpc")
    result = CliRunner().invoke(main, ["recheck"])
    assert result.exit_code == 0 and "re-checked 0 investigation(s)" in result.output
