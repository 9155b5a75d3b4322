"""A ticket whose only link is to a test network gets an invalid_input note that says so."""

from __future__ import annotations

import json

from tests.app.helpdesks.test_webhooks import STD_SECRET, app, callbacks, client, desks, drain  # noqa: F401
from tests.support.helpdesks import standard_headers


def test_a_testnet_link_on_a_ticket_is_answered_invalid_input(client, app, chain, callbacks):  # noqa: F811
    text = "I paid! https://mempool.space/testnet/tx/" + "ab" * 32
    body = json.dumps({"ticket_ref": "T-test", "text": text}).encode()
    assert client.post("/webhooks/generic", content=body, headers=standard_headers(STD_SECRET, body)).status_code == 202
    drain(app)
    [callback] = callbacks
    payload = json.loads(callback.body)
    assert payload["code"] == "invalid_input" and payload["tags"] == ["deposit-invalid-input"]
    assert "test network" in payload["note"] and "testnet (mempool.space)" in payload["note"]
