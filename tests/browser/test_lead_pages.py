"""The support lead's pages in a real browser: the SLA dashboard (charts render under the strict CSP,
tables below them) and the printable evidence page. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.browser.test_browser import sign_in
from tests.support import sla_history
from tests.support.ledger import add_addresses, add_deposit, address

pytestmark = pytest.mark.browser
OURS = address("browser-lead-p-1")
TIP = 850_010


def _watch_csp(page) -> list[str]:  # type: ignore[no-untyped-def]
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    return blocked


def test_dashboard_charts_render_with_their_tables(live_server, chromium, sqlite_engine, artifacts):
    base, _app = live_server
    with Session(sqlite_engine) as session:
        sla_history.build(session)
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    blocked = _watch_csp(page)
    sign_in(page, base)
    page.goto(f"{base}/dashboard?from=2026-11-20&to=2026-11-21")
    charts = page.locator("img.chart")
    assert charts.count() == 6
    widths = charts.evaluate_all("images => images.map(image => image.complete && image.naturalWidth)")
    assert all(width and width > 0 for width in widths)  # every SVG rendered
    assert page.get_by_role("table", name="Time to first note per day").locator("tr").count() == 4
    described = page.get_by_role("img", name="Webhook to first note on the ticket")  # its text alternative
    assert described.count() == 1 and "p95 109.5 s" in described.get_attribute("alt")
    assert blocked == []
    page.screenshot(path=str(artifacts / "dashboard-desktop.png"), full_page=True)


def test_printable_evidence_page(live_server, chromium, chain, sqlite_engine, artifacts, tmp_path):
    base, app = live_server
    app.state.settings = app.state.settings.model_copy(update={"evidence_key_file": str(tmp_path / "evidence.pem")})
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 3)
    with Session(sqlite_engine) as session:
        add_addresses(session, (OURS, "p-77"))
        add_deposit(session, tx["txid"], OURS, "0.015", "p-77")
        session.commit()
    page = chromium.new_context(viewport={"width": 1000, "height": 1400}).new_page()
    blocked = _watch_csp(page)
    sign_in(page, base)
    page.get_by_label("Transaction hash, explorer link or the player's whole message").fill(tx["txid"])
    page.get_by_role("button", name="Investigate").click()
    page.locator("#verdict-card").wait_for()
    page.get_by_role("link", name="Evidence file").click()
    page.get_by_role("heading", name="Deposit evidence").wait_for()
    assert page.get_by_role("heading", name="Providers' answers as received").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()  # the print CSS hides the navigation
    assert blocked == []
    page.screenshot(path=str(artifacts / "evidence-print.png"), full_page=True)
