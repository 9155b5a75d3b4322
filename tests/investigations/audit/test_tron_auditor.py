"""The deposit auditor on TRON: blocks read with getblockbynum + gettransactioninfobyblocknum side by
side, followed on the solidified head only; a block whose answer fails is asked again next round,
never jumped over; uncredited deposits become findings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.finance.auditor import Auditor
from app.wiring import build_block_sources, build_investigator
from chains.base import Chain
from investigations.audit.models import AuditCursor, AuditPayment, Finding
from investigations.audit.reconcile import Reconciler
from investigations.types import utcnow
from tests.support.ledger import add_addresses_on
from tests.support.tron import (
    TRX_BLOCK,
    TRX_PAYEE,
    TRX_SENDER,
    TronWorld,
    transfer_log,
    trc20_info,
    trc20_tx,
    trx_transfer_info,
    trx_transfer_tx,
)

NODE = "https://tron-audit.test"
BASE = TRX_BLOCK - 1
USDT_TX, FAILED_TX = "a1" * 32, "a2" * 32


@pytest.fixture
def world(http_mock, chain):
    w = TronWorld(head=BASE + 30, solid=BASE + 3)
    w.serve(http_mock, NODE)
    w.add_block(BASE, [])
    w.add_block(BASE + 1, [(trx_transfer_tx(), trx_transfer_info())])  # TRX_BLOCK: 5 sun to TRX_PAYEE
    usdt = trc20_tx(USDT_TX, TRX_SENDER, TRX_PAYEE, 25_000_000)
    failed = trc20_tx(FAILED_TX, TRX_SENDER, TRX_PAYEE, 99_000_000)
    w.add_block(
        BASE + 2,
        [
            (usdt, trc20_info(USDT_TX, BASE + 2, [transfer_log(TRX_SENDER, TRX_PAYEE, 25_000_000)])),
            (failed, trc20_info(FAILED_TX, BASE + 2, [], result="OUT_OF_ENERGY")),  # moved nothing
        ],
    )
    w.add_block(BASE + 3, [])
    w.add_block(BASE + 4, [])  # above the solidified block: not read yet
    return w


@pytest.fixture
def auditor(engine, settings, world):
    configured = settings.model_copy(update={"tron_providers": [f"fullnode:{NODE}"], "audit_chains": [Chain.TRON]})
    with Session(engine) as session:
        add_addresses_on(session, "tron", (TRX_PAYEE, "p-7"))
    sources = build_block_sources(configured)
    return Auditor(
        engine,
        {Chain.TRON: sources[Chain.TRON]},
        Reconciler(build_investigator(configured), grace=timedelta(minutes=30), clock=utcnow),
        start_heights={Chain.TRON: BASE + 1},
    )


def _payments(engine):
    with Session(engine) as session:
        return sorted(
            (p.block_height, p.tx_hash, p.asset, p.amount_base_units) for p in session.exec(select(AuditPayment))
        )


def _cursor(engine):
    with Session(engine) as session:
        return session.exec(select(AuditCursor).where(AuditCursor.chain == "tron")).one().height


def test_a_failed_block_answer_is_retried_never_skipped(world, auditor, engine):
    world.faults["/wallet/gettransactioninfobyblocknum"] = [(503, "busy")]
    auditor.round()
    assert _payments(engine) == [] and _cursor(engine) == BASE  # block BASE+1 not passed
    auditor.round()
    assert _payments(engine) == [
        (BASE + 1, trx_transfer_tx()["txID"], "TRX", 5),
        (BASE + 2, USDT_TX, "USDT", 25_000_000),  # the OUT_OF_ENERGY one moved nothing
    ]
    assert _cursor(engine) == BASE + 3  # the solidified head, not the head
    assert world.requests["/wallet/getblockbynum"] >= 3 and world.requests["/wallet/gettransactioninfobyblocknum"] == 4


def test_a_failure_mid_round_keeps_the_blocks_before_it_and_asks_that_block_again(world, auditor, engine):
    world.faults["/wallet/gettransactioninfobyblocknum"] = [(0, ""), (503, "busy")]  # BASE+1 fine, BASE+2 fails
    auditor.round()
    assert [p[0] for p in _payments(engine)] == [BASE + 1, BASE + 2]
    assert _cursor(engine) == BASE + 3
    # BASE+1, BASE+2 (failed), BASE+2 again, BASE+3: the failed block was read again, nothing jumped.
    assert world.requests["/wallet/gettransactioninfobyblocknum"] == 4


def test_an_uncredited_tron_deposit_becomes_a_finding(world, auditor, engine):
    auditor.round()
    auditor.reconciler.clock = lambda: utcnow() + timedelta(days=3650)
    auditor.round()
    with Session(engine) as session:
        findings = {(f.tx_hash, f.code, f.asset) for f in session.exec(select(Finding))}
    assert (USDT_TX, "confirmed_not_credited", "USDT") in findings
