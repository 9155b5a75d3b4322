"""`depositdesk audit backfill` (jobs this process shares with workers, a progress bar) and
`depositdesk audit status`, against raw Bitcoin blocks served as Esplora."""

from __future__ import annotations

from bitcoin.core import b2lx
from click.testing import CliRunner
from sqlmodel import Session, select

from app.cli import main
from app.runtime.db import make_engine, migrate
from app.runtime.jobs import DONE, Job
from investigations.audit.models import AuditPayment
from tests.conftest import PROVIDERS
from tests.support.bitcoin_blocks import BitcoinChain, payment
from tests.support.ledger import add_addresses, address

OURS = address("cli-audit-p-1")
BASE = 880_000


def test_backfill_matches_a_range_in_shared_jobs_and_status_reports_it(http_mock, chain, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BTC_PROVIDERS", ",".join(PROVIDERS))
    monkeypatch.setenv("ETH_PROVIDERS", "")
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    migrate(engine)
    with Session(engine) as session:
        add_addresses(session, (OURS, "p-1"))
    btc = BitcoinChain(BASE, chain)
    for spec in PROVIDERS:
        btc.serve_esplora(http_mock, spec.partition(":")[2])
    txs = []
    for _ in range(110):
        txs.append(payment([(OURS, 20_000), (address("someone else"), 5_000)]))
        btc.mine(txs[-1])
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "backfill", "--from-height", str(BASE + 1), "--to-height", str(BASE + 109)])
    assert result.exit_code == 0, result.output
    assert "queued 2 backfill job(s) for 109 btc block(s)" in result.output and "blocks" in result.output
    with Session(engine) as session:
        paid = session.exec(select(AuditPayment.tx_hash)).all()
        assert sorted(paid) == sorted(b2lx(tx.GetTxid()) for tx in txs[1:])  # block BASE was not asked for
        assert {job.status for job in session.exec(select(Job))} == {DONE}
    again = runner.invoke(main, ["audit", "backfill", "--from-height", str(BASE), "--to-height", str(BASE + 109)])
    assert again.exit_code == 0
    with Session(engine) as session:
        assert len(session.exec(select(AuditPayment)).all()) == 110  # idempotent: only block BASE was new
    status = runner.invoke(main, ["audit", "status"])
    assert status.exit_code == 0, status.output
    assert (
        "btc: not started" in status.output and "payments waiting for confirmations or the grace: 110" in status.output
    )
    bad = runner.invoke(main, ["audit", "backfill", "--from-height", "10", "--to-height", "5"])
    assert bad.exit_code != 0 and "--to-height 5 is below --from-height 10" in bad.output
