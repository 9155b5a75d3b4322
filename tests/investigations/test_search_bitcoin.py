"""The no-hash search on Bitcoin: Esplora address pages built from real transactions (python-bitcoinlib
and a recorded mainnet tx), paging past the first page, mempool and confirmed, several addresses of
one player; Bitcoin Core says it cannot list and the pool asks the next provider."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
from sqlmodel import select

from app.wiring import build_investigator
from chains.assets import format_amount
from chains.base import Chain
from chains.history import HistoryUnsupported
from investigations.models import SearchRecord
from investigations.search import InvalidSearch, SearchQuery, load_search, players_named, search
from tests.conftest import PROVIDERS
from tests.support.ledger import add_addresses, add_deposit, address

TIP = 850_010
P1 = [address("p1-a"), address("p1-b"), address("p1-c", "p2tr")]
STRANGER = address("stranger")
RECORDED = "b10c0000004da5a9d1d9b4ae32e09f0b3e62d21a5cce5428d4ad714fb444eb5d"
RECORDED_OUTPUT = "bc1qerj3ea5frs9zzqdwe65v6h8fhwl677a6s0hxhf"  # its 294-sat output


@pytest.fixture
def world(chain, investigator, session):
    """A week of blocks ten minutes apart, ending at the tip, now."""
    now = investigator.clock()
    for height in range(TIP - 2000, TIP + 1):
        chain.block_times[height] = int((now - timedelta(minutes=10 * (TIP - height))).timestamp())
    add_addresses(session, *[(a, "p-1") for a in P1], (RECORDED_OUTPUT, "p-1"), (address("p2"), "p-2"))
    return chain


def _credited_traffic(chain, session, count: int) -> list[str]:
    """`count` confirmed payments to the player's first address, all credited, newest last."""
    txids = []
    for n in range(count):
        tx = chain.build_tx([(P1[0], 100_000 + n), (STRANGER, 5_000)], height=TIP - 40 + n)
        add_deposit(session, tx["txid"], P1[0], format_amount(100_000 + n, 8), "p-1")
        txids.append(tx["txid"])
    return txids


def test_player_search_pages_back_and_puts_the_uncredited_payment_first(world, investigator, session, fixtures_dir):
    old_uncredited = world.build_tx([(P1[0], 1_500_000)], height=TIP - 45)  # below the first page of 25
    _credited_traffic(world, session, 30)
    pending = world.build_tx([(P1[1], 2_000_000)])  # mempool, second address
    world.build_tx([(P1[2], 3_000_000)], height=TIP - 1500)  # older than the week: not listed
    world.build_tx([(STRANGER, 9_000_000)], height=TIP - 3)  # unrelated traffic
    world.load_fixture(fixtures_dir / "btc_esplora_tx_b10c_all_script_types.json")
    world.confirm(RECORDED, TIP - 10)

    result = search(session, investigator, SearchQuery(player_ref="p-1", limit=5))

    codes = [c.code for c in result.candidates]
    assert result.candidates[0].tx_hash == old_uncredited["txid"] and codes[0] == "confirmed_not_credited"
    assert codes[1] == "below_minimum" and result.candidates[1].tx_hash == RECORDED
    assert codes[2] == "pending" and result.candidates[2].tx_hash == pending["txid"]
    assert codes[3:] == ["credited", "credited"]
    assert result.total == 33 and result.next_page == 2
    assert result.searched == {"btc": ["output"]} and result.not_searched == {} and result.complete
    assert any("/txs/chain/" in url for url in world.requests)  # paged past the first 25
    assert result.uncredited_confirmed is result.candidates[0]
    stored = load_search(session, result.id)
    assert stored is not None and [c.id for c in stored.candidates] == [c.id for c in result.candidates]
    assert stored.next_page == 2 and stored.query.player_ref == "p-1"

    second = search(session, investigator, SearchQuery(player_ref="p-1", limit=5, page=7))
    assert [c.code for c in second.candidates] == ["credited", "credited", "credited"] and second.next_page is None


def test_an_amount_hint_ranks_the_matching_payment_first_among_equals(world, investigator, session):
    world.build_tx([(P1[0], 1_000_000)], height=TIP - 5)
    match = world.build_tx([(P1[2], 2_490_000)], height=TIP - 6)  # 0.0249 BTC: within 2 % of 0.025
    world.build_tx([(P1[1], 700_000)], height=TIP - 4)

    result = search(session, investigator, SearchQuery(player_ref="p-1", amount="0.025", asset="btc"))

    assert [c.code for c in result.candidates] == ["confirmed_not_credited"] * 3
    assert result.candidates[0].tx_hash == match["txid"]
    # The listing describes each candidate completely: judged from it and one tip, none looked up again.
    assert [u for u in world.requests if "/tx/" in u and "/outspend/" not in u] == []
    assert len([u for u in world.requests if u.endswith("/blocks/tip/height")]) == 1
    assert {c.evidence["providers"][0]["detail"] for c in result.candidates} == {"from the address listing"}
    assert result.query.asset == "BTC" and result.query.chain == "btc"


def test_an_address_search_lists_only_that_address(world, investigator, session):
    mine = world.build_tx([(P1[1], 1_000_000)], height=TIP - 5)
    world.build_tx([(P1[0], 1_000_000)], height=TIP - 5)

    result = search(session, investigator, SearchQuery(address=P1[1]))

    assert [c.tx_hash for c in result.candidates] == [mine["txid"]]
    assert result.candidates[0].player_ref == "p-1" and result.candidates[0].address == P1[1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (SearchQuery(), "player_ref"),
        (SearchQuery(player_ref="p-1", address=P1[0]), "player_ref"),
        (SearchQuery(player_ref="nobody"), "player_ref"),
        (SearchQuery(address=STRANGER), "address"),
        (SearchQuery(address="bc1qnotanaddress"), "address"),
        (SearchQuery(player_ref="p-1", asset="DOGE"), "asset"),
        (SearchQuery(player_ref="p-1", amount="1e5"), "amount"),
        (SearchQuery(player_ref="p-1", chain="sol"), "chain"),
        (SearchQuery(player_ref="p-1", limit=1000), "limit"),
    ],
)
def test_a_search_that_cannot_run_names_the_field_and_stores_nothing(world, investigator, session, query, field):
    with pytest.raises(InvalidSearch) as refused:
        search(session, investigator, query)
    assert refused.value.field == field
    assert session.exec(select(SearchRecord)).all() == [] and world.requests == []


def test_a_window_longer_than_allowed_is_cut_and_says_so(world, investigator, session):
    now = investigator.clock()
    result = search(session, investigator, SearchQuery(player_ref="p-1", since=now - timedelta(days=90)))
    assert result.window_cut and result.query.since == result.query.until - timedelta(days=31)


def test_players_named_in_text_are_the_ledger_s_players(world, session):
    assert players_named(session, "Hi, my account is p-1. Nothing arrived (ref p-9).") == ["p-1"]
    assert players_named(session, "no player here") == []


def _core_without_wallet(request):
    """A Bitcoin Core node without -txindex: it knows none of these txs and has no address index."""
    calls = json.loads(request.body)
    answers = []
    for call in calls:
        answer = {"id": call["id"], "result": None, "error": None}
        if call["method"] == "getrawtransaction":
            answer["error"] = {"code": -5, "message": "No such mempool or blockchain transaction"}
        elif call["method"] == "getblockcount":
            answer["result"] = TIP
        elif call["method"] == "getindexinfo":
            answer["result"] = {}
        answers.append(answer)
    return 200, {"Content-Type": "application/json"}, json.dumps(answers)


def test_core_says_it_cannot_list_and_the_pool_asks_esplora_without_tripping_a_breaker(
    world, settings, session, http_mock
):
    http_mock.add_callback(responses.POST, "http://core.test:8332/", callback=_core_without_wallet)
    core_first = settings.model_copy(update={"btc_providers": ["bitcoincore:http://u:p@core.test:8332", PROVIDERS[0]]})
    investigator = build_investigator(core_first)
    pool = investigator.pools[Chain.BTC]
    paid = world.build_tx([(P1[0], 1_000_000)], height=TIP - 5)

    with pytest.raises(HistoryUnsupported):
        pool.providers[0].adapter.address_txs(P1[0])
    for _ in range(5):
        page, provider = pool.ask("address_txs", P1[0], None)
    assert provider == "esplora-one.test" and [t.tx_hash for t in page.txs] == [paid["txid"]]
    assert not pool.providers[0].breaker.is_open

    result = search(session, investigator, SearchQuery(player_ref="p-1"))
    assert [c.code for c in result.candidates] == ["confirmed_not_credited"] and result.complete


def test_with_only_core_the_answer_says_bitcoin_could_not_be_searched(world, settings, session, http_mock):
    http_mock.add_callback(responses.POST, "http://core.test:8332/", callback=_core_without_wallet)
    only_core = settings.model_copy(update={"btc_providers": ["bitcoincore:http://u:p@core.test:8332"]})
    world.build_tx([(P1[0], 1_000_000)], height=TIP - 5)

    result = search(session, build_investigator(only_core), SearchQuery(player_ref="p-1"))

    assert result.candidates == [] and not result.complete
    assert result.searched == {"btc": []}
    assert "cannot list" in result.not_searched["btc"]["output"]


class _TipOnly:
    """A pool that knows only the tip (asked once), for the listing's own lookups."""

    tips = None

    def __init__(self, tip: int) -> None:
        self.tip, self.asked = tip, 0

    def ask(self, method: str, *args):
        assert method == "tip_height"
        self.asked += 1
        return self.tip, "p"

    def offer_tip(self, height: int) -> None:
        pass


def test_only_candidates_the_listing_describes_and_the_tip_covers_are_judged_from_it():
    from chains.base import Chain, ChainTx, TxStatus
    from chains.history import AddressTx
    from investigations.search_prefetch import from_listing

    def listed(name: str, height: int | None, *, whole: bool = True) -> AddressTx:
        status = TxStatus.MEMPOOL if height is None else TxStatus.CONFIRMED
        found = AddressTx(Chain.BTC, name, P1[0], height)
        if whole:
            found.tx, found.provider = ChainTx(Chain.BTC, name, status, ["p"], block_height=height), "p"
        return found

    pool = _TipOnly(TIP)
    answers = from_listing(
        pool, [listed("a", TIP - 2), listed("b", None), listed("c", TIP + 1), listed("d", 5, whole=False)]
    )
    assert set(answers) == {"a", "b"}  # c is above the tip (a block arrived since): looked up; d not described
    assert answers["a"].tx.confirmations == 3 and answers["b"].tx.confirmations == 0
    assert pool.asked == 1
