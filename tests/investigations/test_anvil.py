"""Ethereum deposits against a real node (anvil): every Ethereum case through the service,
and through the API and the command line. CI runs these; a machine without `npm ci` skips."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session
from web3 import Web3

import chains.http
from app.cli import main
from app.main import create_app
from app.runtime.accounts import add_agent
from app.wiring import build_investigator
from chains.assets import Asset
from chains.base import Chain
from investigations.service import InvestigationRequest
from investigations.types import utcnow
from tests.conftest import require
from tests.support.anvil import ANVIL, SOLC, Anvil, compile_contracts
from tests.support.ledger import add_addresses_on, add_deposit_on

pytestmark = pytest.mark.anvil
OURS = "0x" + "d0" * 20
OTHER_PLAYERS = "0x" + "d1" * 20


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    node = Anvil.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def contracts(anvil: Anvil) -> dict:
    require(SOLC.exists(), "the solc compiler is not installed: run `npm ci`")
    return compile_contracts()


@pytest.fixture
def node(anvil: Anvil) -> Iterator[Anvil]:
    """The session's anvil, rolled back to a snapshot after each test."""
    snapshot = anvil.rpc("evm_snapshot")
    yield anvil
    anvil.rpc("evm_setAutomine", True)
    anvil.rpc("evm_revert", snapshot)


@pytest.fixture
def w3(node: Anvil) -> Web3:
    return Web3(Web3.HTTPProvider(node.url))


@pytest.fixture
def http_requests(monkeypatch) -> Counter:
    """HTTP requests the adapters send, counted by host."""
    counter: Counter = Counter()
    original = chains.http.new_session

    def counting_session():
        session = original()
        session.hooks["response"].append(lambda response, *a, **k: counter.update([response.request.url]))
        return session

    monkeypatch.setattr(chains.http, "new_session", counting_session)
    return counter


@pytest.fixture
def eth_settings(settings, node):
    # Two providers in front of the one node: "not found" needs two that agree.
    providers = [node.url, node.url.replace("127.0.0.1", "localhost")]
    return settings.model_copy(update={"eth_providers": providers, "eth_confirmations": 12})


@pytest.fixture
def investigator(eth_settings, http_requests):
    return build_investigator(eth_settings)


@pytest.fixture(autouse=True)
def casino(session):
    add_addresses_on(session, "eth", (OURS, "p-1"), (OTHER_PLAYERS, "p-2"))


def _hex(tx_hash) -> str:
    return "0x" + bytes(tx_hash).hex()


def deploy(w3: Web3, contracts: dict, name: str, *args):
    factory = w3.eth.contract(abi=contracts[name]["abi"], bytecode=contracts[name]["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": w3.eth.accounts[0]}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=contracts[name]["abi"])


def run(investigator, session, tx_hash, **ticket):
    return investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, **ticket))


def send_eth(w3: Web3, to: str, wei: int, sender: int = 1) -> str:
    return _hex(
        w3.eth.send_transaction({"from": w3.eth.accounts[sender], "to": Web3.to_checksum_address(to), "value": wei})
    )


def test_native_eth_to_a_deposit_address_confirms_then_reconciles(node, w3, investigator, session, http_requests):
    tx_hash = send_eth(w3, OURS, 5 * 10**16)
    record = run(investigator, session, tx_hash, player_ref="p-1")
    assert record.code == "confirming" and record.evidence["confirmations"] == "1/12"
    # One batched round trip per lookup: both providers asked at once, one request each.
    assert sorted(http_requests.values()) == [1, 1]
    node.rpc("anvil_mine", hex(11))
    record = run(investigator, session, tx_hash, player_ref="p-1")
    assert record.code == "confirmed_not_credited" and record.evidence["paid"][0]["amount"] == "0.05"
    add_deposit_on(session, "eth", tx_hash, OURS, "ETH", "0.05", "p-1")
    assert run(investigator, session, tx_hash).code == "credited"
    add_deposit_on(session, "eth", tx_hash, OURS, "ETH", "0.04", "p-1")
    assert run(investigator, session, tx_hash).code == "amount_mismatch"


def test_confirming_counts_n_of_m(node, w3, investigator, session):
    tx_hash = send_eth(w3, OURS, 10**17)
    node.rpc("anvil_mine", hex(4))
    record = run(investigator, session, tx_hash)
    assert record.code == "confirming" and record.evidence["confirmations"] == "5/12"
    assert "5 of 12 confirmations" in record.verdict["player_message"]["en"]


def test_pending_with_automine_off_then_mined(node, w3, investigator, session):
    node.rpc("evm_setAutomine", False)
    tx_hash = send_eth(w3, OURS, 10**17)
    record = run(investigator, session, tx_hash, address=OURS)
    assert record.code == "pending" and not record.final
    node.rpc("evm_mine")
    assert run(investigator, session, tx_hash).evidence["confirmations"] == "1/12"


def test_configured_erc20_paying_our_address(node, w3, contracts, eth_settings, session, http_requests):
    token = deploy(w3, contracts, "TestToken", "Test Dollar", "TUSD", 6)
    investigator = build_investigator(
        eth_settings.model_copy(
            update={
                "eth_tokens": [Asset("TUSD", Chain.ETH, 6, token.address.lower())],
                "min_deposits": {"TUSD": 10_000_000},
            }
        )
    )
    sender = w3.eth.accounts[2]
    token.functions.mint(sender, 1_000 * 10**6).transact({"from": sender})
    tx_hash = _hex(token.functions.transfer(Web3.to_checksum_address(OURS), 250 * 10**6).transact({"from": sender}))
    node.rpc("anvil_mine", hex(12))
    record = run(investigator, session, tx_hash, address=sender, player_ref="p-1")
    assert record.code == "confirmed_not_credited"
    assert record.evidence["ticket_address"]["role"] == "sender"
    assert record.evidence["paid"][0] | {"outputs": None} == {
        "address": OURS,
        "player_ref": "p-1",
        "asset": "TUSD",
        "accepted": True,
        "amount": "250",
        "outputs": None,
        "ledger_credited": None,
        "below_minimum": False,
    }
    small = _hex(token.functions.transfer(Web3.to_checksum_address(OURS), 5 * 10**6).transact({"from": sender}))
    node.rpc("anvil_mine", hex(12))
    assert run(investigator, session, small).code == "below_minimum"


def test_erc20_not_in_the_token_list_is_unsupported_asset(node, w3, contracts, investigator, session):
    token = deploy(w3, contracts, "TestToken", "Scam Dollar", "USDT", 6)  # same symbol, other contract
    sender = w3.eth.accounts[3]
    token.functions.mint(sender, 10**9).transact({"from": sender})
    tx_hash = _hex(token.functions.transfer(Web3.to_checksum_address(OURS), 10**8).transact({"from": sender}))
    node.rpc("anvil_mine", hex(12))
    record = run(investigator, session, tx_hash)
    assert record.code == "unsupported_asset" and record.final
    assert f"erc20:{token.address.lower()}" in record.verdict["summary"]


def test_reverted_transfer_mined_with_status_0_is_failed(node, w3, contracts, investigator, session):
    token = deploy(w3, contracts, "TestToken", "Test Dollar", "TUSD", 6)
    sender = w3.eth.accounts[4]  # holds no tokens: the transfer reverts
    tx_hash = _hex(
        token.functions.transfer(Web3.to_checksum_address(OURS), 250 * 10**6).transact({"from": sender, "gas": 100_000})
    )
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 0
    node.rpc("anvil_mine", hex(12))
    record = run(investigator, session, tx_hash, address=OURS)
    assert record.code == "failed" and record.final
    assert record.evidence["outputs"][0]["kind"] == "intended"


def test_eth_forwarded_by_a_contract_is_found_through_a_trace(
    node, w3, contracts, investigator, session, http_requests
):
    forwarder = deploy(w3, contracts, "Forwarder")
    tx_hash = _hex(
        forwarder.functions.forward(Web3.to_checksum_address(OURS)).transact(
            {"from": w3.eth.accounts[5], "value": 3 * 10**16}
        )
    )
    node.rpc("anvil_mine", hex(12))
    http_requests.clear()
    record = run(investigator, session, tx_hash, player_ref="p-1")
    assert record.code == "confirmed_not_credited"
    assert [o["kind"] for o in record.evidence["outputs"] if o["ours"]] == ["internal"]
    assert record.evidence["paid"][0]["amount"] == "0.03"
    assert sum(http_requests.values()) == 3  # the lookup batch (to each provider) and one trace batch


def test_plain_eth_sent_to_a_contract_that_forwards_it_is_traced(node, w3, contracts, investigator, session):
    # No calldata: only the gas its receive() burned says code ran and may have moved the value on.
    wallet = deploy(w3, contracts, "ForwardingWallet", Web3.to_checksum_address(OURS))
    tx_hash = send_eth(w3, wallet.address, 4 * 10**16, sender=6)
    assert w3.eth.get_transaction(tx_hash)["input"] in (b"", "0x")
    node.rpc("anvil_mine", hex(12))
    record = run(investigator, session, tx_hash, player_ref="p-1")
    assert record.code == "confirmed_not_credited"
    assert [o["kind"] for o in record.evidence["outputs"] if o["ours"]] == ["internal"]
    assert record.evidence["paid"][0]["amount"] == "0.04"


def test_a_reorg_that_removes_the_tx_is_reorged_with_its_history(node, w3, investigator, session):
    tx_hash = send_eth(w3, OURS, 10**17)
    first = run(investigator, session, tx_hash)
    assert first.code == "confirming"
    block = first.evidence["tx"]["block_height"]
    node.rpc("anvil_reorg", 1, [])
    record = run(investigator, session, tx_hash)
    assert record.code == "reorged" and not record.final
    assert f"was confirmed in block {block}" in record.verdict["summary"]
    assert [h["status"] for h in record.evidence["history"]] == ["confirmed", "reorged"]
    assert "reorganisation" in record.verdict["player_message"]["en"]


def test_a_reorg_that_moves_the_tx_reports_the_new_block(node, w3, investigator, session):
    tx_hash = send_eth(w3, OURS, 10**17)
    before = run(investigator, session, tx_hash).evidence["tx"]
    tx = node.rpc("eth_getTransactionByHash", tx_hash)
    node.rpc("anvil_mine", hex(2))
    request = {k: tx[k] for k in ("from", "to", "value", "nonce", "gas", "maxFeePerGas", "maxPriorityFeePerGas")}
    node.rpc("anvil_reorg", 3, [[request, 1]])
    after = run(investigator, session, tx_hash).evidence["tx"]
    assert after["block_height"] == before["block_height"] + 1
    assert after["block_hash"] != before["block_hash"]
    assert after["confirmations"] == 2


def test_a_dropped_tx_is_dropped_once_the_grace_has_passed(node, w3, investigator, session):
    node.rpc("evm_setAutomine", False)
    tx_hash = send_eth(w3, OURS, 10**17)
    assert run(investigator, session, tx_hash).code == "pending"
    node.rpc("anvil_dropTransaction", tx_hash)
    assert run(investigator, session, tx_hash).code == "not_found"  # mempools differ: not yet
    investigator.clock = lambda: utcnow() + timedelta(minutes=11)
    record = run(investigator, session, tx_hash)
    assert record.code == "dropped" and record.final
    assert [h["status"] for h in record.evidence["history"]] == ["mempool", "dropped"]


def test_paying_another_players_address_on_ethereum(node, w3, investigator, session):
    tx_hash = send_eth(w3, OTHER_PLAYERS, 10**17)
    node.rpc("anvil_mine", hex(12))
    assert run(investigator, session, tx_hash, player_ref="p-1").code == "other_player_address"
    assert run(investigator, session, tx_hash, address="0x" + "99" * 20).code == "address_mismatch"
    stranger = send_eth(w3, "0x" + "98" * 20, 10**17)
    node.rpc("anvil_mine", hex(12))
    assert run(investigator, session, stranger).code == "not_our_address"


def test_ethereum_verdict_through_the_api(node, w3, eth_settings, sqlite_engine):
    app = create_app(eth_settings, engine=sqlite_engine)
    with Session(sqlite_engine) as session:
        _agent, token = add_agent(session, "alice")
    tx_hash = send_eth(w3, OURS, 7 * 10**16)
    node.rpc("anvil_mine", hex(11))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        client.put(
            "/api/deposit-addresses",
            json=[{"chain": "eth", "address": Web3.to_checksum_address(OURS), "player_ref": "p-1"}],
        ).raise_for_status()
        body = client.post("/api/investigations", json={"tx_hash": tx_hash, "address": OURS}).json()
    assert body["chain"] == "eth" and body["verdict"]["code"] == "confirmed_not_credited"
    assert body["evidence"]["paid"][0]["amount"] == "0.07"


def test_ethereum_verdict_through_the_cli(node, w3, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("ETH_PROVIDERS", f"{node.url},{node.url.replace('127.0.0.1', 'localhost')}")
    (tmp_path / "addresses.json").write_text(json.dumps([{"chain": "eth", "address": OURS, "player_ref": "p-1"}]))
    runner = CliRunner()
    assert runner.invoke(main, ["ledger", "import", str(tmp_path / "addresses.json")]).exit_code == 0
    tx_hash = send_eth(w3, OURS, 10**17)
    result = runner.invoke(main, ["check", tx_hash, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"]["code"] == "confirming"
    text = runner.invoke(main, ["check", tx_hash, "--lang", "de"]).output
    assert "CONFIRMING" in text and "Bestätigungen" in text
