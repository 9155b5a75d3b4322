"""Limits that protect everyone: authentication before any parsing work, a body limit per route
family, the JSON depth scan off the event loop and correct against a reference."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.main import create_app
from app.runtime import limits
from app.runtime.accounts import add_agent
from app.runtime.limits import BodyLimits, BodyRule, too_deep
from tests.support.helpdesks import zendesk_headers

ZD_SECRET = "zendesk-signing-secret"


@pytest.fixture
def client(settings, sqlite_engine, chain):
    configured = settings.model_copy(
        update={
            "zendesk_base_url": "https://z.example",
            "zendesk_email": "e@example.com",
            "zendesk_api_token": "t",
            "zendesk_webhook_secrets": [ZD_SECRET],
        }
    )
    app = create_app(configured, engine=sqlite_engine)
    with Session(sqlite_engine) as session:
        _agent, token = add_agent(session, "alice")
    with TestClient(app) as test_client:
        test_client.token = token  # type: ignore[attr-defined]
        yield test_client


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\k'), inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(min_value=0, max_value=8))
def test_the_depth_scan_agrees_with_a_parser(value, limit):
    assert too_deep(json.dumps(value).encode(), limit) == (_depth(value) > limit)


def test_an_api_body_without_a_valid_token_is_never_read():
    """The ASGI receive channel is not touched: nothing is buffered, scanned or parsed."""
    read = []

    async def receive():
        read.append(True)
        return {"type": "http.request", "body": b"[" * 1000, "more_body": False}

    sent = []

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the route ran")

    middleware = BodyLimits(
        app,
        rules=[BodyRule("/api/", 10_000_000, bearer=True)],
        default=BodyRule("/", 1024),
        authenticate=lambda t: False,
    )
    for authorization in ([], [(b"authorization", b"Bearer dd_wrong")], [(b"authorization", b"Basic x")]):
        scope = {
            "type": "http",
            "method": "PUT",
            "path": "/api/deposits",
            "headers": authorization,
            "query_string": b"",
        }
        asyncio.run(middleware(scope, receive, send))
    assert read == [] and [m["status"] for m in sent if "status" in m] == [401, 401, 401]


def test_unsigned_webhooks_are_refused_before_any_scan_or_parse(client, monkeypatch):
    scanned = []
    monkeypatch.setattr("app.helpdesks.routes.too_deep", lambda *a: scanned.append(a) or False)
    monkeypatch.setattr(limits, "too_deep", lambda *a: scanned.append(a) or False)
    body = b"[" * 200_000
    response = client.post("/webhooks/zendesk", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and scanned == []
    signed = zendesk_headers(ZD_SECRET, b"[" * 100)
    assert client.post("/webhooks/zendesk", content=b"[" * 100, headers=signed).status_code == 422
    assert len(scanned) == 1  # scanned only once the signature held


def test_each_route_family_has_its_own_body_limit(client):
    settings = client.app.state.settings
    auth = {"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"}
    # Headers that may be authentic (a fresh signature) come first; then the route's size limit.
    headers = zendesk_headers(ZD_SECRET, b"x")
    webhook = client.post("/webhooks/zendesk", content=b" " * (settings.webhook_max_body_bytes + 1), headers=headers)
    assert webhook.status_code == 422 and str(settings.webhook_max_body_bytes) in webhook.json()["message"]
    unsigned = client.post("/webhooks/zendesk", content=b" " * (settings.webhook_max_body_bytes + 1))
    assert unsigned.status_code == 401  # authenticated before its size is even looked at
    lookup = client.post("/api/investigations", content=b" " * (settings.request_max_body_bytes + 1), headers=auth)
    assert lookup.status_code == 422 and str(settings.request_max_body_bytes) in lookup.json()["message"]
    upload = json.dumps([{"chain": "btc", "address": "x", "player_ref": "p" * 100}] * 1000)  # ~110 KB
    assert len(upload) > settings.request_max_body_bytes
    assert client.put("/api/deposit-addresses", content=upload, headers=auth).status_code == 422  # rows, not size
    assert "too large" not in client.put("/api/deposit-addresses", content=upload, headers=auth).text


def test_the_depth_scan_runs_off_the_event_loop(client, monkeypatch):
    threads = []
    real = limits.too_deep
    monkeypatch.setattr(limits, "too_deep", lambda *a: threads.append(threading.current_thread().name) or real(*a))
    auth = {"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"}
    client.put("/api/deposit-addresses", content=b"[]", headers=auth)
    loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
    assert threads and loop_thread not in threads


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/investigations/ab%00cd", {}),
        ("get", "/investigations?code=%00", {}),
        ("post", "/login", {"data": {"name": "al\x00ice", "password": "x"}}),
        ("post", "/lookup", {"data": {"text": "x", "player_ref": "p\x00"}}),
    ],
)
def test_a_nul_anywhere_in_a_request_is_a_422(client, method, path, kwargs):
    response = getattr(client, method)(path, headers={"Authorization": f"Bearer {client.token}"}, **kwargs)
    assert response.status_code == 422 and "NUL" in response.json()["message"]


def test_ledger_uploads_are_validated_off_the_event_loop(client, monkeypatch):
    from app.finance import api as routes
    from investigations.ledger import LedgerDepositRecord

    threads = []
    real = routes._LISTS[LedgerDepositRecord]

    class Spy:
        def validate_python(self, data):
            threads.append(threading.current_thread().name)
            return real.validate_python(data)

    monkeypatch.setitem(routes._LISTS, LedgerDepositRecord, Spy())
    auth = {"Authorization": f"Bearer {client.token}"}
    assert client.put("/api/deposits", json=[], headers=auth).status_code == 200
    loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
    assert threads and loop_thread not in threads


def test_the_upload_shapes_stay_documented(settings, sqlite_engine):
    app = create_app(settings.model_copy(update={"docs_enabled": True}), engine=sqlite_engine)
    spec = app.openapi()
    body = spec["paths"]["/api/deposits"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "array" and {"tx_hash", "amount", "player_ref"} <= set(body["items"]["properties"])
    assert "$ref" not in json.dumps(body)
