"""The /audit page in a real browser: findings with totals, a filter, the verdict card behind a
finding, resolving one with a reason. Screenshot: tests/artifacts/audit.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from investigations.audit.models import Finding
from investigations.service import InvestigationRequest
from investigations.types import utcnow
from tests.browser.test_browser import sign_in
from tests.support.ledger import add_addresses, address

pytestmark = pytest.mark.browser
TIP = 850_010


def _findings(app, engine, chain) -> None:
    players = [("p-1842", 1_500_000, 95), ("p-2001", 2_500_000, 40), ("p-3100", 5_000, 12)]
    with Session(engine) as session:
        add_addresses(session, *[(address(f"audit-{p}"), p) for p, _, _ in players])
        for number, (player, amount, age) in enumerate(players, start=1):
            tx = chain.build_tx([(address(f"audit-{player}"), amount)], height=TIP - 5)
            request = InvestigationRequest(tx["txid"], address(f"audit-{player}"), "btc", player)
            record = app.state.investigator.investigate(session, request)
            session.add(
                Finding(
                    payment_id=number, chain="btc", tx_hash=tx["txid"], block_height=TIP - 5,
                    address=address(f"audit-{player}"), player_ref=player, asset="BTC", amount_base_units=amount,
                    code=record.code, investigation_id=record.id, found_at=utcnow() - timedelta(minutes=age),
                )
            )  # fmt: skip
        session.commit()


def test_the_audit_page_in_a_browser(live_server, chromium, chain, sqlite_engine, artifacts):
    base, app = live_server
    _findings(app, sqlite_engine, chain)
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base)
    page.get_by_role("link", name="Audit").click()
    page.wait_for_url(f"{base}/audit")
    rows = page.locator("#findings tbody tr")
    assert rows.count() == 3
    assert "1 h" in rows.nth(0).inner_text() and "p-1842" in rows.nth(0).inner_text()  # oldest first
    assert "0.04005 BTC" in page.locator("#totals").inner_text()
    page.screenshot(path=str(artifacts / "audit.png"), full_page=True)
    page.locator("select[name=code]").select_option("below_minimum")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#findings tbody tr").count() == 1 and "p-3100" in page.locator("#findings").inner_text()
    page.goto(f"{base}/audit")
    page.get_by_label("Reason to resolve finding 1").fill("credited by hand")
    page.locator("#findings tbody tr").nth(0).get_by_role("button", name="Resolve").click()
    page.wait_for_url(f"{base}/audit")
    assert page.locator("#findings tbody tr").count() == 2
    page.locator("#findings tbody tr").nth(0).get_by_role("link", name="verdict").click()
    page.locator("#verdict-card").wait_for()
    assert page.locator("#verdict-card").get_attribute("data-code") == "confirmed_not_credited"
