"""The no-hash search on TRON: TronGrid's /v1 listings (TRC-20 and TRX, fingerprint paging), each
candidate investigated; a plain full node cannot list and the search says so in not_searched."""

from __future__ import annotations

import pytest

from app.wiring import build_investigator
from investigations.search import SearchQuery, search
from tests.support.ledger import add_addresses_on
from tests.support.tron import (
    TRX_BLOCK,
    TRX_PAYEE,
    TRX_SENDER,
    TRX_TXID,
    USDT,
    TronWorld,
    transfer_log,
    trc20_info,
    trc20_tx,
    trx_transfer_info,
    trx_transfer_tx,
)

GRID = "https://grid.test"
NODE = "https://node.test"


def _trc20_item(txid: str, amount: int, to: str = TRX_PAYEE) -> dict:
    return {
        "transaction_id": txid,
        "token_info": {"symbol": "USDT", "address": USDT, "decimals": 6, "name": "Tether USD"},
        "block_timestamp": 1717419792000,
        "from": TRX_SENDER,
        "to": to,
        "type": "Transfer",
        "value": str(amount),
    }


@pytest.fixture
def tron(http_mock, chain):
    world = TronWorld()
    world.serve(http_mock, GRID)
    world.serve(http_mock, NODE)
    return world


def _investigator(settings, providers):
    return build_investigator(settings.model_copy(update={"tron_providers": providers}))


def test_a_player_search_lists_trc20_and_trx_payments_across_pages(tron, settings, session):
    investigator = _investigator(settings, [f"trongrid:{GRID}", f"fullnode:{NODE}"])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-5"))
    first, second = "a1" * 32, "a2" * 32
    for txid, amount in ((first, 20_000_000), (second, 30_000_000)):
        tron.add(
            trc20_tx(txid, TRX_SENDER, TRX_PAYEE, amount),
            trc20_info(txid, TRX_BLOCK, [transfer_log(TRX_SENDER, TRX_PAYEE, amount)]),
        )
    tron.add(trx_transfer_tx(), trx_transfer_info())
    tron.listings[f"/v1/accounts/{TRX_PAYEE}/transactions/trc20"] = [
        [_trc20_item(first, 20_000_000)],
        [_trc20_item(second, 30_000_000)],
    ]
    tron.listings[f"/v1/accounts/{TRX_PAYEE}/transactions"] = [
        [{**trx_transfer_tx(), "blockNumber": TRX_BLOCK, "block_timestamp": 1717419792000}]
    ]

    result = search(session, investigator, SearchQuery(player_ref="p-5", since=None, until=None))

    assert sorted(c.tx_hash for c in result.candidates) == sorted([first, second, TRX_TXID])
    assert {c.code for c in result.candidates} == {"confirmed_not_credited"}
    assert result.searched["tron"] == ["trx", "trc20"] and result.complete
    assert tron.requests[f"/v1/accounts/{TRX_PAYEE}/transactions/trc20"] == 2  # followed the fingerprint


def test_the_listing_asks_for_payments_to_the_address_in_the_window(tron, settings, session):
    investigator = _investigator(settings, [f"trongrid:{GRID}"])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-5"))
    search(session, investigator, SearchQuery(player_ref="p-5", asset="USDT"))
    seen = tron.listing_params
    assert len(seen) == 1  # USDT: only the TRC-20 listing
    assert seen[0]["only_to"] == "true" and seen[0]["only_confirmed"] == "false" and seen[0]["limit"] == "200"
    assert int(seen[0]["min_timestamp"]) < int(seen[0]["max_timestamp"])


def test_a_plain_full_node_cannot_list_and_the_search_says_so(tron, settings, session):
    investigator = _investigator(settings, [f"fullnode:{NODE}"])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-5"))
    result = search(session, investigator, SearchQuery(player_ref="p-5"))
    assert result.candidates == [] and not result.complete
    assert set(result.not_searched["tron"]) == {"trx", "trc20"}
    assert "trongrid" in result.not_searched["tron"]["trc20"]
    assert any(line.startswith("TRON: could not search") for line in result.gaps())
    assert not any(path.startswith("/v1") for path in tron.requests)


def test_a_failed_listing_page_is_not_searched_not_nothing_found(tron, settings, session):
    investigator = _investigator(settings, [f"trongrid:{GRID}"])
    add_addresses_on(session, "tron", (TRX_PAYEE, "p-5"))
    path = f"/v1/accounts/{TRX_PAYEE}/transactions/trc20"
    tron.faults[path] = [(503, "busy")] * 10
    result = search(session, investigator, SearchQuery(player_ref="p-5", asset="USDT"))
    assert "trc20" in result.not_searched["tron"] and not result.complete
