"""GET /api/stats: the figures of a period as JSON and CSV, bad periods refused, leads only when set."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from tests.support import sla_history

PERIOD = {"from": "2026-11-20", "to": "2026-11-21"}


def test_stats_json_has_the_figures_of_the_period(api):
    with Session(api.app.state.engine) as session:
        sla_history.build(session)
    body = api.get("/api/stats", params=PERIOD).json()
    assert (body["from"], body["to"], body["days"]) == ("2026-11-20", "2026-11-21", ["2026-11-20", "2026-11-21"])
    assert body["questions"]["total"] == 6
    assert body["first_note"]["p95_seconds"] == 109.5
    assert body["automation"]["share_without_agent"] == 0.5
    assert [p["provider"] for p in body["providers"]] == ["blockstream.info", "mempool.space"]


def test_stats_csv_has_the_same_figures(api):
    with Session(api.app.state.engine) as session:
        sla_history.build(session)
    response = api.get("/api/stats", params=PERIOD | {"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    value = {(r["section"], r["day"], r["figure"], r["key"]): r["value"] for r in rows}
    assert value[("questions", "total", "by_channel", "zendesk")] == "2"
    assert value[("first_note", "total", "p50_seconds", "")] == "40.0"
    assert value[("first_note", "2026-11-21", "missed", "")] == "2"
    assert value[("providers", "total", "p95_ms", "mempool.space")] == "385.0"


def test_bad_periods_are_a_clear_422(api):
    bad = api.get("/api/stats", params={"from": "yesterday"})
    assert bad.status_code == 422 and "from: 'yesterday' is not a date" in bad.json()["message"]
    backwards = api.get("/api/stats", params={"from": "2026-11-21", "to": "2026-11-01"})
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["query", "from"]
    assert api.get("/api/stats", params={"format": "xml"}).status_code == 422


def test_stats_need_a_token_and_may_be_kept_to_the_leads(api):
    assert api.get("/api/stats", headers={"Authorization": ""}).status_code == 401
    api.app.state.settings = api.app.state.settings.model_copy(update={"dashboard_agents": ["lead"]})
    refused = api.get("/api/stats")
    assert refused.status_code == 403 and "DASHBOARD_AGENTS" in refused.json()["detail"]
