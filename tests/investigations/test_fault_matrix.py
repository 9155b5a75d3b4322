"""Every provider failure mode, alone and beside a healthy second provider, on recorded mainnet
data: the verdict is right or provider_unavailable — never a wrong not_found, credited or
not_our_address."""

from __future__ import annotations

import json

import pytest
import requests

from app.wiring import build_investigator
from investigations.service import InvestigationRequest
from tests.conftest import ETH_PROVIDERS, PROVIDERS
from tests.support.evm import tx_for_receipt
from tests.support.fixtures import eth_result
from tests.support.ledger import add_addresses, add_addresses_on, add_deposit, add_deposit_on

pytestmark = pytest.mark.fixtures
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
B10C = "b10c0000004da5a9d1d9b4ae32e09f0b3e62d21a5cce5428d4ad714fb444eb5d"
UNKNOWN_TXID = "ee" * 32


def _raise(error):
    def behaviour(_request):
        raise error

    return behaviour


BTC_FAULTS = {
    "timeout": _raise(requests.ReadTimeout("read timed out")),
    "connection_refused": _raise(requests.ConnectionError("refused")),
    "server_error": lambda r: (502, TEXT, "Bad Gateway"),
    "rate_limited": lambda r: (429, TEXT, "Too Many Requests"),
    "rate_limited_retry_after": lambda r: (429, TEXT | {"Retry-After": "0"}, "Too Many Requests"),
    "malformed_json": lambda r: (200, JSON, '{"txid": "b10c'),
    "lagging_tip": lambda r: (200, TEXT, "849000") if r.url.endswith("/tip/height") else None,
    "forgot_old_tx": lambda r: (404, TEXT, "Transaction not found") if "/tx/" in r.url else None,
    "html_error_page": lambda r: (404, {"Content-Type": "text/html"}, "<html>not here</html>"),
}


def _btc(settings, healthy_second: bool):
    providers = PROVIDERS if healthy_second else PROVIDERS[:1]
    return build_investigator(settings.model_copy(update={"btc_providers": providers}))


@pytest.fixture
def b10c(chain, fixtures_dir, session):
    body = chain.load_fixture(fixtures_dir / "btc_esplora_tx_b10c_all_script_types.json")["response"]["body"]
    chain.tip_height = 850_020
    paid = next(o for o in body["vout"] if o.get("scriptpubkey_type") == "v0_p2wpkh")
    add_addresses(session, (paid["scriptpubkey_address"], "p-1"))
    sats = paid["value"]
    add_deposit(session, body["txid"], paid["scriptpubkey_address"], f"{sats / 10**8:.8f}", "p-1")
    return body


@pytest.mark.parametrize("fault", sorted(BTC_FAULTS))
@pytest.mark.parametrize("healthy_second", [False, True], ids=["alone", "with_healthy_second"])
def test_bitcoin_fault_matrix(chain, b10c, settings, session, fault, healthy_second):
    chain.fault("esplora-one.test", BTC_FAULTS[fault])
    investigator = _btc(settings.model_copy(update={"min_deposits": {"BTC": 1}}), healthy_second)
    known = investigator.investigate(session, InvestigationRequest(B10C, chain="btc")).code
    unknown = investigator.investigate(session, InvestigationRequest(UNKNOWN_TXID, chain="btc")).code
    if healthy_second:
        assert known == "credited"
        # A provider that still answers "unknown" for an unknown tx is right there; one that fails is not a vote.
        assert unknown == ("not_found" if fault in ("forgot_old_tx", "lagging_tip") else "provider_unavailable")
    else:
        assert known == "provider_unavailable"  # one faulty provider can prove nothing
        assert unknown == "provider_unavailable"  # and one provider alone never says not_found


def _rpc_error(code, message):
    def behaviour(payload):
        calls = payload if isinstance(payload, list) else [payload]
        return (
            200,
            JSON,
            json.dumps([{"jsonrpc": "2.0", "id": c["id"], "error": {"code": code, "message": message}} for c in calls]),
        )

    return behaviour


def _null_for(method):
    def behaviour(payload):
        return None if method not in json.dumps(payload) else "null"

    return behaviour


ETH_FAULTS = {
    "timeout": _raise(requests.ReadTimeout("read timed out")),
    "connection_refused": _raise(requests.ConnectionError("refused")),
    "server_error": lambda p: (503, TEXT, "Service Unavailable"),
    "rate_limited": lambda p: (429, TEXT, "Too Many Requests"),
    "rate_limited_retry_after": lambda p: (429, TEXT | {"Retry-After": "0"}, "Too Many Requests"),
    "malformed_json": lambda p: (200, JSON, '[{"jsonrpc": "2.0", "id": 0, "res'),
    "jsonrpc_error_object": _rpc_error(-32603, "internal error"),
    "indexing_in_progress": _rpc_error(-32000, "transaction indexing is in progress"),
    "batch_refused": lambda p: (
        200,
        JSON,
        json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}),
    ),
}


@pytest.fixture
def usdt(evm, fixtures_dir, session):
    receipt = eth_result(fixtures_dir, "eth_receipt_adb8_usdt_transfer_etherscan.json", "receipt")
    evm.head = int(receipt["blockNumber"], 16) + 100
    tx_hash = evm.add(tx_for_receipt(receipt, calldata="0xa9059cbb"), receipt)
    add_addresses_on(session, "eth", ("0xab6960a6511ff18ed8b8c012cb91c7f637947fc0", "p-7"))
    add_deposit_on(session, "eth", tx_hash, "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0", "USDT", "20.939174", "p-7")
    return tx_hash


def _lagging_head(world):
    def behaviour(payload):
        calls = payload if isinstance(payload, list) else [payload]
        answers = [world._call(c) for c in calls]
        for answer, call in zip(answers, calls, strict=True):
            if call["method"] == "eth_blockNumber":
                answer["result"] = hex(1)
        return 200, JSON, json.dumps(answers)

    return behaviour


def _forgets_old_txs(world):
    def behaviour(payload):
        calls = payload if isinstance(payload, list) else [payload]
        answers = [world._call(c) for c in calls]
        for answer, call in zip(answers, calls, strict=True):
            if call["method"] in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
                answer["result"] = None  # geth beyond its txlookuplimit
        return 200, JSON, json.dumps(answers)

    return behaviour


@pytest.mark.parametrize("fault", sorted([*ETH_FAULTS, "lagging_head", "null_for_old_tx"]))
@pytest.mark.parametrize("healthy_second", [False, True], ids=["alone", "with_healthy_second"])
def test_ethereum_fault_matrix(chain, evm, usdt, settings, session, fault, healthy_second):
    behaviour = {"lagging_head": _lagging_head(evm), "null_for_old_tx": _forgets_old_txs(evm)}.get(fault) or ETH_FAULTS[
        fault
    ]
    evm.faults[ETH_PROVIDERS[0]] = behaviour
    providers = ETH_PROVIDERS if healthy_second else ETH_PROVIDERS[:1]
    investigator = build_investigator(settings.model_copy(update={"eth_providers": providers}))
    known = investigator.investigate(session, InvestigationRequest(usdt)).code
    unknown = investigator.investigate(session, InvestigationRequest("0x" + "ee" * 32)).code
    if healthy_second:
        assert known == "credited"
        assert unknown == ("not_found" if fault in ("null_for_old_tx", "lagging_head") else "provider_unavailable")
    else:
        assert known == "provider_unavailable"
        assert unknown == "provider_unavailable"
