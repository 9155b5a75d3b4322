"""A search from the lookup form in a real browser: only a player entered, the candidates come back
as compact verdict rows without a page reload. Screenshot in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from investigations.types import utcnow
from tests.browser.axe import violations
from tests.browser.test_browser import sign_in
from tests.support.ledger import add_addresses, add_deposit, address

pytestmark = pytest.mark.browser
TIP = 850_010
FIRST, SECOND = address("browser-search-1"), address("browser-search-2")


def test_a_player_entered_alone_lists_their_payments_uncredited_first(
    live_server, chromium, chain, sqlite_engine, artifacts
):
    base, _app = live_server
    chain.recent_blocks(utcnow())
    credited = chain.build_tx([(FIRST, 2_000_000)], height=TIP - 30)
    missing = chain.build_tx([(SECOND, 1_500_000)], height=TIP - 4)
    pending = chain.build_tx([(FIRST, 500_000)])
    with Session(sqlite_engine) as session:
        add_addresses(session, (FIRST, "p-77"), (SECOND, "p-77"))
        add_deposit(session, credited["txid"], FIRST, "0.02", "p-77")

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base)
    page.get_by_label("Player reference (optional)").fill("p-77")
    page.get_by_role("button", name="Investigate").click()
    table = page.locator("#candidates")
    table.wait_for()

    assert "/searches/" in page.url  # replaced by script: no reload
    rows = table.locator("tbody tr")
    assert [rows.nth(i).get_attribute("data-code") for i in range(rows.count())] == [
        "confirmed_not_credited",
        "pending",
        "credited",
    ]
    assert missing["txid"][:10] in rows.nth(0).inner_text() and pending["txid"][:10] in rows.nth(1).inner_text()
    assert page.locator("#search-result").get_by_text("Confirmed but not credited:").is_visible()
    assert rows.nth(0).locator("input").input_value().startswith(f"{base}/s/")
    page.locator("#search-result").screenshot(path=str(artifacts / "search-candidates.png"))
    assert violations(page) == []  # axe-core on the lookup page with its search results
    context.close()
