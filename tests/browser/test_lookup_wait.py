"""A lookup that takes a while says what it waits for and for how long (issue 30): the providers are
held (by an event, not a clock) until the page shows the waiting line, then answer; the card comes,
and the hash's copy button copies it."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from tests.browser.test_browser import sign_in
from tests.support.ledger import add_addresses, address

pytestmark = pytest.mark.browser
TIP = 850_010
OURS = address("wait-p-1")


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"lookup_budget_seconds": 120})  # held providers are not abandoned


def test_a_slow_lookup_shows_what_it_waits_for(live_server, chromium, chain, sqlite_engine):
    base, _app = live_server
    with Session(sqlite_engine) as session:
        add_addresses(session, (OURS, "p-1842"))
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    release = threading.Event()

    def held(request):  # type: ignore[no-untyped-def]
        if "/tx/" in request.url:
            release.wait(60)
        return None  # then answer as usual

    for host in ("esplora-one.test", "esplora-two.test"):
        chain.fault(host, held)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    try:
        sign_in(page, base)
        page.get_by_label("Transaction hash, explorer link or the player's whole message").fill(tx["txid"])
        page.get_by_role("button", name="Investigate").click()
        waiting = page.locator("#lookup-wait")
        waiting.wait_for(state="visible")
        assert "Waiting for the blockchain providers" in waiting.inner_text()
        assert waiting.inner_text().rstrip().endswith(" s")
        release.set()
        page.locator("#verdict-card").wait_for()
        assert page.locator("#lookup-wait").is_hidden()
        page.locator("#evidence > summary").click()  # the evidence is folded below the reply
        page.locator(f'#evidence button[data-copy-text="{tx["txid"]}"]').click()
        assert page.evaluate("navigator.clipboard.readText()") == tx["txid"]  # the hash's copy button
    finally:
        release.set()
        page.context.close()
