"""Ethereum payouts against a real node (anvil, automine off where a payout must wait): a payout sent
with too low a fee is stuck, its same-nonce replacement is followed (replaced, then delivered), a
reverted token payout failed, a payout to another address is wrong_address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from web3 import Web3

from app.wiring import build_investigator
from chains.assets import DEFAULT_ASSETS, Asset
from chains.base import Chain
from investigations.audit.payouts import audit_payouts
from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.types import utcnow
from tests.conftest import require
from tests.support.anvil import ANVIL, SOLC, Anvil, compile_contracts

pytestmark = pytest.mark.anvil
PLAYER = "0x" + "e7" * 20
SOMEONE_ELSE = "0x" + "e8" * 20
GWEI = 10**9


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    node = Anvil.start()
    yield node
    node.stop()


@pytest.fixture
def node(anvil: Anvil) -> Iterator[Anvil]:
    snapshot = anvil.rpc("evm_snapshot")
    yield anvil
    anvil.rpc("evm_setAutomine", True)
    anvil.rpc("evm_revert", snapshot)


@pytest.fixture
def w3(node: Anvil) -> Web3:
    return Web3(Web3.HTTPProvider(node.url))


@pytest.fixture
def eth_settings(settings, node):
    providers = [node.url, node.url.replace("127.0.0.1", "localhost")]
    return settings.model_copy(update={"eth_providers": providers, "eth_confirmations": 12})


@pytest.fixture
def investigator(eth_settings):
    return build_investigator(eth_settings)


def record(
    session, tx_hash, *, asset="ETH", amount="0.05", to=PLAYER, status="sent", minutes_ago=5, assets=DEFAULT_ASSETS
):
    now = utcnow()
    row = {
        "payout_id": "w-77", "chain": "eth", "player_ref": "p-1842", "to_address": to, "asset": asset,
        "amount": amount, "status": status, "tx_hash": tx_hash, "requested_at": now - timedelta(minutes=minutes_ago + 1),
        "sent_at": now - timedelta(minutes=minutes_ago) if tx_hash else None,
    }  # fmt: skip
    upsert_payouts(session, [PayoutRecordIn.model_validate(row)], assets)
    session.commit()


def judge(investigator, session):
    return investigator.investigate_payout(session, investigator.payout(session, "w-77"))


def send(w3: Web3, to: str, wei: int, *, max_fee: int, nonce: int | None = None, sender: int = 1) -> str:
    account = w3.eth.accounts[sender]
    tx = {
        "from": account,
        "to": Web3.to_checksum_address(to),
        "value": wei,
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": GWEI,
        "nonce": w3.eth.get_transaction_count(account) if nonce is None else nonce,
    }
    return "0x" + bytes(w3.eth.send_transaction(tx)).hex()


def test_a_low_fee_payout_is_stuck_then_its_replacement_is_followed_to_delivered(node, w3, investigator, session):
    node.rpc("evm_setAutomine", False)
    nonce = w3.eth.get_transaction_count(w3.eth.accounts[1])
    low = send(w3, PLAYER, 5 * 10**16, max_fee=2 * GWEI, nonce=nonce)
    node.rpc("anvil_setNextBlockBaseFeePerGas", hex(50 * GWEI))  # the next block costs more than its max fee
    record(session, low)
    stuck = judge(investigator, session)
    assert stuck.code == "payout_stuck" and not stuck.final and stuck.evidence["finance_must_act"]
    assert stuck.evidence["advice"]["kind"] == "replace" and stuck.evidence["advice"]["nonce"] == nonce
    assert f"same nonce {nonce}" in stuck.verdict["action"]
    assert "delivered" not in stuck.verdict["player_message"]["en"]

    bumped = send(w3, PLAYER, 5 * 10**16, max_fee=200 * GWEI, nonce=nonce)  # same nonce, higher fee
    waiting = judge(investigator, session)  # the replacement is in the mempool, not yet mined: not "dropped"
    assert waiting.code == "payout_replaced" and not waiting.final and not waiting.evidence["finance_must_act"]
    node.rpc("evm_mine")
    replaced = judge(investigator, session)
    assert replaced.code == "payout_replaced" and not replaced.final
    assert replaced.evidence["replaced_by"] == bumped
    assert replaced.evidence["replacement"]["code"] == "payout_confirming"

    node.rpc("anvil_mine", hex(11))
    delivered = judge(investigator, session)
    assert delivered.code == "payout_delivered" and delivered.final
    assert delivered.evidence["replaced_from"] == low and delivered.evidence["replaced_by"] == bumped


def test_a_payout_in_the_mempool_that_covers_the_base_fee_is_pending_for_the_next_block(
    node, w3, investigator, session
):
    node.rpc("evm_setAutomine", False)
    tx_hash = send(w3, PLAYER, 5 * 10**16, max_fee=100 * GWEI)
    record(session, tx_hash)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_pending" and verdict.evidence["eta_minutes"] == 1
    assert int(verdict.evidence["fee"]["base_fee"]) < 100 * GWEI


def test_a_reverted_token_payout_failed(node, w3, eth_settings, session):
    contracts = _contracts()
    factory = w3.eth.contract(abi=contracts["TestToken"]["abi"], bytecode=contracts["TestToken"]["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor("Test Dollar", "TUSD", 6).transact({"from": w3.eth.accounts[0]})
    )
    token = w3.eth.contract(address=receipt["contractAddress"], abi=contracts["TestToken"]["abi"])
    tusd = Asset("TUSD", Chain.ETH, 6, token.address.lower())
    investigator = build_investigator(eth_settings.model_copy(update={"eth_tokens": [tusd]}))
    hot = w3.eth.accounts[4]  # holds no tokens: the payout reverts
    tx_hash = (
        "0x"
        + bytes(
            token.functions.transfer(Web3.to_checksum_address(PLAYER), 250 * 10**6).transact(
                {"from": hot, "gas": 100_000}
            )
        ).hex()
    )
    node.rpc("anvil_mine", hex(12))
    record(session, tx_hash, asset="TUSD", amount="250", assets=investigator.policy.assets)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_failed" and verdict.final
    assert "reverted" in verdict.verdict["summary"]


def test_a_payout_to_another_address_than_the_records_is_wrong_address(node, w3, investigator, session):
    tx_hash = send(w3, SOMEONE_ELSE, 5 * 10**16, max_fee=100 * GWEI)
    node.rpc("anvil_mine", hex(12))
    record(session, tx_hash)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_wrong_address" and verdict.final
    assert SOMEONE_ELSE in verdict.evidence["paid_to"]


def test_a_payout_record_without_a_tx_past_the_grace_is_not_sent(node, investigator, session):
    record(session, None, status="approved", minutes_ago=45)
    verdict = judge(investigator, session)
    assert verdict.code == "payout_not_sent" and "Escalate to finance" in verdict.verdict["action"]


def _contracts() -> dict:
    require(SOLC.exists(), "the solc compiler is not installed: run `npm ci`")
    return compile_contracts()


def test_a_payout_record_with_no_tx_becomes_a_not_sent_finding_after_the_grace(node, investigator, session):
    record(session, None, status="approved", minutes_ago=10)
    now = utcnow()
    investigator.clock = lambda: now
    assert audit_payouts(session, investigator, Chain.ETH, now=now).new_findings == []
    later = now + timedelta(minutes=25)
    investigator.clock = lambda: later
    [finding] = audit_payouts(session, investigator, Chain.ETH, now=later).new_findings
    session.commit()
    assert finding.code == "payout_not_sent" and finding.chain == "eth" and finding.asset == "ETH"
