"""The Ethereum JSON-RPC adapter on recorded mainnet answers and JSON-RPC failure shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses

from chains.assets import DEFAULT_ASSETS
from chains.base import ProviderBadResponse, ProviderUnavailable, TraceUnsupported, TransferKind, TxStatus
from chains.ethereum.jsonrpc import EthereumRpcAdapter
from tests.support.evm import EvmWorld, tx_for_receipt
from tests.support.fixtures import eth_result

pytestmark = pytest.mark.fixtures
URL = "https://rpc.example/v3/secret-key"


@pytest.fixture
def node():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        world = EvmWorld(head=0xCF2427 + 20, finalized=0xCF2427 + 5)
        world.serve(mock, URL)
        yield world


@pytest.fixture
def adapter():
    return EthereumRpcAdapter(URL, assets=DEFAULT_ASSETS)


def test_usdt_transfer_is_one_token_transfer_in_one_round_trip(fixtures_dir, node, adapter):
    receipt = eth_result(fixtures_dir, "eth_receipt_adb8_usdt_transfer_etherscan.json", "receipt")
    tx_hash = node.add(tx_for_receipt(receipt), receipt)
    tx = adapter.get_tx(tx_hash)
    assert tx.status is TxStatus.CONFIRMED
    assert (tx.block_height, tx.confirmations, tx.finalized) == (0xCF2427, 21, True)
    [transfer] = tx.transfers
    assert transfer.kind is TransferKind.TOKEN and transfer.asset == "USDT"
    assert transfer.to_address == "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0"
    assert transfer.amount_base_units == 20_939_174
    assert transfer.index == 0xDB
    assert tx.fee == 0xB41D * 0x1A96B24C26
    assert sum(node.requests.values()) == 1
    assert adapter.name == "rpc.example"  # never the key in the path


def test_batch_answers_in_any_order_are_matched_by_id(fixtures_dir, node, adapter):
    receipt = eth_result(fixtures_dir, "eth_receipt_adb8_usdt_transfer_etherscan.json", "receipt")
    tx_hash = node.add(tx_for_receipt(receipt), receipt)
    node.reverse_batches = True
    tx = adapter.get_tx(tx_hash)
    assert tx.status is TxStatus.CONFIRMED and tx.confirmations == 21
    assert tx.transfers[0].asset == "USDT"


def test_reverted_receipt_is_failed_with_no_transfer(fixtures_dir, node, adapter):
    receipt = eth_result(fixtures_dir, "eth_receipt_1a7d_failed_status0.json", "receipt")
    calldata = "0xa9059cbb" + "00" * 12 + "ab" * 20 + hex(250_000_000)[2:].rjust(64, "0")
    tx_hash = node.add(tx_for_receipt(receipt, calldata=calldata), receipt)
    tx = adapter.get_tx(tx_hash)
    assert tx.status is TxStatus.FAILED
    assert all(t.kind is TransferKind.INTENDED for t in tx.transfers)
    assert tx.transfers[0].to_address == "0x" + "ab" * 20 and tx.transfers[0].amount_base_units == 250_000_000


def test_transfer_of_a_token_not_in_the_list_is_labelled_by_its_contract(fixtures_dir, node, adapter):
    receipt = eth_result(fixtures_dir, "eth_receipt_480e_other_token_huge_amount.json", "receipt")
    tx = adapter.get_tx(node.add(tx_for_receipt(receipt, calldata="0x095ea7b3"), receipt))
    [transfer] = tx.transfers
    assert transfer.asset == "erc20:0xb0399c2fb7958d8d0fde93ec58c4efa1ba501375"
    assert transfer.amount_base_units == 2**256 - 1


def test_multi_log_receipt_keeps_only_three_topic_transfer_logs(fixtures_dir, node, adapter):
    document = eth_result(fixtures_dir, "eth_receipt_1225_multi_log_token_mint.json", "receipt")
    tx = adapter.get_tx(node.add(tx_for_receipt(document, calldata="0x12345678"), document))
    expected = [
        log for log in document["logs"] if len(log["topics"]) == 3 and log["topics"][0].startswith("0xddf252ad")
    ]
    assert [t.index for t in tx.transfers] == [int(log["logIndex"], 16) for log in expected]
    assert tx.contract_call


def test_pre_byzantium_pair_is_a_confirmed_native_transfer(fixtures_dir, node, adapter):
    tx_json = eth_result(fixtures_dir, "eth_pair_9a54_2016.json", "transaction")
    receipt = eth_result(fixtures_dir, "eth_pair_9a54_2016.json", "receipt")
    node.head = 0x1AC9F3 + 99
    tx = adapter.get_tx(node.add(tx_json, receipt))
    assert tx.status is TxStatus.CONFIRMED  # no status field: success cannot be read, the root says mined
    [transfer] = tx.transfers
    assert transfer.kind is TransferKind.NATIVE and transfer.asset == "ETH"
    assert transfer.amount_base_units == 405_738_107_000_000_000
    assert tx.confirmations == 100 and tx.fee == 420_000_000_000_000


def test_newer_clients_block_timestamp_is_read(fixtures_dir, node, adapter):
    tx_json = eth_result(fixtures_dir, "eth_testchain_dynamic_fee_tx_and_receipt.json", "transaction")
    receipt = eth_result(fixtures_dir, "eth_testchain_dynamic_fee_tx_and_receipt.json", "receipt")
    node.head, node.finalized = 0x1B, None
    tx = adapter.get_tx(node.add(tx_json, receipt))
    assert tx.timestamp is not None and tx.timestamp.timestamp() == 0x10E
    assert tx.finalized is None  # the provider has no finalized tag


def test_a_mined_tx_whose_receipt_is_not_indexed_yet_is_unavailable_not_missing(fixtures_dir, node, adapter):
    tx_json = eth_result(fixtures_dir, "eth_tx_c59f_type2_plain_eth_transfer.json")
    with pytest.raises(ProviderUnavailable, match="without receipt"):
        adapter.get_tx(node.add(tx_json))


def test_unknown_hash_is_not_found(fixtures_dir, node, adapter):
    document = json.loads((fixtures_dir / "eth_errors_notfound_and_malformed.json").read_text())
    cases = {c["name"]: c for c in document["cases"]}
    assert cases["tx_not_found"]["response"]["result"] is None
    tx = adapter.get_tx(cases["tx_not_found"]["request"]["params"][0])
    assert tx.status is TxStatus.NOT_FOUND


def test_a_pending_tx_is_in_the_mempool(fixtures_dir, node, adapter):
    tx_json = dict(eth_result(fixtures_dir, "eth_tx_b9b9_legacy_plain_eth_transfer.json"))
    tx_json |= {"blockHash": None, "blockNumber": None, "transactionIndex": None}
    tx = adapter.get_tx(node.add(tx_json))
    assert tx.status is TxStatus.MEMPOOL and tx.transfers[0].amount_base_units == 10_116_705_000_000_000


def test_jsonrpc_error_objects_are_mapped(fixtures_dir, adapter):
    with responses.RequestsMock() as mock:
        malformed = {"code": -32602, "message": "invalid argument 0: hex string without 0x prefix"}
        mock.add(responses.POST, URL, json=[{"jsonrpc": "2.0", "id": i, "error": malformed} for i in range(4)])
        with pytest.raises(ProviderBadResponse, match="-32602"):
            adapter.get_tx("0x" + "ab" * 32)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            {"json": {"jsonrpc": "2.0", "id": None, "error": {"code": -32005, "message": "rate limited"}}},
            ProviderUnavailable,
        ),
        (
            {"json": {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch not supported"}}},
            ProviderBadResponse,
        ),
        ({"json": [{"jsonrpc": "2.0", "id": 0, "result": None}]}, ProviderBadResponse),
        ({"body": "<html>bad gateway</html>", "status": 502}, ProviderUnavailable),
        ({"body": "slow down", "status": 429}, ProviderUnavailable),
        ({"body": "{not json"}, ProviderBadResponse),
        ({"body": requests.ConnectTimeout("slow")}, ProviderUnavailable),
        ({"body": requests.ConnectionError("refused")}, ProviderUnavailable),
        ({"body": "forbidden", "status": 403}, ProviderBadResponse),
    ],
)
def test_batch_level_failures_are_mapped_to_chain_errors(adapter, answer, error):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, **answer)
        with pytest.raises(error):
            adapter.get_tx("0x" + "ab" * 32)


def test_trace_reads_internal_value_transfers_and_skips_reverted_calls(node, adapter):
    tx_hash = "0x" + "cd" * 32
    node.call_traces[tx_hash] = {
        "type": "CALL",
        "from": "0x" + "11" * 20,
        "to": "0x" + "22" * 20,
        "value": "0xde0b6b3a7640000",
        "calls": [
            {"type": "CALL", "from": "0x" + "22" * 20, "to": "0x" + "33" * 20, "value": "0x0de0b6b3a7640000"},
            {"type": "CALL", "from": "0x" + "22" * 20, "to": "0x" + "44" * 20, "value": "0x1", "error": "reverted"},
            {"type": "DELEGATECALL", "from": "0x" + "22" * 20, "to": "0x" + "55" * 20},
        ],
    }
    [internal] = adapter.trace(tx_hash)
    assert (internal.to_address, internal.amount_base_units, internal.kind) == (
        "0x" + "33" * 20,
        10**18,
        TransferKind.INTERNAL,
    )


def test_a_provider_without_tracing_says_so(node, adapter):
    with pytest.raises(TraceUnsupported, match="cannot trace"):
        adapter.trace("0x" + "ef" * 32)


def test_value_sent_without_calldata_is_a_contract_call_when_code_ran(fixtures_dir, node, adapter):
    tx_json = eth_result(fixtures_dir, "eth_pair_9a54_2016.json", "transaction")
    receipt = eth_result(fixtures_dir, "eth_pair_9a54_2016.json", "receipt")
    node.head = 0x1AC9F3 + 99
    assert not adapter.get_tx(node.add(tx_json, receipt)).contract_call  # 21,000 gas: a plain transfer
    forwarded = adapter.get_tx(node.add(tx_json, dict(receipt, gasUsed=hex(30_512))))
    assert forwarded.contract_call and forwarded.transfers[0].kind is TransferKind.NATIVE


def test_a_pending_send_allowed_more_gas_than_a_transfer_may_run_code(fixtures_dir, node, adapter):
    tx_json = dict(eth_result(fixtures_dir, "eth_tx_b9b9_legacy_plain_eth_transfer.json"))
    tx_json |= {"blockHash": None, "blockNumber": None, "transactionIndex": None, "gas": hex(21_000)}
    assert not adapter.get_tx(node.add(tx_json)).contract_call
    assert adapter.get_tx(node.add(dict(tx_json, gas=hex(60_000)))).contract_call


def test_an_ethereum_adapter_never_imports_web3():
    # web3 weighs tens of MiB and costs CPU per request: the adapter posts its batches itself.
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from chains.assets import DEFAULT_ASSETS\n"
        "from chains.ethereum.jsonrpc import EthereumRpcAdapter\n"
        "adapter = EthereumRpcAdapter('http://127.0.0.1:9/rpc', assets=DEFAULT_ASSETS)\n"
        "from chains.base import ProviderUnavailable\n"
        "try:\n"
        "    adapter.tip_height()\n"
        "except ProviderUnavailable:\n"
        "    pass\n"
        "assert 'web3' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[2])
