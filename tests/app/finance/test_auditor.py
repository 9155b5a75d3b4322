"""The auditor's machinery: a signed callback per new finding, Prometheus gauges, the lease on SQLite,
and an Ethereum provider that cannot trace saying so."""

from __future__ import annotations

import json
from datetime import timedelta

from bitcoin.core import b2lx
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.finance.auditor import Auditor
from app.helpdesks.clients.signatures import standard
from app.main import create_app
from app.runtime.workers import Worker
from app.wiring import build_auditor, build_block_sources, build_investigator
from chains.base import Chain
from chains.ethereum.blocks import UNTRACED
from investigations.audit import cursors
from investigations.types import utcnow
from tests.conftest import ETH_PROVIDERS, PROVIDERS
from tests.support.bitcoin_blocks import BitcoinChain, payment
from tests.support.ledger import add_addresses, add_addresses_on, address

OURS = address("auditor-p-1")
SECRET = "whsec_" + "c2VjcmV0LWtleQ=="
CALLBACK = "https://backoffice.example/findings"


def _btc(http_mock, chain) -> BitcoinChain:
    world = BitcoinChain(890_000, chain)
    for spec in PROVIDERS:
        world.serve_esplora(http_mock, spec.partition(":")[2])
    world.mine()
    return world


def test_a_new_finding_is_posted_signed_to_the_callback_and_counted(http_mock, chain, settings, sqlite_engine):
    received = []
    http_mock.add_callback("POST", CALLBACK, callback=lambda request: received.append(request) or (200, {}, ""))
    btc = _btc(http_mock, chain)
    with Session(sqlite_engine) as session:
        add_addresses(session, (OURS, "p-1"))
    configured = settings.model_copy(
        update={"audit_callback_url": CALLBACK, "audit_callback_secret": SECRET, "audit_grace_minutes": 0,
                "audit_btc_start_height": 890_001, "audit_chains": [Chain.BTC], "metrics_allow_ips": ["testclient"]}
    )  # fmt: skip
    auditor = build_auditor(configured, sqlite_engine, build_investigator(configured))
    tx = payment([(OURS, 2_000_000)])
    btc.mine(tx)
    btc.mine()
    auditor.round()
    Worker(sqlite_engine, auditor.handlers()).run_once()
    [request] = received
    assert standard([SECRET], request.headers["webhook-id"], request.headers["webhook-timestamp"],
                    request.headers["webhook-signature"], request.body, utcnow())  # fmt: skip
    body = json.loads(request.body)
    assert body["type"] == "finding.opened"
    assert body["finding"] | {"id": None, "found_at": None, "investigation_id": None} == {
        "id": None, "chain": "btc", "tx_hash": b2lx(tx.GetTxid()), "block_height": 890_001, "address": OURS,
        "player_ref": "p-1", "asset": "BTC", "amount": "0.02", "code": "confirmed_not_credited", "status": "open",
        "found_at": None, "investigation_id": None,
    }  # fmt: skip
    app = create_app(configured, engine=sqlite_engine)
    with TestClient(app) as client:
        metrics = client.get("/metrics").text
    assert 'depositdesk_audit_open_findings{code="confirmed_not_credited"} 1.0' in metrics
    assert 'depositdesk_audit_follower_lag_blocks{chain="btc"} 0.0' in metrics
    assert 'depositdesk_audit_blocks_scanned_total{chain="btc"}' in metrics


def test_the_lease_lets_one_owner_follow_until_it_runs_out(sqlite_engine):
    now = utcnow()
    with Session(sqlite_engine) as session:
        assert cursors.acquire(session, Chain.BTC, "a", now=now, lease=timedelta(seconds=30))
        assert not cursors.acquire(
            session, Chain.BTC, "b", now=now + timedelta(seconds=29), lease=timedelta(seconds=30)
        )
        assert cursors.acquire(session, Chain.BTC, "a", now=now + timedelta(seconds=29), lease=timedelta(seconds=30))
        assert cursors.acquire(session, Chain.BTC, "b", now=now + timedelta(seconds=60), lease=timedelta(seconds=30))
        try:
            cursors.move(session, Chain.BTC, "a", now=now + timedelta(seconds=61), height=5)
        except cursors.LeaseLost:
            pass
        else:
            raise AssertionError("a process that lost the lease moved the cursor")


def _eth_block(number: int) -> dict:
    return {
        "number": hex(number), "hash": "0x" + f"{number:064x}", "parentHash": "0x" + f"{number - 1:064x}",
        "timestamp": hex(1_763_000_000 + number),
        "transactions": [{"hash": "0x" + "ab" * 32, "from": "0x" + "11" * 20, "to": "0x" + "c1" * 20,
                          "value": hex(10**17), "input": "0x"}],
    }  # fmt: skip


def test_an_ethereum_provider_that_cannot_trace_says_internal_transfers_are_not_covered(
    http_mock, settings, sqlite_engine
):
    asked, tip = [], [100]

    def rpc(request):
        calls = json.loads(request.body)
        asked.append([c["method"] for c in calls])
        answers = []
        for call in calls:
            answer = {"jsonrpc": "2.0", "id": call["id"]}
            if call["method"] == "eth_getBlockByNumber":
                answer["result"] = _eth_block(int(call["params"][0], 16))
            elif call["method"] == "eth_getLogs":
                answer["result"] = []
            elif call["method"] == "eth_blockNumber":
                answer["result"] = hex(tip[0])
            else:
                answer["error"] = {"code": -32601, "message": "the method does not exist/is not available"}
            answers.append(answer)
        return 200, {"Content-Type": "application/json"}, json.dumps(answers)

    http_mock.add_callback("POST", ETH_PROVIDERS[0], callback=rpc)
    configured = settings.model_copy(update={"eth_providers": ETH_PROVIDERS[:1]})
    sources = build_block_sources(configured)
    with Session(sqlite_engine) as session:
        add_addresses_on(session, "eth", ("0x" + "c1" * 20, "p-1"))
    auditor = Auditor(sqlite_engine, {Chain.ETH: sources[Chain.ETH]}, reconciler=None,  # type: ignore[arg-type]
                      start_heights={Chain.ETH: 97})  # fmt: skip
    with Session(sqlite_engine) as session:
        assert cursors.acquire(session, Chain.ETH, auditor.owner, now=utcnow(), lease=timedelta(seconds=30))
        step = auditor.follower(Chain.ETH).step(session)
        assert step.scanned == 4 and step.matched == 4
        assert cursors.cursor(session, Chain.ETH).uncovered == UNTRACED
        probe = asked[-1]
        tip[0] = 102
        assert auditor.follower(Chain.ETH).step(session).scanned == 2
    # Learned once: later batches no longer ask for traces the provider does not have.
    assert "trace_block" in probe and "debug_traceBlockByNumber" in probe
    assert asked[-1] == ["eth_getBlockByNumber", "eth_getBlockByNumber", "eth_getLogs"]


def test_following_renews_the_lease_block_by_block(http_mock, chain, settings, sqlite_engine):
    btc = _btc(http_mock, chain)
    for _ in range(3):
        btc.mine()
    now = utcnow()
    later = now + timedelta(seconds=9)
    auditor = Auditor(sqlite_engine, {Chain.BTC: build_block_sources(settings)[Chain.BTC]}, reconciler=None,  # type: ignore[arg-type]
                      lease=timedelta(seconds=10), start_heights={Chain.BTC: 890_001}, clock=lambda: later)  # fmt: skip
    with Session(sqlite_engine) as session:
        assert cursors.acquire(session, Chain.BTC, auditor.owner, now=now, lease=timedelta(seconds=10))
        assert auditor.follower(Chain.BTC).step(session).scanned == 3
        assert cursors.cursor(session, Chain.BTC).lease_until == later + timedelta(seconds=10)


def test_the_followers_tip_is_shared_with_the_lookups(http_mock, chain, settings, sqlite_engine):
    btc = _btc(http_mock, chain)
    configured = settings.model_copy(
        update={"audit_chains": [Chain.BTC], "audit_btc_start_height": 890_001, "btc_tip_max_age_seconds": 60}
    )
    investigator = build_investigator(configured)
    auditor = build_auditor(configured, sqlite_engine, investigator)
    btc.mine()
    auditor.round()
    assert investigator.pools[Chain.BTC].tips.fresh() == btc.tip
