"""Deposits on several EVM networks against real nodes: anvil with chain ids 1, 56 and 8453, each
with its own USDT (18 decimals on the chain-56 one, as on BSC)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from web3 import Web3

from app.finance.auditor import Auditor, finding_json
from app.finance.views import totals
from app.helpdesks.note_text import network_tags, verdict_note
from app.main import create_app
from app.players.routes import view
from app.runtime.accounts import add_agent, hash_password
from app.wiring import build_block_sources, build_investigator
from chains.assets import Asset
from chains.base import Chain, ChainError
from investigations.audit.models import Finding
from investigations.audit.reconcile import Reconciler
from investigations.dossier import build as build_dossier
from investigations.ledger import LedgerDepositRecord, upsert_deposits
from investigations.search import SearchQuery, search
from investigations.service import InvestigationRequest
from investigations.types import utcnow
from tests.conftest import require
from tests.support.anvil import ANVIL, SOLC, Anvil, compile_contracts
from tests.support.ledger import add_addresses_on
from tests.support.web import PASSWORD, _csrf

pytestmark = pytest.mark.anvil
OURS = "0x" + "d0" * 20


@pytest.fixture(scope="module")
def nodes() -> Iterator[dict[int, Anvil]]:
    require(ANVIL.exists(), f"anvil not installed at {ANVIL}: run `npm ci`")
    started = {chain_id: Anvil.start(chain_id=chain_id) for chain_id in (1, 56, 8453)}
    yield started
    for node in started.values():
        node.stop()


@pytest.fixture(scope="module")
def usdt(nodes) -> dict[int, Web3]:
    require(SOLC.exists(), "the solc compiler is not installed: run `npm ci`")
    contract = compile_contracts()["TestToken"]
    deployed = {}
    for chain_id, node in nodes.items():
        w3 = Web3(Web3.HTTPProvider(node.url))
        factory = w3.eth.contract(abi=contract["abi"], bytecode=contract["bytecode"])
        tx = factory.constructor("Tether USD", "USDT", 18 if chain_id == 56 else 6).transact(
            {"from": w3.eth.accounts[0]}
        )
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        deployed[chain_id] = w3.eth.contract(address=address, abi=contract["abi"])
    return deployed


@pytest.fixture
def networks_env(nodes, usdt, monkeypatch):
    monkeypatch.setenv("BSC_TOKENS", f"USDT={usdt[56].address}:18")
    monkeypatch.setenv("BASE_TOKENS", f"USDT={usdt[8453].address}:6")
    monkeypatch.delenv("BSC_PROVIDERS", raising=False)
    monkeypatch.delenv("BASE_PROVIDERS", raising=False)


def _settings(settings, nodes, bsc_url: str):
    node1 = nodes[1].url
    return settings.model_copy(
        update={
            "eth_providers": [node1, node1.replace("127.0.0.1", "localhost")],
            "evm_networks": {"bsc": bsc_url, "base": nodes[8453].url},
        }
    )


def _pay_on(usdt, chain_id: int, to: str, amount: int) -> str:
    contract = usdt[chain_id]
    tx = contract.functions.mint(Web3.to_checksum_address(to), amount).transact({"from": contract.w3.eth.accounts[0]})
    contract.w3.eth.wait_for_transaction_receipt(tx)
    return "0x" + bytes(tx).hex()


def test_usdt_on_bsc_to_an_address_issued_for_ethereum_is_wrong_network_naming_both(
    nodes, usdt, networks_env, settings, session
):
    add_addresses_on(session, "eth", (OURS, "p-1"))
    tx_hash = _pay_on(usdt, 56, OURS, 25 * 10**18)
    investigator = build_investigator(_settings(settings, nodes, nodes[56].url))
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, player_ref="p-1"))
    assert record.code == "wrong_network"
    summary = record.verdict["summary"]
    assert "Sent on BSC" in summary and "issued for Ethereum" in summary
    assert f"25 USDT to {OURS}" in summary  # 18 decimals read as 18: not 25 000 000 000 000 USDT
    assert "treasury" in record.verdict["action"] and "same key" in record.verdict["action"]
    assert record.evidence["found_on"]["chain_id"] == 56
    assert record.evidence["found_on"]["explorer"] == f"https://bscscan.com/tx/{tx_hash}"
    # the player is told both networks, in every language
    replies = record.verdict["player_message"]
    assert "BSC network instead of Ethereum" in replies["en"]
    assert "Netzwerk BSC statt Ethereum" in replies["de"] and "сети BSC вместо Ethereum" in replies["ru"]
    # the ticket note and tags name where it was paid
    note = verdict_note(record, "https://desk.test/s/x", "en")
    assert "Paid on: bsc (chain id 56), address issued for eth" in note
    assert f"Explorer (bsc): https://bscscan.com/tx/{tx_hash}" in note
    assert network_tags(record) == ["deposit-network-bsc", "deposit-paid-on-bsc"]


def test_a_bsc_provider_serving_another_chain_never_gives_a_verdict(nodes, usdt, networks_env, settings, session):
    add_addresses_on(session, "eth", (OURS, "p-1"))
    tx_hash = _pay_on(usdt, 8453, OURS, 5 * 10**6)
    # Base's node configured as BSC's provider: its answer must not be used as BSC's
    investigator = build_investigator(
        _settings(settings, nodes, nodes[8453].url).model_copy(update={"evm_networks": {"bsc": nodes[8453].url}})
    )
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, player_ref="p-1"))
    assert record.code != "wrong_network"
    details = " ".join(str(a) for a in record.evidence["providers"])
    assert "serves chain id 8453 (Base), not BSC's 56" in details


def test_usdt_on_base_is_found_as_base(nodes, usdt, networks_env, settings, session):
    add_addresses_on(session, "eth", (OURS, "p-1"))
    tx_hash = _pay_on(usdt, 8453, OURS, 7_500_000)
    investigator = build_investigator(_settings(settings, nodes, nodes[56].url))
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, player_ref="p-1"))
    assert record.code == "wrong_network"
    assert "Sent on Base" in record.verdict["summary"] and "7.5 USDT" in record.verdict["summary"]


# ---- addresses issued for BSC and Base: deposits on those networks (issue 23) --------------------

THEIRS = "0x" + "d1" * 20


def _book(session, assets, chain: str, tx_hash: str, to: str, amount: str, player: str) -> None:
    record = LedgerDepositRecord(
        chain=chain, tx_hash=tx_hash, address=to, asset="USDT", amount=amount, status="credited", player_ref=player
    )
    upsert_deposits(session, [record], assets)
    session.commit()


def test_usdt_on_bsc_to_an_address_issued_for_bsc_is_credited_with_bsc_decimals(
    nodes, usdt, networks_env, settings, session
):
    configured = _settings(settings, nodes, nodes[56].url)
    add_addresses_on(session, "bsc", (THEIRS, "p-2"))
    tx_hash = _pay_on(usdt, 56, THEIRS, 25 * 10**18)
    nodes[56].rpc("anvil_mine", hex(20))  # BSC's 15 confirmations
    investigator = build_investigator(configured)
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, player_ref="p-2"))
    assert (record.code, record.chain) == ("confirmed_not_credited", "bsc")
    assert record.evidence["paid"][0]["amount"] == "25"  # 25 * 10^18 base units read as BSC's 18 decimals
    assert record.evidence["finality"] == {"network": "bsc", "rule": "15 confirmations on BSC"}
    assert record.evidence["explorer_url"] == f"https://bscscan.com/tx/{tx_hash}"
    links = record.evidence["explorer_links"]
    assert links["addresses"] == [f"https://bscscan.com/address/{THEIRS}"]
    assert links["tokens"] == [f"https://bscscan.com/token/{usdt[56].address.lower()}?a={THEIRS}"]
    # the player's status page and replies name the network, in every language
    for lang in ("en", "de", "ru"):
        page = view(record, lang)
        assert page["network"] == "BNB Smart Chain (BSC)" and page["amount"] == "25"
        assert "25 USDT (BSC)" in page["message"]
    note = verdict_note(record, "https://desk.test/s/x", "en")
    assert f"Transaction: BSC {tx_hash}" in note and "Final after: 15 confirmations on BSC" in note
    assert network_tags(record) == ["deposit-network-bsc"]
    dossier = build_dossier(session, record, investigator.policy, now=utcnow(), service="test")
    assert f"https://bscscan.com/address/{THEIRS}" in dossier["explorer_links"]
    # the casino's back office books it on BSC, in BSC's own decimals: then it is credited
    _book(session, configured.assets, "bsc", tx_hash, THEIRS, "25", "p-2")
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, player_ref="p-2"))
    assert record.code == "credited" and record.final


def test_a_ledger_row_in_ethereum_decimals_on_bsc_is_an_amount_mismatch(nodes, usdt, networks_env, settings, session):
    configured = _settings(settings, nodes, nodes[56].url)
    add_addresses_on(session, "bsc", (THEIRS, "p-2"))
    tx_hash = _pay_on(usdt, 56, THEIRS, 25 * 10**6)  # 25 USDT "in 6 decimals" sent on BSC: 0.000000000025 USDT
    nodes[56].rpc("anvil_mine", hex(20))
    _book(session, configured.assets, "bsc", tx_hash, THEIRS, "25", "p-2")
    record = build_investigator(configured).investigate(session, InvestigationRequest(tx_hash=tx_hash))
    assert record.code == "amount_mismatch"
    assert "chain 0.000000000025 USDT, ledger 25 USDT" in record.verdict["summary"]


def test_an_address_issued_for_base_waits_for_the_finalized_tag_and_says_so(
    nodes, usdt, networks_env, settings, session
):
    configured = _settings(settings, nodes, nodes[56].url)
    add_addresses_on(session, "base", (THEIRS, "p-3"))
    tx_hash = _pay_on(usdt, 8453, THEIRS, 75_500_000)
    investigator = build_investigator(configured)
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, player_ref="p-3"))
    assert (record.code, record.chain) == ("confirming", "base")
    assert "on Base" in record.verdict["summary"] and "'finalized' block tag of Base" in record.verdict["summary"]
    nodes[8453].rpc("anvil_mine", hex(70))  # anvil finalizes 64 blocks behind its head
    record = investigator.recheck(session, record)
    assert record.code == "confirmed_not_credited"
    assert record.evidence["paid"][0]["amount"] == "75.5"
    assert record.evidence["finality"]["rule"].startswith("the 'finalized' block tag of Base")


def test_the_same_address_issued_for_ethereum_and_bsc_is_an_ordinary_deposit_on_bsc(
    nodes, usdt, networks_env, settings, session
):
    add_addresses_on(session, "eth", (THEIRS, "p-4"))
    add_addresses_on(session, "bsc", (THEIRS, "p-4"))
    tx_hash = _pay_on(usdt, 56, THEIRS, 30 * 10**18)
    investigator = build_investigator(_settings(settings, nodes, nodes[56].url))
    record = investigator.investigate(session, InvestigationRequest(tx_hash=tx_hash, chain="eth"))
    assert record.chain == "bsc" and record.code in ("confirming", "confirmed_not_credited")
    assert record.code != "wrong_network"


def test_the_no_hash_search_finds_a_players_payment_on_bsc(nodes, usdt, networks_env, settings, session):
    player = "p-search"
    on_bsc, on_eth = "0x" + "d2" * 20, "0x" + "d3" * 20
    add_addresses_on(session, "bsc", (on_bsc, player))
    add_addresses_on(session, "eth", (on_eth, player))
    tx_hash = _pay_on(usdt, 56, on_bsc, 40 * 10**18)
    investigator = build_investigator(_settings(settings, nodes, nodes[56].url))
    result = search(session, investigator, SearchQuery(player_ref=player, asset="USDT", amount="40"))
    assert {"bsc", "eth"} <= set(result.searched) and "token" in result.searched["bsc"]
    found = [c for c in result.candidates if c.tx_hash == tx_hash]
    assert len(found) == 1 and found[0].chain == "bsc"
    assert found[0].code in ("confirming", "confirmed_not_credited")
    assert found[0].evidence["paid"][0]["amount"] == "40"
    # an address given instead of a player: its rows on every EVM network are searched
    by_address = search(session, investigator, SearchQuery(address=on_bsc))
    assert [c.tx_hash for c in by_address.candidates] == [tx_hash]
    # the player's Ethereum address paid on Base: found by the search, and it is wrong_network
    misdirected = _pay_on(usdt, 8453, on_eth, 50 * 10**6)
    again = search(session, investigator, SearchQuery(player_ref=player))
    assert {"bsc", "eth", "base"} <= set(again.searched)
    (wrong,) = [c for c in again.candidates if c.tx_hash == misdirected]
    assert (wrong.chain, wrong.code) == ("base", "wrong_network")
    assert "Sent on Base, but the address was issued for Ethereum: 50 USDT" in wrong.verdict["summary"]


class _Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self):
        return utcnow() + self.offset


def test_the_auditor_follows_bsc_and_finds_an_uncredited_usdt_payment_there(
    nodes, usdt, networks_env, settings, engine
):
    configured = _settings(settings, nodes, nodes[56].url)
    player, address, on_eth = "p-audit", "0x" + "d4" * 20, "0x" + "d8" * 20
    with Session(engine) as session:
        add_addresses_on(session, "bsc", (address, player))
        add_addresses_on(session, "eth", (on_eth, "p-audit-eth"))
    sources = build_block_sources(configured)
    assert {Chain.ETH, Chain.BSC, Chain.BASE} <= set(sources)
    clock = _Clock()
    start = int(nodes[56].rpc("eth_blockNumber"), 16) + 1
    auditor = Auditor(
        engine,
        {Chain.BSC: sources[Chain.BSC]},  # the BSC follower alone (the others have their own tests)
        Reconciler(build_investigator(configured), grace=timedelta(minutes=30), clock=clock),
        start_heights={Chain.BSC: start},
        clock=clock,
    )
    tx_hash = _pay_on(usdt, 56, address, 12 * 10**18)
    misdirected = _pay_on(usdt, 56, on_eth, 30 * 10**18)  # on BSC, to an address issued for Ethereum
    nodes[56].rpc("anvil_mine", hex(16))
    auditor.round()
    clock.offset = timedelta(minutes=31)
    auditor.round()
    with Session(engine) as session:
        (finding,) = session.exec(select(Finding).where(Finding.player_ref == player)).all()
        assert (finding.chain, finding.tx_hash, finding.asset) == ("bsc", tx_hash, "USDT")
        assert finding.code == "confirmed_not_credited"
        assert finding_json(finding, configured.assets)["amount"] == "12"
        assert totals([finding], auditor.reconciler.investigator) == {"USDT@bsc": "12"}
        # the BSC follower also sees the payment to the Ethereum address: a wrong_network finding
        (wrong,) = session.exec(select(Finding).where(Finding.player_ref == "p-audit-eth")).all()
        assert (wrong.chain, wrong.tx_hash, wrong.code) == ("bsc", misdirected, "wrong_network")
        assert "Sent on BSC, but the address was issued for Ethereum: 30 USDT" in wrong.summary


def test_usdt_on_ethereum_to_an_address_issued_for_bsc_is_wrong_network_the_other_way(
    nodes, usdt, networks_env, settings, session
):
    add_addresses_on(session, "bsc", ("0x" + "d5" * 20, "p-6"))
    tx_hash = _pay_on(usdt, 1, "0x" + "d5" * 20, 20 * 10**6)  # Ethereum's test USDT: 6 decimals
    configured = _settings(settings, nodes, nodes[56].url)
    configured = configured.model_copy(update={"eth_tokens": [Asset("USDT", Chain.ETH, 6, usdt[1].address.lower())]})
    record = build_investigator(configured).investigate(session, InvestigationRequest(tx_hash=tx_hash))
    assert (record.code, record.chain) == ("wrong_network", "eth")
    assert "Sent on Ethereum, but the address was issued for BSC: 20 USDT" in record.verdict["summary"]
    assert "instead of BSC" in record.verdict["player_message"]["en"]
    assert record.evidence["found_on"]["explorer"] == f"https://etherscan.io/tx/{tx_hash}"


def test_the_api_and_the_verdict_card_name_the_network(nodes, usdt, networks_env, settings, engine):
    configured = _settings(settings, nodes, nodes[56].url)
    with Session(engine) as session:
        add_addresses_on(session, "eth", ("0x" + "d6" * 20, "p-7"))
        _agent, token = add_agent(session, "alice", password_hash=hash_password(PASSWORD))
    tx_hash = _pay_on(usdt, 56, "0x" + "d6" * 20, 15 * 10**18)
    with TestClient(create_app(configured, engine=engine)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        answer = client.post("/api/investigations", json={"tx_hash": tx_hash, "player_ref": "p-7"})
        assert answer.status_code in (200, 201), answer.text
        body = answer.json()
        assert body["chain"] == "bsc" and body["verdict"]["code"] == "wrong_network"
        del client.headers["Authorization"]
        login = client.get("/login")
        client.post("/login", data={"csrf": _csrf(login.text), "name": "alice", "password": PASSWORD})
        card = client.get(f"/investigations/{body['id']}")
        assert card.status_code == 200
        assert "Sent on</dt><dd>bsc (address issued for eth)" in card.text
        assert f'href="https://bscscan.com/tx/{tx_hash}"' in card.text


def test_bnb_sent_directly_forwarded_by_a_contract_and_a_reverted_transfer_on_bsc(
    nodes, usdt, networks_env, settings, session
):
    w3 = usdt[56].w3
    to = "0x" + "d7" * 20
    add_addresses_on(session, "bsc", (to, "p-8"))
    sender = w3.eth.accounts[3]
    direct = w3.eth.send_transaction({"from": sender, "to": Web3.to_checksum_address(to), "value": 5 * 10**16})
    contract = compile_contracts()["Forwarder"]
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.contract(abi=contract["abi"], bytecode=contract["bytecode"]).constructor().transact({"from": sender})
    )
    forwarder = w3.eth.contract(address=receipt["contractAddress"], abi=contract["abi"])
    forwarded = forwarder.functions.forward(Web3.to_checksum_address(to)).transact(
        {"from": sender, "value": 3 * 10**16}
    )
    reverted = (
        usdt[56].functions.transfer(Web3.to_checksum_address(to), 10**30).transact({"from": sender, "gas": 100_000})
    )
    nodes[56].rpc("anvil_mine", hex(20))
    investigator = build_investigator(_settings(settings, nodes, nodes[56].url))

    def check(tx) -> object:
        return investigator.investigate(session, InvestigationRequest(tx_hash="0x" + bytes(tx).hex()))

    native = check(direct)
    assert (native.chain, native.code) == ("bsc", "confirmed_not_credited")
    assert native.evidence["paid"][0]["asset"] == "BNB" and native.evidence["paid"][0]["amount"] == "0.05"
    internal = check(forwarded)  # anvil traces calls: the BNB the contract passed on is found
    assert (internal.chain, internal.code) == ("bsc", "confirmed_not_credited")
    assert internal.evidence["paid"][0]["amount"] == "0.03"
    failed = check(reverted)
    assert (failed.chain, failed.code) == ("bsc", "failed")


def test_the_bsc_follower_refuses_blocks_from_a_node_of_another_chain(nodes, usdt, networks_env, settings):
    wrong = _settings(settings, nodes, nodes[8453].url)  # Base's node configured as BSC's provider
    reader = build_block_sources(wrong)[Chain.BSC]
    with pytest.raises(ChainError, match="serves chain id 8453 \\(Base\\), not BSC's 56"):
        reader.tip_height()
    assert build_block_sources(_settings(settings, nodes, nodes[56].url))[Chain.BSC].tip_height() >= 0
