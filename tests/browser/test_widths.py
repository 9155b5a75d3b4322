"""Every page at 1280 px and on a 390 px phone (issue 30): nothing wider than the screen, a one-row
top bar on the phone, the needs-action badge where a person must act, the reply in the ticket's
language first, HTML for an unknown address. Screenshots of each page and width land in
tests/artifacts/ (git-ignored) so a reviewer sees them without running anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session

from investigations.audit.models import Finding
from investigations.service import InvestigationRequest
from investigations.types import utcnow
from tests.browser.axe import violations
from tests.browser.test_browser import sign_in
from tests.support import sla_history
from tests.support.ledger import add_addresses, add_deposit, address

pytestmark = pytest.mark.browser
TIP = 850_010
PAID, SHORT, MOVING = address("width-p-1"), address("width-p-2"), address("width-p-3")
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _world(app, engine, chain) -> dict[str, str]:
    """A verdict that needs action, an amount mismatch, a moving payment, a search, findings, SLA history."""
    unpaid = chain.build_tx([(PAID, 1_500_000)], height=TIP - 5)
    short = chain.build_tx([(SHORT, 2_500_000)], height=TIP - 5)
    moving = chain.build_tx([(MOVING, 700_000)], height=TIP)
    with Session(engine) as session:
        add_addresses(session, (PAID, "p-1842"), (SHORT, "p-2001"), (MOVING, "p-1842"))
        add_deposit(session, short["txid"], SHORT, "0.02", "p-2001")
        session.commit()
        investigator = app.state.investigator
        records = {
            "unpaid": investigator.investigate(session, InvestigationRequest(unpaid["txid"], PAID, "btc", "p-1842")),
            "short": investigator.investigate(session, InvestigationRequest(short["txid"], SHORT, "btc", "p-2001")),
            "moving": investigator.investigate(session, InvestigationRequest(moving["txid"], MOVING, "btc", "p-1842")),
        }
        for number, (name, amount) in enumerate([("unpaid", 1_500_000), ("short", 2_500_000)], start=1):
            record = records[name]
            session.add(
                Finding(
                    payment_id=number, chain="btc", tx_hash=record.tx_hash, block_height=TIP - 5,
                    address=record.address, player_ref=record.player_ref, asset="BTC", amount_base_units=amount,
                    code=record.code, investigation_id=record.id, found_at=utcnow() - timedelta(minutes=70 * number),
                )
            )  # fmt: skip
        sla_history.build(session)
        session.commit()
        tokens = {name: investigator.status_token(record) for name, record in records.items()}
        return {
            "unpaid": records["unpaid"].id,
            "short": records["short"].id,
            **{f"s_{k}": v for k, v in tokens.items()},
        }


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


WIDEST = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest('.scroll')))
  .slice(-5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))"""


def _fits(page, name: str) -> None:  # type: ignore[no-untyped-def]
    assert _overflow(page) <= 0, f"{name} is wider than the window: {page.evaluate(WIDEST)}"


def test_every_page_fits_the_phone_and_the_desktop(live_server, chromium, chain, sqlite_engine, artifacts):
    base, app = live_server
    ids = _world(app, sqlite_engine, chain)
    found: dict[str, list[str]] = {}  # axe-core's violations per page and width (none expected)
    agent_pages = {
        "card-needs-action": f"/investigations/{ids['unpaid']}?reply=ru",
        "card-amount-mismatch": f"/investigations/{ids['short']}",
        "investigations": "/investigations",
        "lookup": "/",
        "dashboard": "/dashboard?from=2026-11-20&to=2026-11-21",
        "audit": "/audit",
    }
    for width_name, viewport in WIDTHS.items():
        context = chromium.new_context(viewport=viewport)
        page = context.new_page()
        sign_in(page, base)
        for name, path in agent_pages.items():
            page.goto(f"{base}{path}")
            _fits(page, f"{name} at {viewport['width']} px")
            page.screenshot(path=str(artifacts / f"width-{name}-{width_name}.png"), full_page=True)
            found[f"{name} at {viewport['width']} px"] = violations(page)
            if width_name == "phone":
                assert page.locator(".topbar").bounding_box()["height"] < 64, f"{name}: the top bar takes rows"
        page.goto(f"{base}/investigations")
        first = page.locator("table.investigations tbody tr").first
        assert first.get_attribute("data-level") == "needs_action" and first.locator(".flag").count() == 1
        page.goto(f"{base}/audit")
        assert page.locator("#findings .flag").count() == 2
        page.goto(f"{base}/investigations/{ids['unpaid']}?reply=ru")
        card = page.locator("#verdict-card")
        assert card.locator("#needs-action").is_visible()
        assert card.locator("textarea").first.get_attribute("lang") == "ru"
        assert card.locator("textarea").first.is_visible() and not card.locator("#reply-en").is_visible()
        assert card.locator("#card-facts").inner_text().startswith("0.015 BTC")
        assert re.fullmatch(r"\d\d:\d\d|.*ago.*|.*now.*", card.locator("time[data-local=relative]").first.inner_text())
        page.goto(f"{base}/nowhere/at/all")
        assert page.locator("#http-error").is_visible() and _overflow(page) <= 0
        context.close()

        player = chromium.new_context(viewport=viewport, locale="ru-RU")
        status = player.new_page()
        for name in ("s_unpaid", "s_moving"):
            status.goto(f"{base}/s/{ids[name]}")
            _fits(status, f"status page {name} at {viewport['width']} px")
            status.screenshot(path=str(artifacts / f"width-status-{name[2:]}-{width_name}.png"), full_page=True)
            found[f"status page {name} at {viewport['width']} px"] = violations(status)
        assert status.locator("#eta").is_visible()  # beside the progress bar
        player.close()
    assert {page: problems for page, problems in found.items() if problems} == {}
