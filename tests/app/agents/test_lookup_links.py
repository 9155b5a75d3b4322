"""The lookup form with explorer links: a test-network link is invalid input that says why."""

from __future__ import annotations

from tests.support.web import OURS, TIP, _lookup


def test_a_testnet_link_is_invalid_input_with_the_reason(agent):
    page = _lookup(agent, text="https://mempool.space/testnet/tx/" + "ab" * 32)
    assert page.status_code == 422
    assert "invalid_input" in page.text and "test network" in page.text and "testnet (mempool.space)" in page.text


def test_a_block_link_beside_the_transaction_does_not_take_its_place(agent, chain):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    block = "00000000000000000001c8018a5a3e7e4e2b7bd0f5ba8d2b5a4e0f3c1b2a3d4e"
    page = _lookup(agent, text=f"block https://mempool.space/block/{block} tx {tx['txid']}", player_ref="p-1842")
    assert page.status_code == 200 and tx["txid"] in page.text
