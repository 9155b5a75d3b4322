"""The whole loop in a real browser: an agent signs in, pastes a chat message, reads and copies the
verdict; the player opens the status link, sees it move from confirming to credited, switches
language. Screenshots land in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from investigations.models import Investigation
from investigations.types import utcnow
from tests.browser.conftest import PASSWORD
from tests.support.ledger import add_addresses, add_deposit, address

pytestmark = pytest.mark.browser
OURS = address("browser-p-1")
TIP = 850_010
PHONE = {"width": 390, "height": 844}


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.get_by_label("Agent name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_agent_to_player_loop(live_server, chromium, chain, sqlite_engine, artifacts):
    base, _app = live_server
    with Session(sqlite_engine) as session:
        add_addresses(session, (OURS, "p-1842"))
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)

    agent = chromium.new_context(viewport={"width": 1280, "height": 900})
    agent.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = agent.new_page()
    sign_in(page, base)
    message = f"Hello, I sent 0.015 BTC an hour ago and nothing arrived!! tx: https://mempool.space/tx/{tx['txid']}"
    page.get_by_label("Transaction hash, explorer link or the player's whole message").fill(message)
    page.get_by_label("Player reference (optional)").fill("p-1842")
    page.get_by_role("button", name="Investigate").click()
    card = page.locator("#verdict-card")
    card.wait_for()
    assert page.url.startswith(f"{base}/investigations/")  # no reload: the URL was replaced by script
    assert card.get_attribute("data-code") == "confirming"
    assert "Confirming" in card.locator("h2.verdict").inner_text()
    assert card.locator("progress").get_attribute("value") == "1"
    card.screenshot(path=str(artifacts / "verdict-card-desktop.png"))

    page.get_by_role("button", name="Copy EN").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#reply-en").input_value() and "1 of 2 confirmations" in copied
    status_url = page.locator("#status-url").input_value()
    assert status_url.startswith(f"{base}/s/")

    player = chromium.new_context(viewport=PHONE, locale="de-DE")
    status = player.new_page()
    status.goto(status_url)
    assert "Wird bestätigt" in status.locator("#state").inner_text()  # Accept-Language: de
    assert status.locator("progress").get_attribute("value") == "1"
    status.screenshot(path=str(artifacts / "status-confirming-phone.png"), full_page=True)

    # The chain advances and the ledger credits the deposit; the open page notices by itself.
    chain.confirm(tx["txid"], TIP - 5)
    with Session(sqlite_engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
        record = session.exec(select(Investigation)).one()
        record.next_check_at = utcnow() - timedelta(seconds=1)
        session.add(record)
        session.commit()
    status.locator('#status[data-final="true"]').wait_for(timeout=60_000)  # no eval (strict CSP); a minute: a margin
    assert "gutgeschrieben" in status.locator("#state").inner_text()
    status.screenshot(path=str(artifacts / "status-credited-phone.png"), full_page=True)

    status.get_by_role("link", name="RU").click()
    status.wait_for_url("**lang=ru")
    assert "Зачислено" in status.locator("#state").inner_text()
    status.set_viewport_size({"width": 1280, "height": 900})
    status.screenshot(path=str(artifacts / "status-credited-desktop-ru.png"), full_page=True)
    for secret in ("p-1842", OURS):
        assert secret not in status.content()
    player.close()
    agent.close()


def test_lookup_works_without_javascript(live_server, chromium, chain, sqlite_engine, artifacts):
    base, _app = live_server
    with Session(sqlite_engine) as session:
        add_addresses(session, (OURS, "p-1842"))
    tx = chain.build_tx([(OURS, 5_000)], height=TIP - 5)
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    sign_in(page, base)
    page.get_by_label("Transaction hash, explorer link or the player's whole message").fill(tx["txid"])
    page.get_by_role("button", name="Investigate").click()
    page.wait_for_url(f"{base}/investigations/*")
    assert page.locator("#verdict-card").get_attribute("data-code") == "below_minimum"
    assert "!" in page.locator("h2.verdict").inner_text()  # never colour alone: the needs-action symbol
    page.screenshot(path=str(artifacts / "verdict-card-phone-nojs.png"), full_page=True)
    page.get_by_role("link", name="Recent").click()
    assert tx["txid"][:10] in page.content()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    context.close()
