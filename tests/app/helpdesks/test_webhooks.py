"""Helpdesk webhooks: signatures, durable intake, notes written back once, follow-ups, faults."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.cli import main
from app.helpdesks.clients.signatures import standard
from app.helpdesks.models import TicketNote, WebhookDelivery
from app.main import create_app
from app.runtime.jobs import DEAD, DONE, Job, retry
from app.runtime.workers import recheck_round
from investigations.models import Investigation
from investigations.types import utcnow
from tests.support.asgi import raw_post
from tests.support.freshdesk_chatwoot import FakeChatwoot, FakeFreshdesk
from tests.support.helpdesks import (
    FakeZendesk,
    chatwoot_headers,
    standard_headers,
    zendesk_headers,
)
from tests.support.jobs import drain
from tests.support.ledger import add_addresses, add_deposit, address

OURS = address("webhook-p-1")
TIP = 850_010
ZD_SECRET, ZD_OLD_SECRET = "zendesk-signing-secret", "zendesk-old-secret"
CW_SECRET, FD_SECRET, STD_SECRET = "chatwoot-secret", "freshdesk-shared-secret", "whsec_" + "c2VjcmV0LWtleQ=="


@pytest.fixture
def desks(http_mock):
    zendesk, freshdesk, chatwoot = FakeZendesk(), FakeFreshdesk(), FakeChatwoot()
    for desk in (zendesk, freshdesk, chatwoot):
        desk.serve(http_mock)
    return {"zendesk": zendesk, "freshdesk": freshdesk, "chatwoot": chatwoot}


@pytest.fixture
def callbacks(http_mock):
    received = []

    def record(request):
        received.append(request)
        return 200, {}, "{}"

    http_mock.add_callback("POST", "https://receiver.example/depositdesk", callback=record)
    return received


@pytest.fixture
def app(settings, engine, chain, desks, callbacks):
    configured = settings.model_copy(
        update={
            "zendesk_base_url": desks["zendesk"].base,
            "zendesk_email": "bot@casino.example",
            "zendesk_api_token": "zt",
            "zendesk_webhook_secrets": [ZD_SECRET, ZD_OLD_SECRET],
            "zendesk_rate_limit": 1000,
            "freshdesk_base_url": desks["freshdesk"].base,
            "freshdesk_api_key": "fk",
            "freshdesk_webhook_secrets": [FD_SECRET],
            "chatwoot_base_url": desks["chatwoot"].base,
            "chatwoot_account_id": "7",
            "chatwoot_api_token": "ct",
            "chatwoot_webhook_secrets": [CW_SECRET],
            "webhook_secrets": [STD_SECRET],
            "webhook_callback_url": "https://receiver.example/depositdesk",
            "metrics_allow_ips": ["testclient"],  # the test client's address may scrape /metrics
        }
    )
    application = create_app(configured, engine=engine)
    with Session(engine) as session:
        add_addresses(session, (OURS, "p-1842"))
    return application


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def post_zendesk(client, ticket_id: str, *, invocation: str = "inv-1", secret: str = ZD_SECRET):
    body = json.dumps({"ticket_id": ticket_id}).encode()
    return client.post("/webhooks/zendesk", content=body, headers=zendesk_headers(secret, body, invocation=invocation))


# --- signatures ---------------------------------------------------------------------------------


def _stale() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))


def _future() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))


@pytest.mark.parametrize(
    ("name", "headers_for"),
    [
        ("wrong secret", lambda body: zendesk_headers("not-the-secret", body)),
        ("tampered body", lambda body: zendesk_headers(ZD_SECRET, body.replace(b'"1"', b'"2"'))),
        ("stale timestamp", lambda body: zendesk_headers(ZD_SECRET, body, timestamp=_stale())),
        ("future timestamp", lambda body: zendesk_headers(ZD_SECRET, body, timestamp=_future())),
        ("missing headers", lambda body: {"Content-Type": "application/json"}),
    ],
)
def test_bad_zendesk_signatures_are_a_bare_401(client, engine, name, headers_for):
    body = json.dumps({"ticket_id": "1"}).encode()
    response = client.post("/webhooks/zendesk", content=body, headers=headers_for(body))
    assert response.status_code == 401 and response.content == b""
    with Session(engine) as session:
        assert session.exec(select(WebhookDelivery)).all() == []


def test_rotated_secrets_are_both_accepted(client, desks):
    desks["zendesk"].ticket("5", "deposit", "no hash yet")
    desks["zendesk"].ticket("6", "deposit", "no hash yet")
    # Two tickets: one body signed twice in the same second would be one delivery (see the replay test).
    assert post_zendesk(client, "5", secret=ZD_OLD_SECRET, invocation="a").status_code == 202
    assert post_zendesk(client, "6", secret=ZD_SECRET, invocation="b").status_code == 202


@pytest.mark.parametrize("helpdesk", ["chatwoot", "generic", "freshdesk"])
def test_other_helpdesks_refuse_bad_signatures(client, helpdesk):
    body = json.dumps({"event": "message_created", "ticket_ref": "1", "text": "x"}).encode()
    good = {
        "chatwoot": chatwoot_headers(CW_SECRET, body),
        "generic": standard_headers(STD_SECRET, body),
        "freshdesk": {"X-Depositdesk-Secret": FD_SECRET},
    }[helpdesk]
    bad = {
        "chatwoot": chatwoot_headers("wrong", body),
        "generic": standard_headers("whsec_d3Jvbmc=", body),
        "freshdesk": {"X-Depositdesk-Secret": "wrong"},
    }[helpdesk]
    tampered = client.post(f"/webhooks/{helpdesk}", content=body + b" ", headers=good).status_code
    assert tampered == 401 or helpdesk == "freshdesk"  # Freshdesk cannot sign: only its shared secret is checked
    assert client.post(f"/webhooks/{helpdesk}", content=body, headers=bad).status_code == 401
    assert client.post(f"/webhooks/{helpdesk}", content=body, headers={}).status_code == 401
    stale = {
        "chatwoot": chatwoot_headers(CW_SECRET, body, timestamp=str(int(time.time()) - 900)),
        "generic": standard_headers(STD_SECRET, body, timestamp=str(int(time.time()) - 900)),
        "freshdesk": {},
    }[helpdesk]
    assert client.post(f"/webhooks/{helpdesk}", content=body, headers=stale).status_code == 401


def test_unknown_helpdesk_and_bad_bodies(client):
    assert client.post("/webhooks/kayako", content=b"{}").status_code == 404
    body = b'{"ticket_id": "abc"}'
    response = client.post("/webhooks/zendesk", content=body, headers=zendesk_headers(ZD_SECRET, body))
    assert response.status_code == 422 and "ticket id" in response.json()["message"]


# --- the loop -----------------------------------------------------------------------------------


def test_zendesk_ticket_gets_one_private_note_with_the_verdict(client, app, chain, desks):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["zendesk"].ticket("101", "Deposit missing", f"Hi, I sent 0.015 BTC, txid {tx['txid']}, nothing arrived")
    response = post_zendesk(client, "101")
    assert response.status_code == 202
    drain(app)
    [note] = desks["zendesk"].private_notes("101")
    assert "Confirmed, not credited (confirmed_not_credited; final)" in note
    assert "Status link for the player: https://desk.example/s/" in note
    assert "Reply for the player (en):" in note and "[depositdesk " in note
    assert desks["zendesk"].tickets["101"]["tags"] == ["deposit-confirmed-not-credited"]


def test_ten_duplicate_deliveries_make_one_note(client, app, chain, desks, engine):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["zendesk"].ticket("102", "Deposit", f"tx {tx['txid']}")
    answers = [post_zendesk(client, "102", invocation="same").status_code for _ in range(10)]
    assert answers == [202] + [200] * 9
    # The ticket also fires again on updates (new deliveries, same content): still one note.
    for index in range(10):
        post_zendesk(client, "102", invocation=f"update-{index}")
    drain(app)
    assert len(desks["zendesk"].private_notes("102")) == 1


def test_helpdesk_failing_then_rate_limiting_gets_exactly_one_note_once_it_recovers(client, app, chain, desks):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["zendesk"].ticket("103", "Deposit", f"tx {tx['txid']}")
    desks["zendesk"].faults.on_write = [(500, {}), (500, {}), (429, {"Retry-After": "1"}), (503, {})]
    desks["zendesk"].faults.lose_answer_after_write = 1  # then the write lands but its answer is lost
    post_zendesk(client, "103")
    drain(app, timeout=20)
    assert len(desks["zendesk"].private_notes("103")) == 1


def test_a_ticket_without_a_hash_gets_a_request_in_the_players_language(client, app, desks):
    desks["zendesk"].ticket("104", "Депозит", "Здравствуйте, я отправил биткоин, но баланс пустой")
    post_zendesk(client, "104", invocation="a")
    post_zendesk(client, "104", invocation="b")
    drain(app)
    [note] = desks["zendesk"].private_notes("104")
    assert "хеш транзакции" in note and desks["zendesk"].tickets["104"]["tags"] == ["deposit-no-hash"]


def test_several_hashes_make_several_notes(client, app, chain, desks):
    first = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    second = chain.build_tx([(OURS, 2_500_000)], height=TIP)
    desks["zendesk"].ticket("105", "two deposits", f"first {first['txid']} and second {second['txid']}")
    post_zendesk(client, "105")
    drain(app)
    notes = desks["zendesk"].private_notes("105")
    assert (
        len(notes) == 2 and any("confirming" in n for n in notes) and any("confirmed_not_credited" in n for n in notes)
    )


def test_a_pending_deposit_gets_one_follow_up_note_when_it_settles(client, app, chain, desks, engine):
    tx = chain.build_tx([(OURS, 1_500_000)])
    desks["zendesk"].ticket("106", "Deposit", f"tx {tx['txid']}")
    with Session(engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
    post_zendesk(client, "106")
    drain(app)
    assert len(desks["zendesk"].private_notes("106")) == 1

    def due_now():
        with Session(engine) as session:
            for record in session.exec(select(Investigation)).all():
                record.next_check_at = utcnow() - timedelta(seconds=1)
                session.add(record)
            session.commit()

    due_now()
    recheck_round(engine, app.state.investigator, app.state.work)
    drain(app)
    assert len(desks["zendesk"].private_notes("106")) == 1  # still pending: nothing new to say
    chain.confirm(tx["txid"], TIP - 5)
    due_now()
    recheck_round(engine, app.state.investigator, app.state.work)
    drain(app)
    notes = desks["zendesk"].private_notes("106")
    assert len(notes) == 2 and "update: Pending (in mempool) → Credited" in notes[1]


def test_a_deposit_that_never_settles_gets_a_last_note_to_escalate(client, app, chain, desks, engine):
    desks["zendesk"].ticket("107", "Deposit", "tx " + "ee" * 32)
    post_zendesk(client, "107")
    drain(app)
    with Session(engine) as session:
        record = session.exec(select(Investigation)).one()
        record.created_at = utcnow() - timedelta(days=4)
        record.next_check_at = utcnow() - timedelta(seconds=1)
        session.add(record)
        session.commit()
    recheck_round(engine, app.state.investigator, app.state.work)
    drain(app)
    notes = desks["zendesk"].private_notes("107")
    assert len(notes) == 2 and "escalate" in notes[1]


def test_chatwoot_message_gets_a_private_note_and_our_own_notes_are_ignored(client, app, chain, desks):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    message = {
        "event": "message_created",
        "id": 55,
        "message_type": "incoming",
        "private": False,
        "content": f"deposit not arrived {tx['txid']}",
        "conversation": {"id": 12},
        "account": {"id": 7, "name": "Casino"},
    }
    body = json.dumps(message).encode()
    assert client.post("/webhooks/chatwoot", content=body, headers=chatwoot_headers(CW_SECRET, body)).status_code == 202
    drain(app)
    [note] = desks["chatwoot"].messages["12"]
    assert note["private"] is True and "confirming" in note["content"]
    assert desks["chatwoot"].labels["12"] == ["deposit-confirming"]
    echo = json.dumps(
        {**message, "id": 56, "message_type": "outgoing", "private": True, "content": note["content"]}
    ).encode()
    response = client.post(
        "/webhooks/chatwoot", content=echo, headers=chatwoot_headers(CW_SECRET, echo, delivery="d-2")
    )
    assert response.status_code == 200 and response.json()["status"] == "ignored"


def test_freshdesk_ticket_gets_a_private_note_and_keeps_its_tags(client, app, chain, desks):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["freshdesk"].ticket("77", "Einzahlung fehlt", f"Ich habe eingezahlt, tx {tx['txid']}")
    body = json.dumps({"freshdesk_webhook": {"ticket_id": 77}}).encode()
    assert (
        client.post("/webhooks/freshdesk", content=body, headers={"X-Depositdesk-Secret": FD_SECRET}).status_code == 202
    )
    drain(app)
    [note] = desks["freshdesk"].notes
    assert "Reply for the player (de):" in note["body_text"]
    assert desks["freshdesk"].tickets["77"]["tags"] == ["deposit-confirmed-not-credited", "vip"]


def test_generic_webhook_gets_a_signed_callback(client, app, chain, callbacks):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    body = json.dumps({"ticket_ref": "T-9", "text": f"my deposit {tx['txid']}"}).encode()
    assert client.post("/webhooks/generic", content=body, headers=standard_headers(STD_SECRET, body)).status_code == 202
    drain(app)
    [callback] = callbacks
    assert standard(
        [STD_SECRET],
        callback.headers["webhook-id"],
        callback.headers["webhook-timestamp"],
        callback.headers["webhook-signature"],
        callback.body,
        utcnow(),
    )
    payload = json.loads(callback.body)
    assert payload["ticket_ref"] == "T-9" and payload["code"] == "confirmed_not_credited"


def test_a_note_the_helpdesk_refuses_is_dead_lettered_and_can_be_retried(
    client, app, chain, desks, engine, tmp_path, monkeypatch
):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["zendesk"].ticket("108", "Deposit", f"tx {tx['txid']}")
    desks["zendesk"].faults.on_write = [(403, {})]
    post_zendesk(client, "108")
    drain(app)
    with Session(engine) as session:
        [dead] = session.exec(select(Job).where(Job.status == DEAD)).all()
        note = session.exec(select(TicketNote)).one()
    assert dead.kind == "note" and "403" in dead.last_error and note.status == "pending"
    metrics = client.get("/metrics").text
    assert 'depositdesk_jobs{status="dead"} 1.0' in metrics
    assert "depositdesk_webhooks_total" in metrics
    if engine.dialect.name == "sqlite":
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATABASE_URL", str(engine.url))
        listing = CliRunner().invoke(main, ["jobs", "list", "--dead"])
        assert listing.exit_code == 0 and f"{dead.id:>7}  note" in listing.output
        assert CliRunner().invoke(main, ["jobs", "retry", str(dead.id)]).exit_code == 0
    else:
        with Session(engine) as session:
            retry(session, dead.id)
    drain(app)
    assert len(desks["zendesk"].private_notes("108")) == 1
    with Session(engine) as session:
        assert session.get(Job, dead.id).status == DONE


# --- authenticated on the headers before the body is read ----------------------------------------


BIG = b"[" * 5_000_000


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/webhooks/freshdesk", {"X-Depositdesk-Secret": "not-the-secret"}),
        ("/webhooks/freshdesk", {}),
        ("/webhooks/zendesk", {}),  # no signature headers at all
        ("/webhooks/zendesk", {"X-Zendesk-Webhook-Signature": "x", "X-Zendesk-Webhook-Signature-Timestamp": "1"}),
        ("/webhooks/chatwoot", {"X-Chatwoot-Signature": "sha256=00", "X-Chatwoot-Timestamp": "1"}),
        ("/webhooks/generic", {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,x"}),
        ("/webhooks/generic", {}),
    ],
)
def test_a_delivery_whose_headers_already_fail_is_a_401_before_a_byte_is_read(app, path, headers):
    sent = {"content-type": "application/json", "content-length": str(len(BIG)), **headers}
    assert raw_post(app, path, sent, BIG) == (401, 0)


def test_an_unknown_helpdesk_is_a_404_before_a_byte_is_read(app):
    assert raw_post(app, "/webhooks/nosuchdesk", {"content-length": str(len(BIG))}, BIG) == (404, 0)


def test_a_delivery_with_the_right_shared_secret_is_read_up_to_the_route_limit_only(app):
    headers = {"X-Depositdesk-Secret": FD_SECRET, "content-length": str(len(BIG))}
    status, reads = raw_post(app, "/webhooks/freshdesk", headers, BIG)
    assert status == 422 and reads == 0  # over WEBHOOK_MAX_BODY_BYTES: refused on its declared length
    status, reads = raw_post(app, "/webhooks/freshdesk", {"X-Depositdesk-Secret": FD_SECRET}, b'{"ticket_id": 1}')
    assert status == 202 and reads == 1


def test_a_signed_delivery_that_is_not_json_is_a_422_in_the_documented_shape(client):
    body = b"not json"
    response = client.post("/webhooks/zendesk", content=body, headers=zendesk_headers(ZD_SECRET, body))
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body"] and "not JSON" in detail["msg"] and detail["type"] == "value_error"
    assert response.json()["message"] == detail["msg"]
