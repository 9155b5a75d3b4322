"""The whole loop against fakes that behave like the real APIs: long tickets, lost answers, tag
writes that fail once, Chatwoot deliveries of every version and account, Freshdesk's own bodies."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.helpdesks.models import TicketNote
from app.main import create_app
from app.runtime.jobs import Job
from tests.app.helpdesks.test_webhooks import drain, post_zendesk
from tests.support.freshdesk_chatwoot import FakeChatwoot, FakeFreshdesk
from tests.support.helpdesks import FakeZendesk, chatwoot_headers
from tests.support.ledger import add_addresses, address

OURS = address("write-back-p-1")
TIP = 850_010
ZD_SECRET, CW_SECRET, FD_SECRET = "zendesk-signing-secret", "chatwoot-secret", "freshdesk-shared-secret"


@pytest.fixture
def desks(http_mock):
    zendesk, freshdesk, chatwoot = FakeZendesk(), FakeFreshdesk(), FakeChatwoot()
    for desk in (zendesk, freshdesk, chatwoot):
        desk.serve(http_mock)
    return {"zendesk": zendesk, "freshdesk": freshdesk, "chatwoot": chatwoot}


@pytest.fixture
def app(settings, engine, chain, desks):
    configured = settings.model_copy(
        update={
            "zendesk_base_url": desks["zendesk"].base,
            "zendesk_email": "bot@casino.example",
            "zendesk_api_token": "zt",
            "zendesk_webhook_secrets": [ZD_SECRET],
            "zendesk_rate_limit": 1000,
            "freshdesk_base_url": desks["freshdesk"].base,
            "freshdesk_api_key": "fk",
            "freshdesk_webhook_secrets": [FD_SECRET],
            "freshdesk_rate_limit": 1000,
            "freshdesk_update_rate_limit": 1000,
            "chatwoot_base_url": desks["chatwoot"].base,
            "chatwoot_account_id": "7",
            "chatwoot_api_token": "ct",
            "chatwoot_webhook_secrets": [CW_SECRET],
            "chatwoot_rate_limit": 1000,
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


def _chatwoot_message(content: str, **changes) -> dict:
    return {
        "event": "message_created",
        "id": 55,
        "message_type": "incoming",
        "private": False,
        "content": content,
        "conversation": {"id": 12},
        "account": {"id": 7, "name": "Casino"},
        **changes,
    }


def _post_chatwoot(client, message: dict, *, signed: bool = True, delivery: str = "d-1"):
    body = json.dumps(message).encode()
    headers = chatwoot_headers(CW_SECRET, body, delivery=delivery) if signed else {"Content-Type": "application/json"}
    return client.post("/webhooks/chatwoot", content=body, headers=headers)


def _post_freshdesk(client, body: bytes):
    return client.post("/webhooks/freshdesk", content=body, headers={"X-Depositdesk-Secret": FD_SECRET})


def test_a_ticket_with_150_comments_gets_its_note_from_the_latest_and_no_second_after_a_lost_answer(
    client, app, chain, desks
):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    zendesk = desks["zendesk"]
    zendesk.ticket("201", "Deposit", "my deposit is missing")
    for number in range(2, 150):
        zendesk.comment("201", f"still waiting ({number})")
    zendesk.comment("201", f"here is the txid {tx['txid']}")  # comment 150
    zendesk.faults.lose_answer_after_write = 1  # the note lands, its answer is lost: a crash before the ack
    post_zendesk(client, "201")
    drain(app)
    [note] = zendesk.private_notes("201")
    assert "confirmed_not_credited" in note
    assert zendesk.tickets["201"]["tags"] == ["deposit-confirmed-not-credited"]


@pytest.mark.parametrize("helpdesk", ["zendesk", "freshdesk", "chatwoot"])
def test_tags_end_up_on_the_ticket_after_a_failed_first_attempt(client, app, chain, desks, engine, helpdesk):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    fake = desks[helpdesk]
    fake.faults.on_tags = [(503, {})]
    if helpdesk == "zendesk":
        fake.ticket("202", "Deposit", f"tx {tx['txid']}")
        post_zendesk(client, "202")
    elif helpdesk == "freshdesk":
        fake.ticket("202", "Deposit", f"tx {tx['txid']}")
        _post_freshdesk(client, json.dumps({"freshdesk_webhook": {"ticket_id": 202}}).encode())
    else:
        _post_chatwoot(client, _chatwoot_message(f"tx {tx['txid']}", conversation={"id": 202}))
    drain(app)
    tags = {
        "zendesk": lambda: fake.tickets["202"]["tags"],
        "freshdesk": lambda: fake.tickets["202"]["tags"],
        "chatwoot": lambda: fake.labels["202"],
    }[helpdesk]()
    assert "deposit-confirmed-not-credited" in tags
    with Session(engine) as session:
        note = session.exec(select(TicketNote)).one()
        [job] = session.exec(select(Job).where(Job.kind == "note")).all()
    assert note.status == "written" and note.tags_status == "done" and job.attempts == 2
    notes = {
        "zendesk": lambda: fake.private_notes("202"),
        "freshdesk": lambda: fake.notes,
        "chatwoot": lambda: [m for m in fake.messages["202"] if m["private"]],
    }[helpdesk]()
    assert len(notes) == 1  # the retry added the tags and did not write the note again


def test_chatwoot_unsigned_deliveries_are_refused_with_a_line_naming_the_versions(client, caplog):
    with caplog.at_level(logging.WARNING):
        response = _post_chatwoot(client, _chatwoot_message("tx"), signed=False)
    assert response.status_code == 401
    assert any("v4.11.2" in r.getMessage() and "v4.13.0" in r.getMessage() for r in caplog.records)


def test_chatwoot_deliveries_of_another_account_are_ignored(client, app, desks, caplog):
    with caplog.at_level(logging.WARNING):
        response = _post_chatwoot(client, _chatwoot_message("tx " + "ab" * 32, account={"id": 8}))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert any("account 8" in r.getMessage() for r in caplog.records)
    missing = _post_chatwoot(client, _chatwoot_message("tx", account=None), delivery="d-2")
    assert missing.status_code == 422 and "account.id" in missing.json()["message"]
    drain(app)
    assert desks["chatwoot"].messages == {}


def test_freshdesk_simple_bodies_with_quotes_and_newlines_are_taken_and_repeats_are_not_dropped(
    client, app, chain, desks
):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["freshdesk"].ticket("203", "Deposit", f'He said "sent"\nI sent {tx["txid"]}')
    comment = 'I said "it is missing"\nand again: "missing"'
    body = json.dumps({"freshdesk_webhook": {"ticket_id": 203, "ticket_latest_public_comment": comment}}).encode()
    assert _post_freshdesk(client, body).status_code == 202
    assert _post_freshdesk(client, body).status_code == 202  # the same words again: a new delivery
    drain(app)
    assert len(desks["freshdesk"].notes) == 1  # and still one note for the ticket and its transaction


def test_freshdesk_deliveries_while_the_tickets_job_waits_add_no_job_and_lose_no_update(
    client, app, chain, desks, engine
):
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    freshdesk = desks["freshdesk"]
    freshdesk.ticket("204", "Deposit", "my deposit is missing")
    body = json.dumps({"freshdesk_webhook": {"ticket_id": 204}}).encode()
    assert _post_freshdesk(client, body).status_code == 202
    freshdesk.conversation("204", f"the txid is {tx['txid']}")  # the player adds the hash
    assert _post_freshdesk(client, body).status_code == 202

    def ticket_jobs() -> int:
        with Session(engine) as session:
            return len(session.exec(select(Job).where(Job.kind == "ticket")).all())

    assert ticket_jobs() == 1  # the queued job will read the ticket as it is when it runs
    drain(app)
    [note] = freshdesk.notes
    assert "confirmed_not_credited" in note["body_text"]
    assert _post_freshdesk(client, body).status_code == 202 and ticket_jobs() == 2  # none queued: a new one
