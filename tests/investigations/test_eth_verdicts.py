"""Ethereum verdicts through the service, on recorded mainnet receipts served as JSON-RPC."""

from __future__ import annotations

import threading

import pytest
from eth_utils import to_checksum_address
from sqlmodel import Session

from app.wiring import build_investigator
from investigations.models import Investigation
from investigations.service import InvestigationRequest
from tests.conftest import ETH_PROVIDERS
from tests.support.evm import EvmWorld, tx_for_receipt
from tests.support.fixtures import eth_result
from tests.support.ledger import add_addresses_on, add_deposit_on

pytestmark = pytest.mark.fixtures
USDT_RECEIPT = "eth_receipt_adb8_usdt_transfer_etherscan.json"
USDT_PAYEE = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0"


def run(investigator, session, tx_hash, **ticket):
    return investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, **ticket))


def assert_as_stored(session, record):
    """The investigation as returned (not read back after its commit) is the row as stored."""
    with Session(session.get_bind()) as fresh:
        stored = fresh.get(Investigation, record.id)
        assert stored is not None
        for name in Investigation.model_fields:
            assert getattr(stored, name) == getattr(record, name), name


@pytest.fixture
def usdt_tx(fixtures_dir, evm):
    receipt = eth_result(fixtures_dir, USDT_RECEIPT, "receipt")
    evm.head = int(receipt["blockNumber"], 16) + 30
    return evm.add(tx_for_receipt(receipt, calldata="0xa9059cbb" + "00" * 64), receipt)


def test_recorded_usdt_deposit_is_confirmed_not_credited_then_credited(chain, evm, usdt_tx, investigator, session):
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"))
    record = run(investigator, session, usdt_tx, player_ref="p-7")
    assert record.code == "confirmed_not_credited"
    assert record.evidence["paid"][0]["amount"] == "20.939174"
    assert record.evidence["confirmations"] == "31/12"
    assert record.evidence["explorer_url"] == f"https://etherscan.io/tx/{usdt_tx}"
    assert_as_stored(session, record)
    add_deposit_on(session, "eth", usdt_tx, USDT_PAYEE, "USDT", "20.939174", "p-7", index=0xDB)
    assert run(investigator, session, usdt_tx).code == "credited"


def test_one_http_request_per_provider_per_ethereum_lookup(chain, evm, usdt_tx, investigator, session):
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"))
    run(investigator, session, usdt_tx, address=USDT_PAYEE)
    assert list(evm.requests.values()) == [1, 1]  # one batch to each of the two providers, asked at once


def test_checksummed_address_on_the_ticket_matches_case_insensitively(chain, evm, usdt_tx, investigator, session):
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"))
    checksummed = to_checksum_address(USDT_PAYEE)
    assert checksummed != USDT_PAYEE
    record = run(investigator, session, usdt_tx, address=checksummed)
    assert record.evidence["ticket_address"] == {"address": USDT_PAYEE, "role": "recipient"}


def test_a_token_the_address_does_not_accept_is_unsupported_asset(chain, evm, usdt_tx, investigator, session):
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"), assets=["ETH", "USDC"])
    record = run(investigator, session, usdt_tx)
    assert record.code == "unsupported_asset" and record.final


def test_recorded_transfer_of_an_unlisted_token_to_us_is_unsupported_asset(
    chain, evm, fixtures_dir, investigator, session
):
    receipt = eth_result(fixtures_dir, "eth_receipt_480e_other_token_huge_amount.json", "receipt")
    evm.head = int(receipt["blockNumber"], 16) + 100
    tx_hash = evm.add(tx_for_receipt(receipt, calldata="0x095ea7b3"), receipt)
    add_addresses_on(session, "eth", ("0x0e0b9d8c9930e7cff062dd4a2b26bce95a0defee", "p-3"))
    record = run(investigator, session, tx_hash)
    assert record.code == "unsupported_asset"
    assert "erc20:0xb0399c2fb7958d8d0fde93ec58c4efa1ba501375" in record.verdict["summary"]


def test_recorded_reverted_tx_is_failed_even_though_it_addresses_us(chain, evm, fixtures_dir, investigator, session):
    receipt = eth_result(fixtures_dir, "eth_receipt_1a7d_failed_status0.json", "receipt")
    evm.head = int(receipt["blockNumber"], 16) + 100
    ours = "0x" + "ab" * 20
    calldata = "0xa9059cbb" + "00" * 12 + "ab" * 20 + hex(25_000_000)[2:].rjust(64, "0")
    tx_hash = evm.add(tx_for_receipt(receipt, calldata=calldata), receipt)
    add_addresses_on(session, "eth", (ours, "p-1"))
    record = run(investigator, session, tx_hash, address=ours)
    assert record.code == "failed" and record.final
    assert record.evidence["outputs"][0]["kind"] == "intended"
    assert "no funds were transferred" in record.verdict["player_message"]["en"]


def test_confirmations_below_eth_confirmations_is_confirming(chain, evm, usdt_tx, investigator, session):
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"))
    evm.head = int(evm.txs[usdt_tx]["blockNumber"], 16) + 4
    record = run(investigator, session, usdt_tx)
    assert record.code == "confirming" and record.evidence["confirmations"] == "5/12"
    assert "5 подтверждений из 12" in record.verdict["player_message"]["ru"]


def test_finality_mode_waits_for_the_finalized_block(chain, evm, usdt_tx, settings, session):
    finalized = build_investigator(settings.model_copy(update={"eth_finality": "finalized"}))
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"))
    block = int(evm.txs[usdt_tx]["blockNumber"], 16)
    evm.finalized = block - 1
    assert run(finalized, session, usdt_tx).code == "confirming"  # 31 confirmations, not yet finalized
    evm.finalized = None
    assert run(finalized, session, usdt_tx).code == "confirming"  # provider cannot say: stay conservative
    evm.finalized = block
    assert run(finalized, session, usdt_tx).code == "confirmed_not_credited"


def test_internal_transfer_to_us_found_through_a_trace(chain, evm, fixtures_dir, investigator, session):
    receipt = eth_result(fixtures_dir, "eth_receipt_dd5d_contract_call_no_logs.json", "receipt")
    evm.head = int(receipt["blockNumber"], 16) + 100
    tx_hash = evm.add(tx_for_receipt(receipt, calldata="0x3ccfd60b"), receipt)
    ours = "0x" + "77" * 20
    add_addresses_on(session, "eth", (ours, "p-5"))
    record = run(investigator, session, tx_hash)
    assert record.code == "provider_unavailable" and record.evidence["needs_trace"] is True
    assert "needs a trace" in record.verdict["summary"]
    evm.call_traces[tx_hash] = {
        "type": "CALL",
        "from": receipt["from"],
        "to": receipt["to"],
        "value": "0x0",
        "calls": [{"type": "CALL", "from": receipt["to"], "to": ours, "value": hex(3 * 10**16)}],
    }
    evm.requests.clear()
    record = run(investigator, session, tx_hash)
    assert record.code == "confirmed_not_credited"
    assert record.evidence["paid"][0]["amount"] == "0.03"
    # The tx is settled (100 confirmations): its facts come from the cache, only the trace is asked.
    assert sum(evm.requests.values()) == 1
    evm.requests.clear()
    assert run(investigator, session, tx_hash).code == "confirmed_not_credited"
    assert sum(evm.requests.values()) == 0  # traced and settled: nothing left to ask


def test_a_contract_call_still_in_the_mempool_is_pending_not_foreign(chain, evm, fixtures_dir, investigator, session):
    tx_json = dict(eth_result(fixtures_dir, "eth_tx_5a52_usdc_transfer_legacy.json"))
    tx_json |= {"blockHash": None, "blockNumber": None, "transactionIndex": None, "input": "0x3ccfd60b"}
    record = run(investigator, session, evm.add(tx_json))
    assert record.code == "pending" and not record.final


@pytest.fixture
def bsc(http_mock):
    world = EvmWorld(head=40_000_000, chain_id=56)  # the BSC provider is checked for chain id 56 first
    world.serve(http_mock, "https://bsc.test/rpc")
    return world


def test_a_deposit_sent_on_another_evm_network_is_wrong_network(chain, evm, bsc, fixtures_dir, settings, session):
    investigator = build_investigator(settings.model_copy(update={"evm_networks": {"bsc": "https://bsc.test/rpc"}}))
    tx_json = dict(eth_result(fixtures_dir, "eth_tx_ed19_type2_plain_eth_transfer.json"))
    tx_json |= {"blockNumber": hex(39_999_990), "blockHash": "0x" + "bb" * 32}
    receipt = {
        "transactionHash": tx_json["hash"],
        "blockHash": tx_json["blockHash"],
        "blockNumber": tx_json["blockNumber"],
        "status": "0x1",
        "gasUsed": "0x5208",
        "effectiveGasPrice": "0x1",
        "logs": [],
    }
    tx_hash = bsc.add(tx_json, receipt)
    add_addresses_on(session, "eth", (tx_json["to"], "p-8"))
    record = run(investigator, session, tx_hash, player_ref="p-8")
    assert record.code == "wrong_network" and record.final
    assert record.evidence["network"] == "bsc"
    assert "recoverable by treasury" in record.verdict["action"].lower()
    assert "BNB" in record.verdict["summary"]
    assert "on the BSC network instead of Ethereum" in record.verdict["player_message"]["en"]
    assert_as_stored(session, record)


def test_ethereum_and_the_other_networks_are_asked_at_once(chain, evm, bsc, fixtures_dir, settings, session):
    """Ethereum's providers only answer once BSC has been asked: a lookup that asked BSC after
    Ethereum said "not found" (a second round trip) would find Ethereum unavailable instead."""
    bsc_asked = threading.Event()

    def after_bsc(payload):
        if not bsc_asked.wait(timeout=60):
            return 503, {}, "bsc was not asked beside ethereum"
        return None

    def mark_bsc(payload):
        bsc_asked.set()
        return None

    for url in ETH_PROVIDERS:
        evm.faults[url] = after_bsc
    bsc.faults["https://bsc.test/rpc"] = mark_bsc
    investigator = build_investigator(settings.model_copy(update={"evm_networks": {"bsc": "https://bsc.test/rpc"}}))
    tx_json = dict(eth_result(fixtures_dir, "eth_tx_ed19_type2_plain_eth_transfer.json"))
    tx_json |= {"blockNumber": hex(39_999_990), "blockHash": "0x" + "bb" * 32}
    receipt = {
        "transactionHash": tx_json["hash"],
        "blockHash": tx_json["blockHash"],
        "blockNumber": tx_json["blockNumber"],
        "status": "0x1",
        "gasUsed": "0x5208",
        "effectiveGasPrice": "0x1",
        "logs": [],
    }
    tx_hash = bsc.add(tx_json, receipt)
    add_addresses_on(session, "eth", (tx_json["to"], "p-8"))
    record = run(investigator, session, tx_hash, player_ref="p-8")
    assert record.code == "wrong_network"
    assert bsc.requests["https://bsc.test/rpc"] == 2  # eth_chainId once, then the lookup's one batch


def test_unknown_on_every_network_stays_not_found(chain, evm, bsc, settings, session):
    investigator = build_investigator(settings.model_copy(update={"evm_networks": {"bsc": "https://bsc.test/rpc"}}))
    record = run(investigator, session, "0x" + "ee" * 32)
    assert record.code == "not_found"  # BSC's single provider cannot confirm "unknown": Ethereum decides
    assert any(a["provider"].startswith("bsc") for a in record.evidence["providers"])


def test_eth_lookup_never_guesses_when_providers_fail(chain, evm, usdt_tx, investigator, session):
    evm.batch_error = {"code": -32005, "message": "daily request limit reached"}
    record = run(investigator, session, usdt_tx)
    assert record.code == "provider_unavailable"


def test_bare_hex_found_on_ethereum_after_bitcoin_says_unknown(chain, evm, usdt_tx, investigator, session):
    add_addresses_on(session, "eth", (USDT_PAYEE, "p-7"))
    record = run(investigator, session, usdt_tx.removeprefix("0x"))
    assert record.chain == "eth" and record.code == "confirmed_not_credited"


def test_a_mistyped_bitcoin_txid_is_not_found_even_when_ethereum_is_down(chain, evm, investigator, session):
    """Bitcoin's providers all say they do not know the bare hex hash; Ethereum (its less likely
    reading) cannot be asked. The verdict is about Bitcoin: not_found, not provider_unavailable, and
    each answer names the chain it came from."""
    evm.batch_error = {"code": -32005, "message": "daily request limit reached"}
    record = run(investigator, session, "ab" * 32)
    assert record.chain == "btc" and record.code == "not_found"
    chains = {a["chain"] for a in record.evidence["providers"]}
    assert chains == {"btc", "eth"}
    assert {a["answer"] for a in record.evidence["providers"] if a["chain"] == "btc"} == {"not_found"}


def test_a_native_eth_credit_booked_with_an_index_still_matches(chain, evm, fixtures_dir, investigator, session):
    tx_json = dict(eth_result(fixtures_dir, "eth_tx_c59f_type2_plain_eth_transfer.json"))
    receipt = {
        "transactionHash": tx_json["hash"],
        "blockHash": tx_json["blockHash"],
        "blockNumber": tx_json["blockNumber"],
        "status": "0x1",
        "gasUsed": "0x5208",
        "effectiveGasPrice": "0x1",
        "logs": [],
    }
    evm.head = int(tx_json["blockNumber"], 16) + 100
    tx_hash = evm.add(tx_json, receipt)
    add_addresses_on(session, "eth", (tx_json["to"], "p-4"))
    add_deposit_on(session, "eth", tx_hash, tx_json["to"], "ETH", "0.006672", "p-4", index=0)
    assert run(investigator, session, tx_hash).code == "credited"
