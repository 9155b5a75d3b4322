"""The side panel inside a helpdesk's frame, in a real browser: a page of an allowed origin
(EMBED_ORIGINS) frames /panel at 360 px and shows the ticket's card without overflowing; a page of
another origin is refused by the browser. Screenshot: tests/artifacts/side-panel-360.png."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session

from investigations.service import InvestigationRequest
from tests.browser.axe import violations
from tests.browser.test_browser import sign_in
from tests.support.ledger import add_addresses, address
from tests.support.net import free_port

pytestmark = pytest.mark.browser
TIP = 850_010
OURS = address("panel-p-1")


def _host(panel_url: str) -> Iterator[str]:
    """A stand-in for the helpdesk's page: it frames the panel 360 px wide."""
    page = (
        f'<!doctype html><title>helpdesk</title><iframe id="app" src="{panel_url}" width="360" height="700"></iframe>'
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def hosts(live_server):
    base, _app = live_server
    allowed, refused = _host(f"{base}/panel?helpdesk=zendesk&ticket=4711"), _host(f"{base}/panel?ticket=zendesk:4711")
    yield next(allowed), next(refused)
    for host in (allowed, refused):
        next(host, None)


def test_the_panel_in_an_allowed_frame_and_refused_in_another(
    live_server, hosts, chromium, chain, sqlite_engine, artifacts
):
    base, app = live_server
    allowed, refused = hosts
    app.state.settings = app.state.settings.model_copy(update={"embed_origins": [allowed]})
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    with Session(sqlite_engine) as session:
        add_addresses(session, (OURS, "p-1842"))
        request = InvestigationRequest(tx["txid"], None, None, None, "zendesk:4711", channel="zendesk")
        app.state.investigator.investigate(session, request)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base)

    page.goto(allowed)
    page.wait_for_load_state("load")
    frame = page.frame_locator("#app")
    card = frame.locator("#verdict-card")
    card.wait_for()
    assert card.get_attribute("data-code") == "confirmed_not_credited" and frame.locator("#needs-action").is_visible()
    inner = next(f for f in page.frames if f.url.startswith(f"{base}/panel"))
    assert inner.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0  # fits 360 px
    page.screenshot(path=str(artifacts / "side-panel-360.png"))
    assert violations(inner) == []  # axe-core inside the helpdesk's frame

    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
    page.goto(refused)
    page.wait_for_load_state("load")
    assert page.frame_locator("#app").locator("#verdict-card").count() == 0  # frame-ancestors refused it
    assert refusals and "frame-ancestors" in refusals[0]
    context.close()
