"""Public replies on tickets (issue 26), against each helpdesk's documented request and answer shapes
served with `responses`: Zendesk (a `public: true` comment; List Comments newest first), Freshdesk
(`POST /tickets/{id}/reply`; conversations with `private`/`incoming`), Chatwoot (an outgoing,
non-private message; `message_type` 0 incoming, 1 outgoing) and the generic callback (`"public": true`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
import responses
from sqlmodel import Session, select

from app.helpdesks.clients.chatwoot import Chatwoot
from app.helpdesks.clients.freshdesk import Freshdesk
from app.helpdesks.clients.generic import Generic
from app.helpdesks.clients.intercom import Intercom, sign
from app.helpdesks.clients.zendesk import Zendesk
from app.helpdesks.models import TicketNote
from app.helpdesks.note_job import NoteJob
from app.helpdesks.public_reply import NEEDS_AGENT_TAG, PublicReplies, ReplyPolicy, newer_than_our_reply
from app.runtime.workers import Worker
from investigations.models import Investigation

TICKET = "42"
MESSAGES = {
    "confirming": {
        "en": "Your deposit has 1 of 3 confirmations, about 20 minutes left.",
        "de": "1 von 3 Bestätigungen.",
    },
    "credited": {"en": "Your deposit is confirmed and credited; please refresh your balance.", "de": "Gutgeschrieben."},
    "confirmed_not_credited": {"en": "We are checking your deposit with finance.", "de": "Wir prüfen."},
}


@dataclass
class Thread:
    """One ticket's public and private messages, as (kind, body, public) where kind is player|agent|bot."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    public_posts: list[dict[str, Any]] = field(default_factory=list)
    lose_next_answer: bool = False

    def add(self, body: str, *, by: str, public: bool) -> dict[str, Any]:
        entry = {"id": len(self.messages) + 1, "body": body, "by": by, "public": public}
        self.messages.append(entry)
        return entry

    def post_public(self, request_body: dict[str, Any], text: str) -> tuple[int, dict, str] | None:
        self.add(text, by="bot", public=True)
        self.public_posts.append(request_body)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return 502, {}, "bad gateway"
        return None


def _zendesk(mock: responses.RequestsMock, thread: Thread) -> Zendesk:
    base = "https://casino.zendesk.example"

    def ticket(request):
        if request.method == "GET":
            return 200, {}, json.dumps({"ticket": {"id": 42, "requester_id": 7, "tags": thread.tags}})
        comment = json.loads(request.body)["ticket"]["comment"]
        if comment["public"] is True:
            lost = thread.post_public(comment, comment["body"])
            if lost:
                return lost
        else:
            assert comment["public"] is False
            thread.add(comment["body"], by="bot", public=False)
        return 200, {}, json.dumps({"ticket": {"id": 42}, "audit": {"id": 900 + len(thread.messages)}})

    def comments(request):
        listed = [
            {"id": m["id"], "body": m["body"], "public": m["public"], "author_id": 7 if m["by"] == "player" else 99}
            for m in reversed(thread.messages)
        ]
        return 200, {}, json.dumps({"comments": listed, "meta": {"has_more": False}, "links": {"next": None}})

    def tags(request):
        thread.tags = sorted(set(thread.tags) | set(json.loads(request.body or b"{}").get("tags") or []))
        return 200, {}, json.dumps({"tags": thread.tags})

    mock.add_callback(responses.GET, re.compile(base + r"/api/v2/tickets/42/comments\.json.*"), callback=comments)
    mock.add_callback(responses.GET, f"{base}/api/v2/tickets/42.json", callback=ticket)
    mock.add_callback(responses.PUT, f"{base}/api/v2/tickets/42.json", callback=ticket)
    mock.add_callback(responses.GET, f"{base}/api/v2/tickets/42/tags.json", callback=tags)
    mock.add_callback(responses.PUT, f"{base}/api/v2/tickets/42/tags.json", callback=tags)
    return Zendesk(base, "bot@casino.example", "token", ["zendesk-secret"], rate_per_second=1000)


def _freshdesk(mock: responses.RequestsMock, thread: Thread) -> Freshdesk:
    base = "https://casino.freshdesk.example"

    def conversations(request):
        listed = [
            {"id": m["id"], "body_text": m["body"], "body": m["body"], "private": not m["public"],
             "incoming": m["by"] == "player"}
            for m in thread.messages
        ]  # fmt: skip
        return 200, {}, json.dumps(listed)

    def reply(request):
        body = json.loads(request.body)
        assert set(body) == {"body"}
        lost = thread.post_public(body, body["body"].replace("<br>", "\n"))
        return lost or (201, {}, json.dumps({"id": 500 + len(thread.messages), "ticket_id": 42, "private": False}))

    def note(request):
        body = json.loads(request.body)
        assert body["private"] is True
        thread.add(body["body"].replace("<br>", "\n"), by="bot", public=False)
        return 201, {}, json.dumps({"id": 700 + len(thread.messages)})

    def ticket(request):
        if request.method == "PUT":
            thread.tags = json.loads(request.body)["tags"]
        return 200, {}, json.dumps({"id": 42, "tags": thread.tags})

    mock.add_callback(responses.GET, re.compile(base + r"/api/v2/tickets/42/conversations.*"), callback=conversations)
    mock.add_callback(responses.POST, f"{base}/api/v2/tickets/42/reply", callback=reply)
    mock.add_callback(responses.POST, f"{base}/api/v2/tickets/42/notes", callback=note)
    mock.add_callback(responses.GET, f"{base}/api/v2/tickets/42", callback=ticket)
    mock.add_callback(responses.PUT, f"{base}/api/v2/tickets/42", callback=ticket)
    return Freshdesk(base, "key", ["freshdesk-secret"], rate_per_second=1000, update_rate_per_second=1000)


def _chatwoot(mock: responses.RequestsMock, thread: Thread) -> Chatwoot:
    base = "https://chat.casino.example"
    conversation = f"{base}/api/v1/accounts/7/conversations/42"

    def messages(request):
        if request.method == "GET":
            listed = [
                {"id": m["id"], "content": m["body"], "private": not m["public"],
                 "message_type": 0 if m["by"] == "player" else 1}
                for m in thread.messages
            ]  # fmt: skip
            return 200, {}, json.dumps({"payload": listed})
        body = json.loads(request.body)
        assert body["message_type"] == "outgoing"
        if body["private"] is False:
            lost = thread.post_public(body, body["content"])
            if lost:
                return lost
        else:
            thread.add(body["content"], by="bot", public=False)
        return 200, {}, json.dumps({"id": 300 + len(thread.messages), "content": body["content"]})

    def labels(request):
        if request.method == "POST":
            thread.tags = json.loads(request.body)["labels"]
        return 200, {}, json.dumps({"payload": thread.tags})

    mock.add_callback(responses.GET, f"{conversation}/messages", callback=messages)
    mock.add_callback(responses.POST, f"{conversation}/messages", callback=messages)
    mock.add_callback(responses.GET, f"{conversation}/labels", callback=labels)
    mock.add_callback(responses.POST, f"{conversation}/labels", callback=labels)
    return Chatwoot(base, "7", "token", ["chatwoot-secret"], rate_per_second=1000)


def _intercom(mock: responses.RequestsMock, thread: Thread) -> Intercom:
    base = "https://api.intercom.example"

    def conversation(request):
        first, rest = thread.messages[0], thread.messages[1:]
        parts = [
            {"type": "conversation_part", "id": str(m["id"]), "part_type": "comment" if m["public"] else "note",
             "body": "<p>" + m["body"].replace("\n", "<br>") + "</p>",
             "author": {"type": "user" if m["by"] == "player" else "admin", "id": "1" if m["by"] == "bot" else "2"}}
            for m in rest
        ]  # fmt: skip
        body = {
            "type": "conversation", "id": "42",
            "source": {"type": "conversation", "body": f"<p>{first['body']}</p>", "author": {"type": "user", "id": "u"}},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts,
                                   "total_count": len(parts)},
            "tags": {"type": "tag.list", "tags": [{"type": "tag", "name": t} for t in thread.tags]},
        }  # fmt: skip
        return 200, {}, json.dumps(body)

    def reply(request):
        body = json.loads(request.body)
        assert body["type"] == "admin" and body["admin_id"] == "1" and body["message_type"] in ("note", "comment")
        text = body["body"].removeprefix("<p>").removesuffix("</p>").replace("<br>", "\n")
        if body["message_type"] == "comment":
            lost = thread.post_public(body, text)
            if lost:
                return lost
        else:
            thread.add(text, by="bot", public=False)
        return conversation(request)

    def tag(request):
        name = json.loads(request.body)["name"]
        return 200, {}, json.dumps({"type": "tag", "id": f"t-{name}", "name": name})

    def attach(request):
        body = json.loads(request.body)
        thread.tags = sorted(set(thread.tags) | {body["id"].removeprefix("t-")})
        return 200, {}, json.dumps({"type": "tag", "id": body["id"]})

    mock.add_callback(responses.GET, re.compile(base + r"/conversations/42(\?.*)?$"), callback=conversation)
    mock.add_callback(responses.POST, f"{base}/conversations/42/reply", callback=reply)
    mock.add_callback(responses.POST, f"{base}/tags", callback=tag)
    mock.add_callback(responses.POST, f"{base}/conversations/42/tags", callback=attach)
    return Intercom("token", ["intercom-client-secret"], "1", base_url=base, rate_per_second=1000)


DESKS = {"zendesk": _zendesk, "freshdesk": _freshdesk, "chatwoot": _chatwoot, "intercom": _intercom}


class _Links:
    def status_token(self, record: Investigation) -> str:
        return f"token-{record.id}"


def _record(session: Session, code: str, record_id: str = "inv1") -> Investigation:
    record = session.get(Investigation, record_id)
    verdict = {"code": code, "final": code != "confirming", "summary": f"internal reason for {code}",
               "action": "ledger row 17 for player p-1842", "player_message": MESSAGES[code]}  # fmt: skip
    if record is None:
        record = Investigation(
            id=record_id, chain="btc", tx_hash="ab" * 32, code=code, final=verdict["final"], verdict=verdict,
            evidence={"paid": [{"player_ref": "p-1842", "asset": "BTC", "amount": "0.01", "address": "bc1qours"}]}, status_token_hash=f"h-{record_id}", status_nonce="n",
        )  # fmt: skip
    record.code, record.verdict, record.final = code, verdict, verdict["final"]
    session.add(record)
    session.commit()
    return record


@dataclass
class World:
    desk_name: str
    thread: Thread
    notes: NoteJob
    engine: Any
    sequence: int = 0

    def verdict(self, code: str, *, previous: str | None = None) -> None:
        with Session(self.engine) as session:
            record = _record(session, code)
            self.sequence += 1
            self.notes.queue_verdict_note(
                session, self.desk_name, TICKET, record, "en", sequence=self.sequence, previous_code=previous
            )
            session.commit()

    def drain(self) -> None:
        worker = Worker(self.engine, {"note": self.notes}, base_delay=0)
        for _ in range(50):
            if not worker.run_once():
                return

    def public_from_bot(self) -> list[str]:
        return [m["body"] for m in self.thread.messages if m["by"] == "bot" and m["public"]]

    def private_notes(self) -> list[str]:
        return [m["body"] for m in self.thread.messages if not m["public"]]


def _world(name: str, http_mock, sqlite_engine, *, mode: str = "on", codes=("pending", "confirming", "credited")):
    thread = Thread()
    thread.add("I deposited, my balance shows nothing. txid abab…", by="player", public=True)
    desk = DESKS[name](http_mock, thread)
    notes = NoteJob({name: desk}, _Links(), "https://desk.example")  # type: ignore[arg-type]
    notes.public = PublicReplies(ReplyPolicy(mode, frozenset(codes), 2), {name: desk})
    return World(name, thread, notes, sqlite_engine)


@pytest.mark.parametrize("name", list(DESKS))
def test_confirming_gets_one_public_reply_then_one_follow_up_when_credited(name, http_mock, sqlite_engine) -> None:
    world = _world(name, http_mock, sqlite_engine)
    world.verdict("confirming")
    world.drain()
    assert len(world.public_from_bot()) == 1
    first = world.public_from_bot()[0]
    assert MESSAGES["confirming"]["en"] in first and "https://desk.example/s/token-inv1" in first
    assert "internal reason" not in first and "p-1842" not in first and "ledger" not in first
    assert any("answered the player publicly" in note for note in world.private_notes())
    world.verdict("credited", previous="confirming")
    world.drain()
    assert len(world.public_from_bot()) == 2
    assert MESSAGES["credited"]["en"] in world.public_from_bot()[1]
    world.drain()  # nothing left to post
    assert len(world.thread.public_posts) == 2


@pytest.mark.parametrize("name", list(DESKS))
def test_confirmed_not_credited_gets_a_note_and_no_public_word(name, http_mock, sqlite_engine) -> None:
    world = _world(name, http_mock, sqlite_engine, codes=("pending", "confirming", "credited"))
    world.verdict("confirmed_not_credited")
    world.drain()
    assert world.public_from_bot() == []
    assert any("confirmed_not_credited" in note for note in world.private_notes())


@pytest.mark.parametrize("name", list(DESKS))
def test_a_person_replying_in_between_silences_the_bot_for_good(name, http_mock, sqlite_engine) -> None:
    world = _world(name, http_mock, sqlite_engine)
    world.verdict("confirming")
    world.drain()
    world.thread.add("Hi, I am Anna from support, looking at it now.", by="agent", public=True)
    world.verdict("credited", previous="confirming")
    world.drain()
    assert len(world.public_from_bot()) == 1
    assert NEEDS_AGENT_TAG in world.thread.tags
    assert any("a person replied publicly" in note for note in world.private_notes())
    world.verdict("confirming", previous="credited")
    world.drain()
    assert len(world.public_from_bot()) == 1  # for good


@pytest.mark.parametrize("name", list(DESKS))
def test_a_later_code_that_needs_a_person_is_handed_over_not_said(name, http_mock, sqlite_engine) -> None:
    world = _world(name, http_mock, sqlite_engine)
    world.verdict("confirming")
    world.drain()
    world.verdict("confirmed_not_credited", previous="confirming")
    world.drain()
    assert len(world.public_from_bot()) == 1
    assert NEEDS_AGENT_TAG in world.thread.tags
    assert any("needs an agent" in note for note in world.private_notes())


@pytest.mark.parametrize("name", list(DESKS))
def test_a_retried_job_after_a_lost_answer_posts_once(name, http_mock, sqlite_engine) -> None:
    world = _world(name, http_mock, sqlite_engine)
    world.thread.lose_next_answer = True  # the reply lands, the answer is lost: the job is retried
    world.verdict("confirming")
    world.drain()
    assert len(world.thread.public_posts) == 1
    with Session(sqlite_engine) as session:
        reply = session.exec(select(TicketNote).where(TicketNote.marker.startswith("[depositdesk reply "))).one()
        assert reply.status == "written"


@pytest.mark.parametrize("name", list(DESKS))
def test_the_player_answering_the_bot_goes_to_a_person(name, http_mock, sqlite_engine) -> None:
    world = _world(name, http_mock, sqlite_engine)
    world.verdict("confirming")
    world.drain()
    world.thread.add("still not there", by="player", public=True)
    with Session(sqlite_engine) as session:
        world.notes.public.on_ticket_update(session, world.notes, name, TICKET)
        session.commit()
    world.drain()
    assert NEEDS_AGENT_TAG in world.thread.tags
    world.verdict("credited", previous="confirming")
    world.drain()
    assert len(world.public_from_bot()) == 1


def test_at_most_max_per_ticket_public_replies(http_mock, sqlite_engine) -> None:
    world = _world("zendesk", http_mock, sqlite_engine)
    for code, previous in [("pending", None), ("confirming", "pending"), ("credited", "confirming")]:
        MESSAGES.setdefault("pending", {"en": "Your deposit is in the mempool."})
        world.verdict(code, previous=previous)
        world.drain()
    assert len(world.public_from_bot()) == 2
    assert NEEDS_AGENT_TAG in world.thread.tags


def test_shadow_mode_records_and_never_posts(http_mock, sqlite_engine) -> None:
    world = _world("zendesk", http_mock, sqlite_engine, mode="shadow")
    world.verdict("confirming")
    world.drain()
    assert world.public_from_bot() == []
    with Session(sqlite_engine) as session:
        shadow = session.exec(select(TicketNote).where(TicketNote.status == "shadow")).one()
        assert MESSAGES["confirming"]["en"] in shadow.body and shadow.code == "confirming"


def test_a_code_the_casino_did_not_list_stays_private(http_mock, sqlite_engine) -> None:
    world = _world("zendesk", http_mock, sqlite_engine, codes=("credited",))
    world.verdict("confirming")
    world.drain()
    assert world.public_from_bot() == []


def test_the_generic_callback_says_public_true(http_mock) -> None:
    http_mock.add(responses.POST, "https://hooks.casino.example/depositdesk", status=204)
    desk = Generic("https://hooks.casino.example/depositdesk", ["whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    desk.write_reply("t-1", "Your deposit is credited.", {"marker": "[depositdesk reply inv1 #1]", "code": "credited"})
    sent = json.loads(http_mock.calls[-1].request.body)
    assert sent["public"] is True and sent["reply"] == "Your deposit is credited." and sent["ticket_ref"] == "t-1"


def test_our_own_messages_are_not_a_persons_reply() -> None:
    newest_first = [("agent", "thanks"), ("agent", "hello\n[depositdesk reply inv1 #1]"), ("agent", "earlier")]
    assert newer_than_our_reply(newest_first) == {"agent"}
    assert newer_than_our_reply([("agent", "[depositdesk reply inv1 #1]"), ("player", "old")]) == set()


def _intercom_event(topic: str, *, author: dict | None = None, event: str = "notif_1") -> bytes:
    parts = [{"type": "conversation_part", "id": "9", "part_type": "comment", "body": "<p>hi</p>", "author": author}]
    item = {"type": "conversation", "id": "42", "conversation_parts": {"conversation_parts": parts if author else []}}
    return json.dumps({"type": "notification_event", "id": event, "topic": topic, "app_id": "a86dr8yl",
                       "data": {"type": "notification_event_data", "item": item}}).encode()  # fmt: skip


def test_intercom_webhooks_are_checked_with_hmac_sha1_of_the_body() -> None:
    from datetime import UTC, datetime

    desk = Intercom("token", ["old-client-secret", "intercom-client-secret"], "1")
    body = _intercom_event("conversation.user.replied")
    now = datetime.now(UTC)
    assert desk.verify({"X-Hub-Signature": sign("intercom-client-secret", body)}, body, now)
    assert desk.verify({"x-hub-signature": sign("old-client-secret", body)}, body, now)  # rotation
    assert not desk.verify({"X-Hub-Signature": sign("intercom-client-secret", body + b" ")}, body, now)
    assert not desk.verify({"X-Hub-Signature": "sha1=" + "0" * 40}, body, now)
    assert not desk.verify({}, body, now)


def test_intercom_events_become_deliveries_and_our_echoes_are_ignored() -> None:
    desk = Intercom("token", ["intercom-client-secret"], "1")
    delivery = desk.parse({}, _intercom_event("conversation.user.replied", event="notif_7"))
    assert delivery is not None and delivery.ticket_ref == "42" and delivery.delivery_id == "notif_7"
    assert desk.parse({}, _intercom_event("conversation.admin.replied", author={"type": "admin", "id": "1"})) is None
    person = desk.parse({}, _intercom_event("conversation.admin.replied", author={"type": "admin", "id": "2"}))
    assert person is not None and person.public_reply_by == "agent"
    assert delivery.public_reply_by == "player"
    assert desk.parse({}, _intercom_event("ping")) is None
    with pytest.raises(ValueError):
        desk.parse({}, b'{"type": "something else"}')


def test_a_webhook_saying_a_person_replied_silences_the_bot_before_its_first_word(http_mock, sqlite_engine) -> None:
    world = _world("zendesk", http_mock, sqlite_engine)
    with Session(sqlite_engine) as session:
        world.notes.public.on_ticket_update(session, world.notes, "zendesk", TICKET, "agent")
        session.commit()
    world.verdict("confirming")
    world.drain()
    assert world.public_from_bot() == []
    assert NEEDS_AGENT_TAG in world.thread.tags


def test_the_generic_webhook_can_say_who_replied() -> None:
    desk = Generic(None, ["whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    body = json.dumps({"ticket_ref": "t-1", "text": "hi", "public_reply_by": "agent"}).encode()
    assert desk.parse({"webhook-id": "msg_1"}, body).public_reply_by == "agent"
    assert desk.parse({"webhook-id": "msg_1"}, b'{"ticket_ref": "t-1", "text": "hi"}').public_reply_by is None
    with pytest.raises(ValueError, match="public_reply_by"):
        desk.parse({"webhook-id": "msg_1"}, b'{"ticket_ref": "t-1", "text": "hi", "public_reply_by": "bot"}')


@pytest.mark.parametrize("name", [n for n in DESKS if n != "generic"])
def test_shadow_mode_keeps_the_agents_first_public_reply_for_the_dashboard(name, http_mock, sqlite_engine) -> None:
    from app.helpdesks.public_reply import AGENT_REPLY_MARKER

    world = _world(name, http_mock, sqlite_engine, mode="shadow")
    world.verdict("confirming")
    world.drain()
    with Session(sqlite_engine) as session:
        world.notes.public.on_ticket_update(session, world.notes, name, TICKET)  # only the player so far
        session.commit()
        assert session.exec(select(TicketNote).where(TicketNote.marker == AGENT_REPLY_MARKER)).first() is None
    world.thread.add("It is confirming, 1 of 2 so far.", by="agent", public=True)
    world.thread.add("And now it is credited.", by="agent", public=True)
    for _ in range(2):  # two deliveries: one row, the first reply
        with Session(sqlite_engine) as session:
            world.notes.public.on_ticket_update(session, world.notes, name, TICKET)
            session.commit()
    with Session(sqlite_engine) as session:
        [row] = session.exec(select(TicketNote).where(TicketNote.marker == AGENT_REPLY_MARKER)).all()
        assert row.body == "It is confirming, 1 of 2 so far." and row.status == "seen" and row.written_at is not None
    assert world.public_from_bot() == []


def test_a_person_replying_in_between_is_kept_as_their_first_reply(http_mock, sqlite_engine) -> None:
    from app.helpdesks.public_reply import AGENT_REPLY_MARKER

    world = _world("zendesk", http_mock, sqlite_engine)
    world.verdict("confirming")
    world.drain()
    world.thread.add("Hi, I am Anna from support, looking at it now.", by="agent", public=True)
    world.verdict("credited", previous="confirming")
    world.drain()
    with Session(sqlite_engine) as session:
        row = session.exec(select(TicketNote).where(TicketNote.marker == AGENT_REPLY_MARKER)).one()
        assert row.body == "Hi, I am Anna from support, looking at it now."


def test_the_note_carries_the_codes_level() -> None:
    from app.helpdesks.note_text import verdict_note

    record = Investigation(id="inv9", chain="btc", tx_hash="ab" * 32, code="confirmed_not_credited", final=True,
                           verdict={"summary": "s", "action": "credit it", "player_message": {"en": "hi"}},
                           evidence={}, status_token_hash="h9", status_nonce="n")  # fmt: skip
    assert verdict_note(record, "https://x/s/t", "en").startswith("NEEDS ACTION — depositdesk verdict: ! Confirmed")
    record.code = "credited"
    assert verdict_note(record, "https://x/s/t", "en").startswith("depositdesk verdict: ✓ Credited")


def test_the_mark_before_a_public_reply_is_committed_to_survive_a_power_cut(http_mock, sqlite_engine, monkeypatch):
    """SQLite skips the fsync of most commits; not of the mark that makes a retry look before posting."""
    from app.helpdesks import public_reply
    from app.runtime import db

    synced_before_post: list[int] = []
    world = _world("zendesk", http_mock, sqlite_engine)

    def spy(session) -> None:
        db.durable(session.connection())
        synced_before_post.append(session.connection().exec_driver_sql("PRAGMA synchronous").scalar())
        session.commit()
        synced_before_post.append(len(world.thread.public_posts))  # nothing posted yet

    monkeypatch.setattr(public_reply, "commit_durably", spy)
    world.verdict("confirming")
    world.drain()
    assert synced_before_post == [2, 0]
    assert len(world.thread.public_posts) == 1
