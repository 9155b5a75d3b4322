"""The no-hash search judges what its listing already describes: Ethereum Transfer logs and
Otterscan txs with their receipts, Esplora pages. Each candidate's verdict is the one a lookup of
that candidate alone gives (deep, confirming, below the minimum, an asset the address does not
take, reverted, credited), and the requests are the listing's plus, for what the listing could not
settle, one batch. Requests are counted; the order of answers is held with barriers, never timed."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.runtime.db import make_engine, migrate
from app.wiring import build_investigator
from chains.assets import DEFAULT_ASSETS
from chains.ethereum.rpc_history import TRANSFER_TOPIC, padded
from investigations.search import SearchQuery, search
from investigations.service import InvestigationRequest
from tests.conftest import ETH_PROVIDERS, PROVIDERS
from tests.support.esplora import EsploraWorld
from tests.support.evm import EvmWorld
from tests.support.ledger import add_addresses, add_addresses_on, add_deposit_on, address

HEAD = 20_000_000
OURS, USDT_ONLY, SENDER = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "77" * 20
USDT, USDC = DEFAULT_ASSETS.get("USDT").contract, DEFAULT_ASSETS.get("USDC").contract  # type: ignore[union-attr]
LOOKUP_METHODS = {"eth_getTransactionByHash", "eth_getTransactionReceipt"}


class ListingWorld(EvmWorld):
    """An EVM world that also lists: Transfer logs from its receipts, Otterscan pages from its txs
    (with their receipts, or without when `ots_receipts` is off), blocks 12 s apart up to the head."""

    def __init__(self, now: int) -> None:
        super().__init__(head=HEAD, finalized=HEAD - 64)
        self.now = now
        self.block_seconds = 12  # what the world's blocks take (the search estimates with 12 s)
        self.ots_receipts = True
        self.paid_to: dict[str, str] = {}  # tx hash -> the deposit address it pays
        self.batches: list[list[str]] = []  # the methods of each request, in arrival order
        self.lock = threading.Lock()

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        import json

        payload = json.loads(request.body)
        with self.lock:
            self.batches.append([c["method"] for c in (payload if isinstance(payload, list) else [payload])])
        return super()._answer(request)

    def _call(self, call: dict[str, Any]) -> dict[str, Any]:
        method, params = call["method"], call.get("params", [])
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": call["id"]}
        if method == "eth_getBlockByNumber" and params[0] != "finalized":
            height = HEAD if params[0] == "latest" else int(params[0], 16)
            stamp = self.now - self.block_seconds * (HEAD - height)
            answer["result"] = {"number": hex(height), "hash": f"0x{height:064x}", "timestamp": hex(stamp)}
        elif method == "eth_getLogs":
            answer["result"] = self._logs(params[0])
        elif method == "ots_searchTransactionsBefore":
            address, before = params[0].lower(), int(params[1])
            txs = [
                t for t in self.txs.values() if address in (t["to"], t["from"]) and int(t["blockNumber"], 16) < before
            ]
            receipts = [self.receipts[t["hash"]] for t in txs] if self.ots_receipts else []
            answer["result"] = {"txs": txs, "receipts": receipts, "firstPage": True, "lastPage": True}
        else:
            return super()._call(call)
        return answer

    def _logs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        low, high = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        contracts, wanted = set(query["address"]), set(query["topics"][2])
        found = []
        for receipt in self.receipts.values():
            height = int(receipt["blockNumber"], 16)
            if int(receipt["status"], 16) == 0 or not low <= height <= high:
                continue  # a reverted tx leaves no logs
            for log in receipt["logs"]:
                if log["address"] in contracts and log["topics"][2] in wanted:
                    found.append(log | {"blockNumber": receipt["blockNumber"], "blockHash": receipt["blockHash"],
                                        "transactionHash": receipt["transactionHash"]})  # fmt: skip
        return found

    def pay(self, n: int, to: str, *, height: int, value: int = 0, token: str | None = None, amount: int = 0,
            ok: bool = True) -> str:  # fmt: skip
        tx_hash = f"0x{n:064x}"
        block = {"blockHash": f"0x{height:064x}", "blockNumber": hex(height)}
        target = token if token else to
        calldata = "0xa9059cbb" + padded(to)[2:] + f"{amount:064x}" if token else "0x"
        logs = []
        if token and ok:
            topics = [TRANSFER_TOPIC, padded(SENDER), padded(to)]
            logs = [{"address": token, "topics": topics, "data": f"0x{amount:064x}", "logIndex": hex(n % 7)}]
        tx = {"hash": tx_hash, "from": SENDER, "to": target, "value": hex(value), "input": calldata, "gas": "0x30000",
              "gasPrice": "0x3b9aca00", "nonce": hex(n), **block}  # fmt: skip
        receipt = {"transactionHash": tx_hash, "status": "0x1" if ok else "0x0", "logs": logs,
                   "gasUsed": "0xea60" if token else "0x5208", "effectiveGasPrice": "0x3b9aca00", **block}  # fmt: skip
        self.add(tx, receipt)
        self.paid_to[tx_hash] = to
        return tx_hash

    def lookups(self) -> list[list[str]]:
        return [b for b in self.batches if LOOKUP_METHODS & set(b)]


@pytest.fixture
def world(http_mock, investigator) -> ListingWorld:
    world = ListingWorld(int(investigator.clock().timestamp()))
    for url in ETH_PROVIDERS:
        world.serve(http_mock, url)
    return world


def _engine(tmp_path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return engine


@pytest.fixture
def two_databases(tmp_path) -> Iterator[tuple[Engine, Engine]]:
    """One for the candidates looked up one by one, one for the search: neither sees the other's cache."""
    alone, searched = _engine(tmp_path, "alone.db"), _engine(tmp_path, "searched.db")
    yield alone, searched
    alone.dispose()
    searched.dispose()


def _payments(world: ListingWorld) -> dict[str, str]:
    """Every case a search meets, by the verdict a lookup of it alone gives."""
    return {
        world.pay(1, OURS, height=HEAD - 4000, token=USDT, amount=250 * 10**6): "confirmed_not_credited",
        world.pay(2, OURS, height=HEAD - 3, token=USDT, amount=250 * 10**6): "confirming",
        world.pay(3, OURS, height=HEAD - 5000, token=USDT, amount=5 * 10**6): "below_minimum",
        world.pay(4, USDT_ONLY, height=HEAD - 6000, token=USDC, amount=50 * 10**6): "unsupported_asset",
        world.pay(5, OURS, height=HEAD - 7000, token=USDT, amount=100 * 10**6): "credited",
        world.pay(6, OURS, height=HEAD - 8000, value=5 * 10**17, ok=False): "failed",
        world.pay(7, OURS, height=HEAD - 9000, value=5 * 10**17): "confirmed_not_credited",
        world.pay(8, OURS, height=HEAD - 2, value=5 * 10**17): "confirming",
        world.pay(9, OURS, height=HEAD - 10_000, value=10**15): "below_minimum",
    }


def _ledger(session: Session) -> None:
    add_addresses_on(session, "eth", (OURS, "p-1"))
    add_addresses_on(session, "eth", (USDT_ONLY, "p-1"), assets=["USDT"])
    add_deposit_on(session, "eth", f"0x{5:064x}", OURS, "USDT", "100", "p-1", index=5)


def _verdict(record) -> tuple:
    return (
        record.code,
        record.final,
        record.verdict["summary"],
        record.verdict["action"],
        record.verdict["player_message"],
    )


@pytest.mark.parametrize("ots_receipts", [True, False], ids=["otterscan-with-receipts", "receipts-missing"])
def test_search_verdicts_are_those_of_a_lookup_of_each_candidate_alone(world, settings, two_databases, ots_receipts):
    expected = _payments(world)
    alone, searched = two_databases
    with Session(alone) as session:
        _ledger(session)
        investigator = build_investigator(settings)
        one_by_one = {
            tx_hash: _verdict(investigator.investigate(session, InvestigationRequest(tx_hash, to, "eth", "p-1")))
            for tx_hash, to in world.paid_to.items()
        }
    assert {h: v[0] for h, v in one_by_one.items()} == expected
    world.ots_receipts, world.batches = ots_receipts, []

    with Session(searched) as session:
        _ledger(session)
        result = search(session, build_investigator(settings), SearchQuery(player_ref="p-1", limit=100))
        found = {c.tx_hash: _verdict(c) for c in result.candidates}

    assert found == one_by_one
    assert result.complete and result.searched["eth"] == ["token", "native", "internal"]
    lookups = world.lookups()
    if ots_receipts:  # the logs and Otterscan's receipts settle every candidate: nothing is looked up
        assert lookups == []
    else:  # the four ETH payments need their receipts: one batch for all of them, not one request each
        assert len(lookups) == 1 and lookups[0].count("eth_getTransactionReceipt") == 4


def test_a_search_costs_its_listing_requests_and_nothing_per_candidate(world, settings, session):
    for n in range(8):
        world.pay(100 + n, OURS, height=HEAD - 100 - 3000 * n, token=USDT, amount=(20 + n) * 10**6)
        world.pay(200 + n, USDT_ONLY, height=HEAD - 200 - 3000 * n, token=USDT, amount=(30 + n) * 10**6)
    _ledger(session)

    result = search(session, build_investigator(settings), SearchQuery(player_ref="p-1", limit=100))

    assert len(result.candidates) == 16 and {c.code for c in result.candidates} == {"confirmed_not_credited"}
    assert world.lookups() == []
    heads = [b for b in world.batches if b == ["eth_getBlockByNumber", "eth_getBlockByNumber"]]
    logs = [b for b in world.batches if b == ["eth_getLogs"]]
    stamps = [b for b in world.batches if b and set(b) == {"eth_getBlockByNumber"} and len(b) > 2]
    pages = [b for b in world.batches if b == ["ots_searchTransactionsBefore"]]
    assert len(heads) == 1  # the head, its time and the finalized block in one request
    assert len(pages) == 2  # one Otterscan page per address
    assert len(stamps) <= 3  # the window's first block: a few batches of block times, not a walk
    assert 1 <= len(logs) <= 6  # a week of logs: ranges growing from ETH_LOG_SPAN, not one per 2,000 blocks
    assert len(world.batches) == len(heads) + len(logs) + len(stamps) + len(pages)


def test_blocks_faster_than_estimated_are_listed_down_to_the_window_s_real_first_block(world, settings, session):
    world.block_seconds = 6  # twice as many blocks in the week as the 12 s estimate expects
    inside = world.pay(1, OURS, height=HEAD - 90_000, token=USDT, amount=20 * 10**6)  # 6.25 days ago
    world.pay(2, OURS, height=HEAD - 110_000, token=USDT, amount=20 * 10**6)  # 7.6 days ago: outside
    recent = world.pay(3, OURS, height=HEAD - 10, token=USDT, amount=20 * 10**6)
    _ledger(session)

    result = search(session, build_investigator(settings), SearchQuery(player_ref="p-1", limit=100))

    assert sorted(c.tx_hash for c in result.candidates) == sorted([inside, recent]) and result.complete


# --- Bitcoin --------------------------------------------------------------------------------------

TIP = 850_010
P1 = [address("listing-a"), address("listing-b"), address("listing-c")]


def test_bitcoin_addresses_and_the_tip_are_asked_side_by_side_and_nothing_per_candidate(
    http_mock, settings, session, investigator
):
    world = EsploraWorld(tip_height=TIP)
    now = investigator.clock()
    for height in range(TIP - 1100, TIP + 1):
        world.block_times[height] = int((now - timedelta(minutes=10 * (TIP - height))).timestamp())
    for n in range(8):
        for a, paid in enumerate(P1):
            world.build_tx([(paid, 100_000 + n * 10 + a)], height=TIP - n * 97 - a * 13)
    add_addresses(session, *[(a, "p-1") for a in P1])
    # Each address listing and the tip wait at a barrier until all four were asked: listed one
    # after another they could never meet (the barrier breaks and the search fails loudly).
    together = threading.Barrier(4, timeout=60)
    arrived: list[str] = []

    def meet(request):
        path = request.url.split("/api", 1)[1]
        if path.endswith("/txs") or path == "/blocks/tip/height":
            arrived.append(path)
            together.wait()
        return None

    world.fault("esplora-one.test", meet)
    world.serve(http_mock, [p.partition(":")[2] for p in PROVIDERS])

    result = search(session, investigator, SearchQuery(player_ref="p-1", limit=100))

    assert len(result.candidates) == 24 and len(arrived) == 4 and not together.broken
    assert sorted(arrived) == sorted([f"/address/{a}/txs" for a in P1] + ["/blocks/tip/height"])
    assert all("/tx/" not in url for url in world.requests)  # every candidate judged from the listing


# --- TRON -----------------------------------------------------------------------------------------


def test_tron_trx_transfers_are_judged_from_trongrid_s_listing_as_a_lookup_judges_them(
    http_mock, chain, settings, two_databases
):
    from tests.support.tron import TRX_BLOCK, TRX_PAYEE, TRX_TXID, TronWorld, trx_transfer_info, trx_transfer_tx

    def paying(txid: str) -> dict[str, Any]:  # 50 TRX, above the minimum
        tx = copy.deepcopy(trx_transfer_tx())
        tx["txID"] = txid
        tx["raw_data"]["contract"][0]["parameter"]["value"]["amount"] = 50_000_000
        return tx

    tron = TronWorld()
    tron.serve(http_mock, "https://grid.test")
    recent = "b1" * 32
    tron.add(paying(TRX_TXID), trx_transfer_info())  # solidified
    tron.add(paying(recent), {**trx_transfer_info(tron.head - 3), "id": recent})  # not yet solidified
    tron.listings[f"/v1/accounts/{TRX_PAYEE}/transactions"] = [
        [
            {**paying(recent), "blockNumber": tron.head - 3, "block_timestamp": 1717419792000},
            {**paying(TRX_TXID), "blockNumber": TRX_BLOCK, "block_timestamp": 1717419792000},
        ]
    ]
    tron_only = settings.model_copy(update={"tron_providers": ["trongrid:https://grid.test"]})
    alone, searched = two_databases
    with Session(alone) as session:
        add_addresses_on(session, "tron", (TRX_PAYEE, "p-5"))
        investigator = build_investigator(tron_only)
        one_by_one = {
            h: _verdict(investigator.investigate(session, InvestigationRequest(h, TRX_PAYEE, "tron", "p-5")))
            for h in (TRX_TXID, recent)
        }
    assert [v[0] for v in one_by_one.values()] == ["confirmed_not_credited", "confirming"]
    asked = sum(n for path, n in tron.requests.items() if "gettransaction" in path)

    with Session(searched) as session:
        add_addresses_on(session, "tron", (TRX_PAYEE, "p-5"))
        result = search(session, build_investigator(tron_only), SearchQuery(player_ref="p-5", since=None, until=None))
        found = {c.tx_hash: _verdict(c) for c in result.candidates}

    assert found == one_by_one
    assert sum(n for path, n in tron.requests.items() if "gettransaction" in path) == asked  # none looked up
