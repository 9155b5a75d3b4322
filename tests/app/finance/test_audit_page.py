"""/audit for agents: open findings by age with totals, filters, verdict card and status links, the
CSV export, and resolving a finding with a reason."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import Session

from investigations.audit.models import Finding
from investigations.service import InvestigationRequest
from investigations.types import utcnow
from tests.support.web import OURS, TIP, _csrf


def _finding(app, sqlite_engine, chain, **values) -> Finding:
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    with Session(sqlite_engine) as session:
        record = app.state.investigator.investigate(session, InvestigationRequest(tx["txid"], OURS, "btc", "p-1842"))
        finding = Finding(
            payment_id=values.pop("payment_id", 1),
            chain="btc",
            tx_hash=tx["txid"],
            block_height=TIP - 5,
            address=OURS,
            player_ref=values.pop("player_ref", "p-1842"),
            asset="BTC",
            amount_base_units=1_500_000,
            code=record.code,
            investigation_id=record.id,
            found_at=utcnow() - timedelta(minutes=values.pop("age", 45)),
        )
        session.add(finding)
        session.commit()
        session.refresh(finding)
        return finding


def test_the_audit_page_lists_open_findings_with_totals_links_and_filters(agent, app, sqlite_engine, chain):
    finding = _finding(app, sqlite_engine, chain)
    assert finding.code == "confirmed_not_credited"
    page = agent.get("/audit")
    assert page.status_code == 200
    assert "0.015 BTC" in page.text and "45 min" in page.text and "p-1842" in page.text
    assert f'href="/investigations/{finding.investigation_id}"' in page.text
    assert "https://desk.example/s/" in page.text
    assert "No findings match" in agent.get("/audit?code=below_minimum").text
    assert "No findings match" in agent.get("/audit?min_age_minutes=60").text
    assert "0.015 BTC" in agent.get("/audit?player=p-1842&chain=btc").text
    bad = agent.get("/audit?code=credited")
    assert bad.status_code == 422 and "code: must be one of" in bad.text


def test_the_csv_export_has_the_same_findings_and_neutralises_formulas(agent, app, sqlite_engine, chain):
    _finding(app, sqlite_engine, chain, player_ref="=HYPERLINK(1)")
    response = agent.get("/audit.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["amount"] == "0.015" and row["asset"] == "BTC" and row["code"] == "confirmed_not_credited"
    assert row["player_ref"] == "'=HYPERLINK(1)" and row["status_url"].startswith("https://desk.example/s/")
    assert agent.get("/audit.csv?chain=doge").status_code == 422


@pytest.mark.parametrize("player_ref", ["\t=1+1", "\r=1+1", "+SUM(1)", "-1+cmd", "@SUM(1)"])
def test_the_csv_export_neutralises_tab_and_carriage_return_too(agent, app, sqlite_engine, chain, player_ref):
    _finding(app, sqlite_engine, chain, player_ref=player_ref)
    response = agent.get("/audit.csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["player_ref"] == "'" + player_ref
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["cache-control"] == "no-store"


def test_an_agent_resolves_a_finding_on_the_page(agent, app, sqlite_engine, chain):
    finding = _finding(app, sqlite_engine, chain)
    page = agent.get("/audit")
    empty = agent.post(f"/audit/{finding.id}/resolve", data={"csrf": _csrf(page.text), "reason": " "})
    assert empty.status_code == 422
    done = agent.post(f"/audit/{finding.id}/resolve", data={"csrf": _csrf(page.text), "reason": "credited by hand"})
    assert done.status_code == 200 and "No findings match" in done.text
    with Session(sqlite_engine) as session:
        stored = session.get(Finding, finding.id)
        assert stored.status == "resolved" and stored.resolved_by == "agent:alice"
    assert "credited by hand" in agent.get("/audit?status=resolved").text


def test_the_audit_page_needs_a_signed_in_agent(browser):
    assert browser.get("/audit", follow_redirects=False).status_code == 303
    assert browser.get("/audit.csv", follow_redirects=False).status_code == 303


def test_the_page_says_which_transfers_the_providers_could_not_cover(agent, sqlite_engine):
    from investigations.audit.models import AuditCursor

    assert "Not covered" not in agent.get("/audit").text
    with Session(sqlite_engine) as session:
        session.add(AuditCursor(chain="eth", height=1, uncovered="internal transfers: cannot trace"))
        session.commit()
    page = agent.get("/audit").text
    assert "Not covered by the configured providers" in page and "internal transfers: cannot trace" in page


def test_several_findings_are_resolved_with_one_reason_all_or_none(agent, app, sqlite_engine, chain):
    first = _finding(app, sqlite_engine, chain, payment_id=1)
    second = _finding(app, sqlite_engine, chain, payment_id=2, age=90)
    third = _finding(app, sqlite_engine, chain, payment_id=3)
    page = agent.get("/audit")
    assert page.text.count('form="bulk-resolve"') == 3
    csrf = _csrf(page.text)
    refused = agent.post("/audit/resolve", data={"csrf": csrf, "ids": [first.id, 999_999], "reason": "credited"})
    assert refused.status_code == 422 and "Finding 999999" in refused.text
    assert agent.get("/audit").text.count('form="bulk-resolve"') == 3  # nothing half-written
    done = agent.post("/audit/resolve", data={"csrf": csrf, "ids": [first.id, second.id], "reason": "credited by hand"})
    assert done.status_code == 200 and done.text.count('form="bulk-resolve"') == 1
    resolved = agent.get("/audit?status=resolved").text
    assert resolved.count("credited by hand") == 2 and "alice" in resolved  # who resolved, and when
    assert 'data-local="full"' in resolved
    with Session(sqlite_engine) as session:
        assert session.get(Finding, third.id).status == "open"


def test_the_page_shows_what_the_chain_paid_against_what_the_ledger_credited(agent, app, sqlite_engine, chain):
    _finding(app, sqlite_engine, chain)
    page = agent.get("/audit").text
    row = page.split('<table class="list" id="findings">', 1)[1]
    assert "Chain paid" in row and "Ledger credited" in row
    assert '<td class="num">0.015 BTC</td>' in row and '<td class="num">0 BTC</td>' in row
    assert '<td class="num difference"><strong>0.015 BTC</strong></td>' in row


def test_a_partial_credit_leaves_the_difference():
    from app.finance.views import paid_and_credited
    from investigations.models import Investigation

    finding = Finding(payment_id=1, chain="btc", tx_hash="ab" * 32, block_height=1, address=OURS, player_ref="p",
                      asset="BTC", amount_base_units=1_500_000, code="amount_mismatch")  # fmt: skip
    paid = [{"address": OURS, "asset": "BTC", "amount": "0.015", "ledger_credited": "0.01"}]
    record = Investigation(id="x", chain="btc", tx_hash="ab" * 32, code="amount_mismatch", final=True, verdict={},
                           evidence={"paid": paid}, status_token_hash="h", status_nonce="n")  # fmt: skip
    assert paid_and_credited(finding, record) == {
        "chain_paid": "0.015",
        "ledger_credited": "0.01",
        "difference": "0.005",
    }
    assert paid_and_credited(finding, None)["difference"] is None
