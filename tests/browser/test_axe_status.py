"""axe-core on the player's pages at 390 and 1280 px (issue 30): the status page and its 404."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from investigations.service import InvestigationRequest
from tests.browser.axe import violations
from tests.support.ledger import add_addresses, address

pytestmark = pytest.mark.browser
PAID = address("axe-p-1")


def test_the_status_page_and_its_404_have_no_axe_violations(live_server, chromium, chain, sqlite_engine, artifacts):
    base, app = live_server
    tx = chain.build_tx([(PAID, 1_500_000)], height=850_000)
    with Session(sqlite_engine) as session:
        add_addresses(session, (PAID, "p-1842"))
        session.commit()
        record = app.state.investigator.investigate(session, InvestigationRequest(tx["txid"], PAID, "btc", "p-1842"))
        token = app.state.investigator.status_token(record)
    for width in (390, 1280):
        context = chromium.new_context(viewport={"width": width, "height": 844})
        page = context.new_page()
        for name, path in (("status", f"/s/{token}"), ("status-404", "/s/" + "x" * 43)):
            page.goto(f"{base}{path}")
            page.screenshot(path=str(artifacts / f"axe-{name}-{width}.png"), full_page=True)
            assert violations(page) == [], f"{name} at {width} px"
        context.close()
