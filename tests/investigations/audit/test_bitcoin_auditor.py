"""The deposit auditor on Bitcoin: raw blocks built with python-bitcoinlib (a coinbase, a batch payout
to several players over every script type, an OP_RETURN), served as Esplora and as Bitcoin Core;
a reorg of two blocks withdraws what the orphaned blocks paid and re-scans the new branch."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from bitcoin.base58 import CBase58Data
from bitcoin.core import b2lx
from sqlmodel import Session, select

from app.finance.auditor import Auditor
from app.wiring import build_block_sources, build_investigator
from chains.base import Chain
from chains.bitcoin.blocks import parse_block
from investigations.audit.models import AuditPayment, Finding
from investigations.audit.reconcile import Reconciler
from investigations.types import utcnow
from tests.conftest import PROVIDERS
from tests.support.bitcoin_blocks import BitcoinChain, payment
from tests.support.ledger import add_addresses, add_deposit, address

BASE = 870_000
CORE = "http://rpc.test:8332/"


def _legacy(label: str, version: int) -> str:
    return str(CBase58Data.from_bytes(hashlib.sha256(label.encode()).digest()[:20], version))


P2PKH, P2SH = _legacy("p-1 legacy", 0), _legacy("p-2 nested", 5)
P2WPKH, P2TR = address("p-3 segwit"), address("p-4 taproot", "p2tr")
STRANGER = address("not ours")


@pytest.fixture
def btc(http_mock, chain) -> BitcoinChain:
    world = BitcoinChain(BASE, chain)
    for spec in PROVIDERS:
        world.serve_esplora(http_mock, spec.partition(":")[2])
    world.serve_core(http_mock, CORE)
    world.mine()  # the block the follower starts after
    return world


@pytest.fixture
def casino(engine):
    with Session(engine) as session:
        add_addresses(session, (P2PKH, "p-1"), (P2SH, "p-2"), (P2WPKH, "p-3"), (P2TR, "p-4"))


def _auditor(engine, settings, *, core: bool = False) -> Auditor:
    if core:
        settings = settings.model_copy(update={"btc_providers": [f"bitcoincore:{CORE}"]})
    investigator = build_investigator(settings)
    sources = build_block_sources(settings)
    return Auditor(
        engine,
        {Chain.BTC: sources[Chain.BTC]},
        Reconciler(investigator, grace=timedelta(minutes=30), clock=utcnow),
        start_heights={Chain.BTC: BASE + 1},
    )


def _live(session) -> dict[tuple[str, str], int]:
    rows = session.exec(select(AuditPayment).where(AuditPayment.status != "withdrawn")).all()
    return {(p.player_ref, p.tx_hash): p.amount_base_units for p in rows}


def test_a_raw_block_is_parsed_into_outputs_with_addresses_coinbase_included(btc):
    batch = payment([(P2PKH, 10_000), (P2SH, 20_000), (P2WPKH, 30_000), (P2TR, 40_000)], op_return=b"memo")
    block = btc.mine(batch)
    parsed = parse_block(block.serialize(), btc.tip, "test")
    assert parsed.block_hash == b2lx(block.GetHash()) and parsed.parent_hash == b2lx(btc.blocks[-2].GetHash())
    paid = [(t.tx_hash, t.transfer.to_address, t.transfer.amount_base_units) for t in parsed.transfers]
    assert paid[0] == (b2lx(block.vtx[0].GetTxid()), btc.miner, 312_500_000)  # the coinbase
    txid = b2lx(batch.GetTxid())
    assert paid[1:] == [(txid, P2PKH, 10_000), (txid, P2SH, 20_000), (txid, P2WPKH, 30_000), (txid, P2TR, 40_000)]


@pytest.mark.parametrize("core", [False, True], ids=["esplora", "bitcoin-core"])
def test_batch_payout_is_matched_per_player_and_a_two_block_reorg_withdraws_it(btc, casino, settings, engine, core):
    batch = payment([(P2PKH, 10_000), (P2SH, 20_000), (P2WPKH, 30_000), (STRANGER, 99_000)], op_return=b"x")
    single = payment([(P2TR, 50_000)])
    btc.mine(batch)
    btc.mine(single)
    auditor = _auditor(engine, settings, core=core)
    auditor.round()
    batch_id, single_id = b2lx(batch.GetTxid()), b2lx(single.GetTxid())
    with Session(engine) as session:
        assert _live(session) == {
            ("p-1", batch_id): 10_000, ("p-2", batch_id): 20_000, ("p-3", batch_id): 30_000, ("p-4", single_id): 50_000,
        }  # fmt: skip
    requests_before = sum(btc.requests.values())
    btc.reorg(2, [payment([(P2WPKH, 77_000)])], [], [])  # the batch and the single leave; a new payment
    auditor.round()
    with Session(engine) as session:
        live = _live(session)
        assert set(live.values()) == {77_000}
        withdrawn = session.exec(select(AuditPayment).where(AuditPayment.status == "withdrawn")).all()
        assert {p.tx_hash for p in withdrawn} == {batch_id, single_id}
    scanned = 3 + 1  # the new branch, and the first re-read that revealed the fork
    assert sum(btc.requests.values()) - requests_before <= scanned * 2 + 4  # about one request per block


def test_uncredited_bitcoin_deposits_become_findings_and_a_reorg_withdraws_them(btc, casino, settings, engine):
    batch = payment([(P2PKH, 10_000), (P2SH, 2_000_000), (P2WPKH, 5_000)])  # p-3 below 10,000 sat
    btc.mine(batch)
    btc.mine()
    txid = b2lx(batch.GetTxid())
    with Session(engine) as session:
        add_deposit(session, txid, P2PKH, "0.0001", "p-1")
    auditor = _auditor(engine, settings)
    auditor.round()
    with Session(engine) as s:
        assert s.exec(select(Finding)).all() == []  # the casino's processor has its grace
    auditor.reconciler.clock = lambda: utcnow() + timedelta(minutes=31)
    auditor.round()
    with Session(engine) as s:
        found = {f.player_ref: (f.code, f.status) for f in s.exec(select(Finding))}
        assert found == {"p-2": ("confirmed_not_credited", "open"), "p-3": ("below_minimum", "open")}
    btc.reorg(2, [], [], [])
    auditor.round()
    with Session(engine) as s:
        assert {f.status for f in s.exec(select(Finding))} == {"withdrawn"}
