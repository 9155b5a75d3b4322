"""Odd and hostile input found by review: each answers with a clear 4xx, never a 500 or a crash."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.runtime.accounts import add_agent, hash_password
from app.runtime.limits import too_deep
from tests.support.helpdesks import chatwoot_headers, zendesk_headers

PASSWORD = "correct horse battery"


@pytest.fixture
def client(settings, sqlite_engine, chain):
    app = create_app(
        settings.model_copy(
            update={
                "zendesk_base_url": "https://z.example",
                "zendesk_email": "e",
                "zendesk_api_token": "t",
                "zendesk_webhook_secrets": ["zs"],
                "chatwoot_base_url": "https://c.example",
                "chatwoot_account_id": "1",
                "chatwoot_api_token": "t",
                "chatwoot_webhook_secrets": ["cs"],
                "freshdesk_base_url": "https://f.example",
                "freshdesk_api_key": "k",
                "freshdesk_webhook_secrets": ["fs"],
                "login_rate_limit_per_ip": 60,
            }
        ),
        engine=sqlite_engine,
    )
    with Session(sqlite_engine) as session:
        add_agent(session, "alice", password_hash=hash_password(PASSWORD))
    with TestClient(app) as test_client:
        yield test_client


def _signed_in(client):
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"csrf": csrf, "name": "alice", "password": PASSWORD})
    return csrf


def test_deeply_nested_json_is_refused_before_parsing(client):
    with Session(client.app.state.engine) as session:
        _agent, token = add_agent(session, "deep")
    headers = {"Content-Type": "application/json"}
    # Without a token the body is not even read; with one, a deep upload is refused unparsed.
    assert client.put("/api/deposits", content=b"[" * 200_000, headers=headers).status_code == 401
    response = client.put(
        "/api/deposits", content=b"[" * 200_000, headers={**headers, "Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422 and "nested deeper" in response.json()["message"]
    assert too_deep(b'{"a": "[[[[[[[["}', 3) is False and too_deep(b"[[[[", 3) is True


def test_non_ascii_csrf_values_are_refused_not_crashing(client):
    _signed_in(client)
    assert client.post("/lookup", data={"csrf": "é", "text": "x"}).status_code == 403
    assert client.post("/lookup", data={"text": "x"}, headers={"X-CSRF-Token": b"\xe9"}).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "page=999999999999999999999",
        "page=abc",
        "page=-1",
        "code=<script>",
        "date_to=not-a-date",
    ],
)
def test_odd_list_filters_never_fail(client, query):
    _signed_in(client)
    assert client.get(f"/investigations?{query}").status_code in (200, 422)


@pytest.mark.parametrize(
    "body",
    [{"ticket_id": "1" * 300}, {"ticket_id": "１"}, {"ticket_id": True}, {"ticket": []}, [], None, {"ticket_id": 1.5}],
)
def test_zendesk_bodies_with_bad_ticket_ids_are_422(client, body):
    raw = json.dumps(body).encode()
    response = client.post("/webhooks/zendesk", content=raw, headers=zendesk_headers("zs", raw))
    assert response.status_code == 422
    assert "object has no attribute" not in response.text


def test_chatwoot_content_must_be_text(client):
    raw = json.dumps(
        {"event": "message_created", "message_type": "incoming", "content": {"a": 1}, "conversation": {"id": 3}}
    ).encode()
    assert client.post("/webhooks/chatwoot", content=raw, headers=chatwoot_headers("cs", raw)).status_code == 422


def test_non_utf8_webhook_body_is_422(client):
    raw = b'{"ticket_id": "\xff"}'
    assert client.post("/webhooks/zendesk", content=raw, headers=zendesk_headers("zs", raw)).status_code == 422


def test_sign_in_attempts_are_rate_limited(settings, sqlite_engine, chain):
    app = create_app(settings.model_copy(update={"login_rate_limit_per_ip": 3}), engine=sqlite_engine)
    with TestClient(app) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        codes = [
            client.post("/login", data={"csrf": csrf, "name": "alice", "password": "guess"}).status_code
            for _ in range(8)
        ]
    assert codes[0] == 401 and 429 in codes


def test_language_choice_is_remembered_whatever_its_case(client):
    from app.players.words import LANG_COOKIE, pick_language

    class Request:
        query_params = {"lang": "DE"}
        cookies: dict = {}
        headers: dict = {}

    assert pick_language(Request()) == "de" and LANG_COOKIE
