"""`POST /api/investigations {"payout_id": …}`: a withdrawal investigated by its payout record."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from investigations.payouts import PayoutRecordIn, upsert_payouts
from investigations.types import utcnow
from tests.support.ledger import address

PLAYER = address("payout-player-wallet")
HOT = address("casino-hot-wallet")
TIP = 850_010


def test_the_api_investigates_a_payout_by_id(api, chain, engine):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 40_000_000)], senders=[HOT], height=TIP - 2)
    now = utcnow()
    row = {
        "payout_id": "w-77", "chain": "btc", "player_ref": "p-1842", "to_address": PLAYER, "asset": "BTC",
        "amount": "0.015", "status": "sent", "tx_hash": tx["txid"], "requested_at": now - timedelta(minutes=20),
        "sent_at": now - timedelta(minutes=15),
    }  # fmt: skip
    with Session(engine) as session:
        upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
        session.commit()
    answer = api.post("/api/investigations", json={"payout_id": "w-77"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"]["code"] == "payout_delivered" and body["payout_id"] == "w-77"
    assert body["status_url"].startswith("https://desk.example/s/")
    again = api.get(f"/api/investigations/{body['id']}")
    assert again.json()["payout_id"] == "w-77"
    by_hash = api.post("/api/investigations", json={"tx_hash": tx["txid"]})
    assert by_hash.json()["verdict"]["code"] == "payout_delivered" and by_hash.json()["payout_id"] == "w-77"
    missing = api.post("/api/investigations", json={"payout_id": "w-404"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "payout_id"]
    assert api.post("/api/investigations", json={}).status_code == 422


def test_the_status_json_of_a_stuck_payout_says_sent_and_nothing_internal(api, chain, engine):
    tx = chain.build_tx([(PLAYER, 1_500_000), (HOT, 40_000_000)], senders=[HOT], fee=150)
    now = utcnow()
    row = {
        "payout_id": "w-78", "chain": "btc", "player_ref": "p-1842", "to_address": PLAYER, "asset": "BTC",
        "amount": "0.015", "status": "sent", "tx_hash": tx["txid"], "requested_at": now - timedelta(minutes=20),
        "sent_at": now - timedelta(minutes=15),
    }  # fmt: skip
    with Session(engine) as session:
        upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
        session.commit()
    body = api.post("/api/investigations", json={"payout_id": "w-78"}).json()
    assert body["verdict"]["code"] == "payout_stuck"
    token = body["status_url"].rsplit("/s/", 1)[1]
    del api.headers["Authorization"]
    status = api.get(f"/api/status/{token}", params={"lang": "ru"})
    assert status.status_code == 200
    data = status.json()
    assert data["kind"] == "withdrawal" and data["state"] == "withdrawal_sent"
    assert data["amount"] == "0.015" and data["asset"] == "BTC" and data["network"] == "Bitcoin"
    text = status.text
    for internal in ("sat/vB", "CPFP", "RBF", PLAYER, HOT, "p-1842", "w-78", "finance"):
        assert internal not in text
    assert "комиссий" in data["message"]
