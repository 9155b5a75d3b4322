"""POST /api/searches and GET /api/searches/{id}, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.ledger import address

P1 = [address("search-p-1a"), address("search-p-1b")]
TIP = 850_010


@pytest.fixture
def week(chain):
    now = datetime.now(UTC)
    for height in range(TIP - 1100, TIP + 1):
        chain.block_times[height] = int((now - timedelta(minutes=10 * (TIP - height))).timestamp())
    return chain


def _ledger(api) -> None:
    rows = [{"chain": "btc", "address": a, "player_ref": "p-1"} for a in P1]
    assert api.put("/api/deposit-addresses", json=rows).status_code == 200


def test_search_round_trip_matches_the_contract(api, week):
    paid = week.build_tx([(P1[1], 1_500_000)], height=TIP - 3)
    credited = week.build_tx([(P1[0], 800_000)], height=TIP - 4)
    _ledger(api)
    deposit = {"chain": "btc", "tx_hash": credited["txid"], "address": P1[0], "asset": "BTC", "amount": "0.008"}
    assert api.put("/api/deposits", json=[deposit | {"status": "credited", "player_ref": "p-1"}]).status_code == 200

    response = api.post("/api/searches", json={"player_ref": "p-1", "amount": "0.015"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"id", "query", "candidates", "searched", "complete"}
    assert [c["tx_hash"] for c in body["candidates"]] == [paid["txid"], credited["txid"]]
    assert [c["verdict"]["code"] for c in body["candidates"]] == ["confirmed_not_credited", "credited"]
    assert body["candidates"][0]["status_url"].startswith("https://desk.example/s/")
    assert body["searched"] == {"btc": ["output"]} and body["complete"] is True and body["gaps"] == []
    assert body["query"]["player_ref"] == "p-1" and body["query"]["amount"] == "0.015"

    again = api.get(f"/api/searches/{body['id']}")
    assert again.status_code == 200
    assert [c["id"] for c in again.json()["candidates"]] == [c["id"] for c in body["candidates"]]
    status = api.get("/api/status/" + body["candidates"][0]["status_url"].rsplit("/", 1)[1])
    assert status.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "player_ref"),
        ({"player_ref": "unknown-player"}, "player_ref"),
        ({"address": address("not-ours")}, "address"),
        ({"player_ref": "p-1", "amount": 0.015}, "amount"),
        ({"player_ref": "p-1", "asset": "DOGE"}, "asset"),
        ({"player_ref": "p-1", "since": "2020-01-01T00:00:00Z", "until": "2019-01-01T00:00:00Z"}, "since"),
    ],
)
def test_a_search_that_cannot_run_is_a_clear_422(api, week, payload, field):
    _ledger(api)
    response = api.post("/api/searches", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_unknown_search_is_404_and_searches_need_a_token(api, week):
    assert api.get("/api/searches/" + "0" * 32).status_code == 404
    assert api.post("/api/searches", json={"player_ref": "p-1"}, headers={"Authorization": ""}).status_code == 401
