"""GET /api/findings and POST /api/findings/{id}/resolve, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from investigations.audit.models import Finding
from investigations.types import utcnow


def _finding(engine, **values) -> int:
    defaults = {
        "payment_id": values.pop("payment_id"),
        "chain": "btc",
        "tx_hash": "ab" * 32,
        "block_height": 850_000,
        "address": "bc1qexample",
        "player_ref": "p-1",
        "asset": "BTC",
        "amount_base_units": 1_500_000,
        "code": "confirmed_not_credited",
        "found_at": utcnow() - timedelta(minutes=90),
    }
    with Session(engine) as session:
        finding = Finding(**(defaults | values))
        session.add(finding)
        session.commit()
        assert finding.id is not None
        return finding.id


def test_findings_are_listed_oldest_first_with_totals_and_filters(api, engine):
    first = _finding(engine, payment_id=1)
    _finding(engine, payment_id=2, player_ref="p-2", amount_base_units=2_500_000, found_at=utcnow())
    _finding(engine, payment_id=3, chain="eth", tx_hash="0x" + "cd" * 32, asset="ETH",
             amount_base_units=7 * 10**16, code="below_minimum", player_ref="p-3")  # fmt: skip
    _finding(engine, payment_id=4, status="resolved")
    body = api.get("/api/findings").json()
    assert [f["id"] for f in body["findings"]][0] == first
    assert body["totals"] == {"BTC": "0.04", "ETH": "0.07"}
    assert body["findings"][0]["amount"] == "0.015" and body["findings"][0]["age_minutes"] >= 89
    assert [f["player_ref"] for f in api.get("/api/findings?player=p-2").json()["findings"]] == ["p-2"]
    assert [f["code"] for f in api.get("/api/findings?chain=eth").json()["findings"]] == ["below_minimum"]
    assert len(api.get("/api/findings?min_age_minutes=60").json()["findings"]) == 2
    assert len(api.get("/api/findings?status=all").json()["findings"]) == 4


def test_bad_filters_are_a_clear_422(api):
    response = api.get("/api/findings?code=credited")
    assert response.status_code == 422 and "code: must be one of" in response.json()["message"]
    assert api.get("/api/findings?chain=doge").status_code == 422
    assert api.get("/api/findings?status=closed").status_code == 422


def test_an_agent_resolves_an_open_finding_with_a_reason(api, engine):
    finding = _finding(engine, payment_id=5)
    assert api.post(f"/api/findings/{finding}/resolve", json={"reason": "  "}).status_code == 422
    assert api.post(f"/api/findings/{finding}/resolve", json={}).status_code == 422
    response = api.post(f"/api/findings/{finding}/resolve", json={"reason": "credited by hand, ticket 42"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved" and response.json()["resolved_by"] == "agent:alice"
    assert response.json()["resolution"] == "credited by hand, ticket 42"
    again = api.post(f"/api/findings/{finding}/resolve", json={"reason": "twice"})
    assert again.status_code == 409 and "not open" in again.json()["detail"]
    assert api.post("/api/findings/999999/resolve", json={"reason": "x"}).status_code == 404
    assert api.get("/api/findings").json()["findings"] == []


def test_findings_need_a_bearer_token(api):
    del api.headers["Authorization"]
    assert api.get("/api/findings").status_code == 401


def test_the_listing_says_what_the_providers_could_not_cover(api, engine):
    from investigations.audit.models import AuditCursor

    with Session(engine) as session:
        session.add(AuditCursor(chain="eth", height=1, uncovered="internal transfers: cannot trace"))
        session.commit()
    assert api.get("/api/findings").json()["not_covered"] == {"btc": "", "eth": "internal transfers: cannot trace"}
