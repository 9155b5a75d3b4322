"""The HTTP contract of DESIGN.md, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, func, select

from investigations.ledger import DepositAddress, LedgerDeposit
from investigations.models import Investigation
from tests.support.ledger import address

OURS = address("api-p-1")
OTHER = address("api-p-2")
TIP = 850_010


def _load_ledger(api, txid: str | None = None, amount: str = "0.015") -> None:
    response = api.put(
        "/api/deposit-addresses",
        json=[
            {"chain": "btc", "address": OURS, "player_ref": "p-1", "assets": ["BTC"]},
            {"chain": "btc", "address": OTHER.upper(), "player_ref": "p-2"},
        ],
    )
    assert response.status_code == 200, response.text
    if txid:
        response = api.put(
            "/api/deposits",
            json=[
                {
                    "chain": "btc",
                    "tx_hash": txid,
                    "address": OURS,
                    "asset": "BTC",
                    "amount": amount,
                    "status": "credited",
                    "player_ref": "p-1",
                    "credited_at": "2026-11-20T10:00:00Z",
                    "index": 0,
                }
            ],
        )
        assert response.status_code == 200, response.text


def test_investigation_round_trip_matches_the_contract(api, chain):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 2)
    _load_ledger(api, tx["txid"])
    response = api.post(
        "/api/investigations",
        json={"tx_hash": tx["txid"].upper(), "address": OURS, "player_ref": "p-1", "ticket_ref": "ZD-1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"id", "chain", "tx_hash", "verdict", "evidence", "status_url"}
    assert body["chain"] == "btc" and body["tx_hash"] == tx["txid"]
    assert body["verdict"]["code"] == "credited" and body["verdict"]["final"] is True
    assert set(body["verdict"]) >= {"code", "final", "summary", "action", "player_message"}
    assert set(body["verdict"]["player_message"]) == {"ru", "de", "en"}
    assert body["status_url"].startswith("https://desk.example/s/")
    again = api.get(f"/api/investigations/{body['id']}")
    assert again.status_code == 200 and again.json() == body


@pytest.mark.parametrize(
    ("outputs", "height", "ticket", "code"),
    [
        ([(OURS, 1_500_000)], None, {}, "pending"),
        ([(OURS, 1_500_000)], TIP, {}, "confirming"),
        ([(OURS, 1_500_000)], TIP - 5, {}, "confirmed_not_credited"),
        ([(OTHER, 1_500_000)], TIP - 5, {"player_ref": "p-1"}, "other_player_address"),
        ([(address("elsewhere"), 1_500_000)], TIP - 5, {}, "not_our_address"),
        ([(OURS, 1_500_000)], TIP - 5, {"address": address("unrelated")}, "address_mismatch"),
        ([(OURS, 9_999)], TIP - 5, {}, "below_minimum"),
    ],
)
def test_verdicts_through_the_api(api, chain, outputs, height, ticket, code):
    _load_ledger(api)
    tx = chain.build_tx(outputs, height=height)
    response = api.post("/api/investigations", json={"tx_hash": tx["txid"], **ticket})
    assert response.status_code == 200, response.text
    assert response.json()["verdict"]["code"] == code


def test_amount_mismatch_and_not_found_through_the_api(api, chain):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    _load_ledger(api, tx["txid"], amount="0.0149")
    assert api.post("/api/investigations", json={"tx_hash": tx["txid"]}).json()["verdict"]["code"] == "amount_mismatch"
    assert api.post("/api/investigations", json={"tx_hash": "cd" * 32}).json()["verdict"]["code"] == "not_found"


def test_api_needs_a_valid_bearer_token(api):
    token = api.headers.pop("Authorization")
    assert api.post("/api/investigations", json={"tx_hash": "ab" * 32}).status_code == 401
    assert api.put("/api/deposits", json=[]).status_code == 401
    api.headers["Authorization"] = "Bearer dd_wrong"
    response = api.get("/api/investigations/abc")
    assert response.status_code == 401 and "dd_wrong" not in response.text
    api.headers["Authorization"] = token
    assert api.get("/api/investigations/abc").status_code == 404


def test_ledger_upserts_are_idempotent_and_update_in_place(api, engine):
    rows = [
        {
            "chain": "btc",
            "tx_hash": "ab" * 32,
            "address": OURS,
            "asset": "btc",
            "amount": "0.5",
            "status": "pending",
            "player_ref": "p-1",
        }
    ]
    first = api.put("/api/deposits", json=rows).json()
    assert (first["created"], first["updated"], first["unchanged"]) == (1, 0, 0)
    assert api.put("/api/deposits", json=rows).json()["unchanged"] == 1
    rows[0] |= {"status": "credited", "amount": "0.50000001"}
    assert api.put("/api/deposits", json=rows).json()["updated"] == 1
    with Session(engine) as session:
        stored = session.exec(select(LedgerDeposit)).one()
    assert (stored.amount_base_units, stored.status, stored.asset) == (50_000_001, "credited", "BTC")
    addresses = [{"chain": "btc", "address": OURS, "player_ref": "p-1"}]
    assert api.put("/api/deposit-addresses", json=addresses).json()["created"] == 1
    assert api.put("/api/deposit-addresses", json=addresses).json()["unchanged"] == 1
    addresses[0]["player_ref"] = "p-7"
    assert api.put("/api/deposit-addresses", json=addresses).json()["updated"] == 1


def test_wei_amounts_beyond_64_bits_are_stored_exactly(api, engine):
    huge = "123456789012345678901234.123456789012345678"
    response = api.put(
        "/api/deposits",
        json=[
            {
                "chain": "eth",
                "tx_hash": "0x" + "ab" * 32,
                "address": "0x52908400098527886E0F7030069857D2E4169EE7",
                "asset": "ETH",
                "amount": huge,
                "status": "credited",
                "player_ref": "p-1",
            }
        ],
    )
    assert response.status_code == 200, response.text
    with Session(engine) as session:
        stored = session.exec(select(LedgerDeposit)).one()
    assert stored.amount_base_units == 123456789012345678901234_123456789012345678


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("-0.5", "negative"),
        ("1e-3", "not a plain decimal"),
        (0.5, "not a number"),
        ("NaN", "not a plain decimal"),
        ("0.123456789", "more than 8 decimal places"),
        ("1.2.3", "not a plain decimal"),
    ],
)
def test_one_bad_ledger_row_writes_nothing_and_is_named(api, engine, amount, says):
    rows = [
        {
            "chain": "btc",
            "tx_hash": "ab" * 32,
            "address": OURS,
            "asset": "BTC",
            "amount": "0.1",
            "status": "credited",
            "player_ref": "p-1",
        },
        {
            "chain": "btc",
            "tx_hash": "cd" * 32,
            "address": OURS,
            "asset": "BTC",
            "amount": amount,
            "status": "credited",
            "player_ref": "p-1",
        },
    ]
    response = api.put("/api/deposits", json=rows)
    assert response.status_code == 422
    assert response.json()["message"].startswith("row 2")
    assert says in response.json()["message"]
    assert _count(engine, LedgerDeposit) == 0


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        (
            [
                {
                    "chain": "btc",
                    "address": "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
                    "player_ref": "p",
                }
            ],
            "testnet",
        ),
        ([{"chain": "btc", "address": OURS, "player_ref": "p", "assets": ["USDT"]}], "not accepted on btc"),
        ([{"chain": "doge", "address": OURS, "player_ref": "p"}], "chain"),
        ([{"chain": "btc", "address": OURS, "player_ref": "p", "colour": "red"}], "unknown field"),
        ([{"chain": "btc", "address": OURS}], "player_ref"),
        ({"chain": "btc"}, "list"),
    ],
)
def test_bad_deposit_address_rows_are_refused_with_the_reason(api, engine, rows, says):
    response = api.put("/api/deposit-addresses", json=rows)
    assert response.status_code == 422
    assert says in response.json()["message"]
    assert _count(engine, DepositAddress) == 0


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"tx_hash": "xyz"}, "tx_hash: 'xyz' is not a Bitcoin txid"),
        ({"tx_hash": "ab" * 32, "address": "bc1qnotanaddress"}, "address:"),
        ({"tx_hash": "ab" * 32, "address": "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"}, "testnet"),
        ({"tx_hash": "ab" * 32, "chain": "doge"}, "not a supported chain"),
        ({"tx_hash": "ab" * 32, "wallet": "x"}, "wallet: unknown field"),
        ({}, "tx_hash: Field required"),
        ({"tx_hash": ""}, "tx_hash"),
        ({"tx_hash": "a" * 5000}, "tx_hash"),
        ([1, 2], "Input should be a valid dictionary"),
    ],
)
def test_bad_investigation_requests_are_422_with_what_is_wrong(api, engine, chain, body, says):
    response = api.post("/api/investigations", json=body)
    assert response.status_code == 422, response.text
    assert says in response.json()["message"]
    assert _count(engine, Investigation) == 0
    assert chain.requests == []


def test_malformed_hash_answer_carries_the_invalid_input_verdict(api):
    verdict = api.post("/api/investigations", json={"tx_hash": "xyz"}).json()["verdict"]
    assert verdict["code"] == "invalid_input" and verdict["final"] is True
    assert set(verdict["player_message"]) == {"ru", "de", "en"}


def test_empty_and_non_json_bodies_are_422(api):
    empty = api.post("/api/investigations", content=b"", headers={"Content-Type": "application/json"})
    assert empty.status_code == 422 and "empty" in empty.json()["message"]
    broken = api.post("/api/investigations", content=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422


def test_huge_bodies_are_refused_before_parsing(api, engine):
    limit = api.app.state.settings.max_body_bytes
    rows = [{"chain": "btc", "address": OURS, "player_ref": "p" * 100}] * (limit // 100)
    response = api.put(
        "/api/deposit-addresses", content=json.dumps(rows).encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "too large" in response.json()["message"]
    chunked = api.put(
        "/api/deposit-addresses",
        content=iter([b"[" + b" " * limit, b"]"]),
        headers={"Content-Type": "application/json"},
    )
    assert chunked.status_code == 422 and "too large" in chunked.json()["message"]
    assert _count(engine, DepositAddress) == 0


def test_health_readiness_and_openapi(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}
    spec = api.get("/openapi.json").json()
    assert {
        "/api/investigations",
        "/api/investigations/{investigation_id}",
        "/api/deposits",
        "/api/deposit-addresses",
    } <= set(spec["paths"])
    assert api.get("/docs").status_code == 200
