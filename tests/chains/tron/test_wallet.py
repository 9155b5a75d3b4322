"""The java-tron HTTP adapter on documented answers: statuses, transfers, failures, heads, errors."""

from __future__ import annotations

import pytest
import responses

from chains.assets import DEFAULT_ASSETS
from chains.base import ProviderBadResponse, ProviderLimitation, ProviderUnavailable, TransferKind, TxStatus
from chains.tron.wallet import TronHttpAdapter
from tests.support.tron import (
    TRX_BLOCK,
    TRX_PAYEE,
    TRX_SENDER,
    TRX_TXID,
    TronWorld,
    transfer_log,
    trc10_tx,
    trc20_info,
    trc20_tx,
    trx_transfer_info,
    trx_transfer_tx,
)

BASE = "https://tron.test"
OTHER = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"
TXID = "ab" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world():
    w = TronWorld()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        w.serve(mock, BASE)
        yield w


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def adapter(clock):
    return TronHttpAdapter(BASE, assets=DEFAULT_ASSETS, api_key="sekret-key-123", clock=clock)


def test_a_solidified_trx_transfer_is_confirmed_with_its_amount_in_sun(world, adapter):
    world.add(trx_transfer_tx(), trx_transfer_info())
    tx = adapter.get_tx(TRX_TXID)
    assert tx.status is TxStatus.CONFIRMED and tx.finalized is True
    assert tx.block_height == TRX_BLOCK and tx.confirmations == 101
    assert tx.signer == TRX_SENDER
    assert [(t.asset, t.to_address, t.amount_base_units, t.kind) for t in tx.transfers] == [
        ("TRX", TRX_PAYEE, 5, TransferKind.NATIVE)
    ]
    assert tx.failure is None  # no receipt.result at all: a plain transfer is not failed
    assert tx.resources["bandwidth_used"] == 265


def test_one_round_trip_two_requests_when_the_solidified_head_is_fresh(world, adapter, clock):
    world.add(trx_transfer_tx(), trx_transfer_info())
    adapter.get_tx(TRX_TXID)
    assert world.requests["/wallet/getnodeinfo"] == 1  # the heads, asked beside the tx the first time
    world.requests.clear()
    clock.now += 2.9
    adapter.get_tx(TRX_TXID)
    assert dict(world.requests) == {"/wallet/gettransactionbyid": 1, "/wallet/gettransactioninfobyid": 1}
    clock.now += 0.2  # one block later the heads are asked again
    adapter.get_tx(TRX_TXID)
    assert world.requests["/wallet/getnodeinfo"] == 1


def test_in_a_block_but_not_solidified_is_confirmed_but_not_final(world, adapter):
    world.add(trx_transfer_tx(), trx_transfer_info())
    world.head, world.solid = TRX_BLOCK + 5, TRX_BLOCK - 14
    tx = adapter.get_tx(TRX_TXID)
    assert tx.status is TxStatus.CONFIRMED and tx.finalized is False and tx.confirmations == 6


def test_two_usdt_transfers_in_one_tx_each_count(world, adapter):
    logs = [transfer_log(TRX_SENDER, TRX_PAYEE, 7_000_000), transfer_log(TRX_SENDER, OTHER, 3_500_000)]
    world.add(trc20_tx(TXID, TRX_SENDER, TRX_PAYEE, 7_000_000), trc20_info(TXID, TRX_BLOCK, logs))
    tx = adapter.get_tx(TXID)
    assert tx.status is TxStatus.CONFIRMED and tx.contract_call
    assert [(t.asset, t.to_address, t.amount_base_units, t.index, t.kind) for t in tx.transfers] == [
        ("USDT", TRX_PAYEE, 7_000_000, 0, TransferKind.TOKEN),
        ("USDT", OTHER, 3_500_000, 1, TransferKind.TOKEN),
    ]
    assert tx.resources == {
        "energy_used": 64_285,
        "bandwidth_used": 0,
        "fee_burnt_sun": 13_844_850,
        "energy_fee_sun": 13_499_850,
        "bandwidth_fee_sun": 345_000,
    }


@pytest.mark.parametrize(
    ("result", "words"),
    [("OUT_OF_ENERGY", "did not have enough energy; nothing was sent, the fee was burnt"), ("REVERT", "refused")],
)
def test_a_receipt_that_is_not_success_is_failed_in_plain_words(world, adapter, result, words):
    world.add(trc20_tx(TXID, TRX_SENDER, TRX_PAYEE, 7_000_000), trc20_info(TXID, TRX_BLOCK, [], result=result))
    tx = adapter.get_tx(TXID)
    assert tx.status is TxStatus.FAILED
    assert words in tx.failure
    assert [(t.asset, t.to_address, t.amount_base_units, t.kind) for t in tx.transfers] == [
        ("USDT", TRX_PAYEE, 7_000_000, TransferKind.INTENDED)
    ]


def test_without_info_yet_the_tx_is_pending_never_failed(world, adapter):
    world.add(trc20_tx(TXID, TRX_SENDER, TRX_PAYEE, 7_000_000))
    tx = adapter.get_tx(TXID)
    assert tx.status is TxStatus.MEMPOOL
    assert all(t.kind is TransferKind.INTENDED for t in tx.transfers)


def test_unknown_to_the_node_is_not_found(world, adapter):
    assert adapter.get_tx(TXID).status is TxStatus.NOT_FOUND


def test_trc10_and_unknown_trc20_tokens_are_named_for_what_they_are(world, adapter):
    world.add(trc10_tx(TXID, TRX_SENDER, TRX_PAYEE, 1_000), {"id": TXID, "blockNumber": TRX_BLOCK, "receipt": {}})
    assert [t.asset for t in adapter.get_tx(TXID).transfers] == ["trc10:1002000"]
    other = "cd" * 32
    world.add(
        trc20_tx(other, TRX_SENDER, TRX_PAYEE, 9, contract=OTHER),
        trc20_info(other, TRX_BLOCK, [transfer_log(TRX_SENDER, TRX_PAYEE, 9, contract=OTHER)], contract=OTHER),
    )
    assert [t.asset for t in adapter.get_tx(other).transfers] == [f"trc20:{OTHER}"]


def test_the_api_key_is_sent_as_its_header_and_never_in_errors(world, adapter):
    world.faults["/wallet/gettransactionbyid"] = [(429, "slow down")]
    with pytest.raises(ProviderUnavailable) as caught:
        adapter.get_tx(TXID)
    assert "sekret" not in str(caught.value) and "sekret" not in repr(caught.value.raw)
    assert set(world.api_keys) == {"sekret-key-123"}


def test_an_answer_for_another_tx_or_an_error_object_is_not_trusted(world, adapter):
    world.txs[TXID] = trx_transfer_tx()  # answers with TRX_TXID's body
    world.infos[TXID] = trx_transfer_info()
    with pytest.raises(ProviderBadResponse, match="another transaction"):
        adapter.get_tx(TXID)
    world.faults["/wallet/gettransactionbyid"] = [(200, '{"Error": "class java.lang.NullPointerException : null"}')]
    with pytest.raises(ProviderBadResponse, match="refused"):
        adapter.get_tx("ef" * 32)


def test_a_block_known_by_number_only_is_in_the_main_chain_once_solidified(world, adapter):
    assert adapter.block_in_main_chain("", world.solid) is True
    with pytest.raises(ProviderLimitation):
        adapter.block_in_main_chain("", world.solid + 1)
