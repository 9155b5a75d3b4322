"""Webhook secrets as the official Standard Webhooks library reads them, every secret checked at
start-up, and replays of a captured request under a fresh delivery id recognised."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from app.helpdesks.clients import signatures
from app.helpdesks.models import WebhookDelivery
from app.main import create_app
from app.runtime.jobs import Job
from app.settings import SettingsError, load_settings
from tests.support.helpdesks import chatwoot_headers, zendesk_headers

KEYS = st.binary(min_size=1, max_size=64)
FORMS = st.sampled_from(["prefixed", "prefixed-unpadded", "bare", "bare-unpadded"])


def _secret(key: bytes, form: str) -> str:
    encoded = base64.b64encode(key).decode()
    if form.endswith("unpadded"):
        encoded = encoded.rstrip("=")
    return ("whsec_" if form.startswith("prefixed") else "") + encoded


@settings(max_examples=200, deadline=None)
@given(KEYS, FORMS, st.text(max_size=200))
def test_signatures_match_the_official_library(key, form, text):
    secret = _secret(key, form)
    now = int(time.time())
    official = Webhook(secret).sign("msg_1", datetime.fromtimestamp(now, tz=UTC), text)
    assert signatures.standard_sign(secret, "msg_1", str(now), text.encode()) == official
    assert signatures.standard([secret], "msg_1", str(now), official, text.encode(), datetime.now(UTC))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_-!é", max_size=20))
def test_secrets_are_accepted_exactly_when_the_library_accepts_them(text):
    for secret in (text, "whsec_" + text):
        try:
            official = Webhook(secret)._whsecret
        except Exception:  # noqa: BLE001 - the library refuses it one way or another
            official = None
        try:
            ours = signatures.standard_key(secret)
        except ValueError:
            ours = None
        assert ours == official


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEBHOOK_SECRETS", "whsec_a"),
        ("WEBHOOK_SECRETS", "whsec_"),
        ("WEBHOOK_SECRETS", "whsec_ключ"),
        ("ZENDESK_WEBHOOK_SECRETS", "short"),
        ("CHATWOOT_WEBHOOK_SECRETS", "changeme"),
        ("FRESHDESK_WEBHOOK_SECRETS", "has a space in it"),
    ],
)
def test_nonsense_secrets_stop_the_service_naming_the_variable(monkeypatch, variable, value):
    companions = {  # everything else a helpdesk needs, so only the secret can be wrong
        "ZENDESK_BASE_URL": "https://z.example",
        "ZENDESK_EMAIL": "bot@example.com",
        "ZENDESK_API_TOKEN": "t",
        "CHATWOOT_BASE_URL": "https://c.example",
        "CHATWOOT_ACCOUNT_ID": "1",
        "CHATWOOT_API_TOKEN": "t",
        "FRESHDESK_BASE_URL": "https://f.example",
        "FRESHDESK_API_KEY": "k",
    }
    for name, companion in companions.items():
        monkeypatch.setenv(name, companion)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable) as refused:
        load_settings(_env_file=None)
    assert "secret" in str(refused.value) and value not in str(refused.value)


def test_an_unpadded_whsec_secret_verifies_instead_of_crashing(settings, sqlite_engine, chain):
    key = b"an unpadded key!!"
    secret = "whsec_" + base64.b64encode(key).decode().rstrip("=")
    app = create_app(settings.model_copy(update={"webhook_secrets": [secret]}), engine=sqlite_engine)
    body = json.dumps({"ticket_ref": "T-1", "text": "hello"}).encode()
    now = int(time.time())
    signature = Webhook(secret).sign("msg_9", datetime.fromtimestamp(now, tz=UTC), body.decode())
    headers = {"webhook-id": "msg_9", "webhook-timestamp": str(now), "webhook-signature": signature}
    with TestClient(app) as client:
        assert client.post("/webhooks/generic", content=body, headers=headers).status_code == 202


@pytest.fixture
def desks_app(settings, engine, chain):
    configured = settings.model_copy(
        update={
            "zendesk_base_url": "https://z.example",
            "zendesk_email": "bot@example.com",
            "zendesk_api_token": "zt",
            "zendesk_webhook_secrets": ["zendesk-signing-secret"],
            "chatwoot_base_url": "https://c.example",
            "chatwoot_account_id": "7",
            "chatwoot_api_token": "ct",
            "chatwoot_webhook_secrets": ["chatwoot-signing-secret"],
        }
    )
    with TestClient(create_app(configured, engine=engine)) as client:
        yield client


def test_a_replay_under_a_fresh_delivery_id_is_a_duplicate(desks_app, engine):
    body = json.dumps({"ticket_id": "42"}).encode()
    first = zendesk_headers("zendesk-signing-secret", body, invocation="inv-original")
    replay = {**first, "X-Zendesk-Webhook-Invocation-Id": "inv-forged-fresh"}
    assert desks_app.post("/webhooks/zendesk", content=body, headers=first).status_code == 202
    assert desks_app.post("/webhooks/zendesk", content=body, headers=replay).json() == {"status": "duplicate"}
    message = json.dumps(
        {
            "event": "message_created",
            "message_type": "incoming",
            "id": 5,
            "content": "tx?",
            "conversation": {"id": 9},
            "account": {"id": 7},
        }
    ).encode()
    signed = chatwoot_headers("chatwoot-signing-secret", message, delivery="d-original")
    assert desks_app.post("/webhooks/chatwoot", content=message, headers=signed).status_code == 202
    again = {**signed, "X-Chatwoot-Delivery": "d-forged-fresh"}
    assert desks_app.post("/webhooks/chatwoot", content=message, headers=again).json() == {"status": "duplicate"}
    with Session(engine) as session:
        assert len(session.exec(select(WebhookDelivery)).all()) == 2
        assert len(session.exec(select(Job)).all()) == 2


def test_a_later_update_of_the_same_ticket_is_a_new_delivery(desks_app):
    body = json.dumps({"ticket_id": "42"}).encode()
    headers = zendesk_headers("zendesk-signing-secret", body, invocation="inv-2")
    assert desks_app.post("/webhooks/zendesk", content=body, headers=headers).status_code == 202
    time.sleep(1.1)  # Zendesk timestamps have seconds: the next update of the ticket is signed anew
    later = zendesk_headers("zendesk-signing-secret", body, invocation="inv-3")
    assert desks_app.post("/webhooks/zendesk", content=body, headers=later).status_code == 202


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"ticket_ref": "T-\u00001", "text": "hi"}, "NUL"),
        ({"ticket_ref": "T-1", "text": "tx \u0000"}, "NUL"),
        ({"ticket_ref": "T" * 101, "text": "hi"}, "longer than 100"),
    ],
)
def test_a_delivery_no_record_can_hold_is_a_422_on_every_database(settings, engine, chain, body, says):
    secret = "whsec_" + base64.b64encode(b"generic-secret-key").decode()
    app = create_app(settings.model_copy(update={"webhook_secrets": [secret]}), engine=engine)
    raw = json.dumps(body).encode()
    now = int(time.time())
    signature = Webhook(secret).sign("msg_nul", datetime.fromtimestamp(now, tz=UTC), raw.decode())
    headers = {"webhook-id": "msg_nul", "webhook-timestamp": str(now), "webhook-signature": signature}
    with TestClient(app) as client:
        response = client.post("/webhooks/generic", content=raw, headers=headers)
    assert response.status_code == 422 and says in response.json()["message"]
    with Session(engine) as session:
        assert session.exec(select(WebhookDelivery)).all() == []
