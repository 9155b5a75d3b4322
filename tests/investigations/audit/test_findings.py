"""The findings rules and the block matching, without a chain: what settles a finding, what an agent
must give to resolve one, and how a block's transfers are summed per tx, address and asset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from chains.base import Chain, Transfer, TransferKind
from chains.blocks import Block, BlockTransfer
from investigations.audit.findings import FindingError, resolve, settled_by_ledger
from investigations.audit.matching import match_block
from investigations.audit.models import Finding
from investigations.ledger import LedgerDeposit
from investigations.types import utcnow
from tests.support.ledger import add_addresses_on, address

OURS, OTHER = address("rules-p-1"), address("rules-p-2")


def _finding(**values) -> Finding:
    return Finding(payment_id=1, chain="btc", tx_hash="aa" * 32, block_height=1, address=OURS, player_ref="p-1",
                   asset="BTC", amount_base_units=values.pop("amount", 50_000), code="amount_mismatch", **values)  # fmt: skip


def _row(amount: int, status: str = "credited", asset: str = "BTC") -> LedgerDeposit:
    return LedgerDeposit(record_key="k", chain="btc", tx_hash="aa" * 32, address=OURS, asset=asset,
                         amount_base_units=amount, status=status, player_ref="p-1")  # fmt: skip


def test_the_ledger_settles_a_finding_only_with_exactly_the_paid_amount_credited():
    finding = _finding()
    assert not settled_by_ledger(finding, [])
    assert not settled_by_ledger(finding, [_row(40_000)])  # still a mismatch
    assert not settled_by_ledger(finding, [_row(50_000, status="pending")])
    assert not settled_by_ledger(finding, [_row(50_000, asset="ETH")])
    assert settled_by_ledger(finding, [_row(20_000), _row(30_000)])  # two credits of one payment


def test_an_agent_needs_a_reason_and_an_open_finding(session):
    finding = _finding()
    session.add(finding)
    session.commit()
    with pytest.raises(FindingError, match="a reason is needed"):
        resolve(session, finding.id, by="agent:alice", reason="   ", now=utcnow())
    with pytest.raises(FindingError, match="no finding 999"):
        resolve(session, 999, by="agent:alice", reason="x", now=utcnow())
    resolve(session, finding.id, by="agent:alice", reason="credited by hand", now=utcnow() + timedelta(minutes=5))
    session.commit()
    with pytest.raises(FindingError, match="is resolved, not open"):
        resolve(session, finding.id, by="agent:bob", reason="again", now=utcnow())


def test_a_block_is_summed_per_tx_casino_address_and_asset(sqlite_engine):
    with Session(sqlite_engine) as session:
        add_addresses_on(session, "btc", (OURS, "p-1"), (OTHER, "p-2"))
        outputs = [("t1", OURS, 10_000, 0), ("t1", OURS, 5_000, 1), ("t1", OTHER, 7_000, 2),
                   ("t1", address("stranger"), 1, 3), ("t2", OURS, 3_000, 0)]  # fmt: skip
        block = Block(Chain.BTC, 10, "bb" * 32, "cc" * 32, None, [
            BlockTransfer(tx, Transfer("BTC", (), to, amount, index, TransferKind.OUTPUT))
            for tx, to, amount, index in outputs
        ])  # fmt: skip
        matched = {(m.tx_hash, m.player_ref): m.amount_base_units for m in match_block(session, block)}
    assert matched == {("t1", "p-1"): 15_000, ("t1", "p-2"): 7_000, ("t2", "p-1"): 3_000}
