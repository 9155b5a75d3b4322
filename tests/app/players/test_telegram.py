"""The players' Telegram bot against a local fake of the Bot API: linking, answers in three
languages, what an unlinked chat may learn, follow-ups, handover to a helpdesk, forged webhooks."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import responses
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.cli import main
from app.main import create_app
from app.players.telegram.models import Handover, TelegramUpdate
from app.players.telegram.poller import poll_once
from app.runtime.accounts import add_agent
from app.runtime.jobs import Job
from app.runtime.workers import recheck_round
from app.wiring import build_bot_api
from investigations.models import Investigation
from investigations.types import utcnow
from tests.support.asgi import raw_post
from tests.support.helpdesks import FakeZendesk
from tests.support.jobs import drain
from tests.support.ledger import add_addresses, add_deposit, address
from tests.support.telegram import TOKEN, FakeBotApi, message_update

OURS = address("telegram-p-1")
OTHERS = address("telegram-p-2")
TIP = 850_010
SECRET = "telegram-webhook-secret-0123456789"
CHAT, OTHER_CHAT = 4242, 777


@pytest.fixture
def bot_api():
    fake = FakeBotApi()
    yield fake
    fake.close()


@pytest.fixture
def zendesk(http_mock):
    fake = FakeZendesk()
    opened: list[dict] = []

    def find(request):
        ours = re.search(r"external_id=([^&]+)", request.url).group(1)
        return 200, {}, json.dumps({"tickets": [t for t in opened if t["external_id"] == ours]})

    def create_user(request):
        return 200, {}, json.dumps({"user": {"id": 9001, "name": json.loads(request.body)["user"]["name"]}})

    def create_ticket(request):
        ticket = json.loads(request.body)["ticket"]
        ticket_id = str(500 + len(opened))
        opened.append({"id": int(ticket_id), **ticket})
        fake.ticket(ticket_id, ticket["subject"], ticket["comment"]["body"])
        return 201, {}, json.dumps({"ticket": {"id": int(ticket_id)}})

    base = re.escape(fake.base)
    http_mock.add_callback(responses.GET, re.compile(base + r"/api/v2/tickets\.json\?external_id="), callback=find)
    http_mock.add_callback(
        responses.POST, re.compile(base + r"/api/v2/users/create_or_update\.json"), callback=create_user
    )
    http_mock.add_callback(responses.POST, re.compile(base + r"/api/v2/tickets\.json$"), callback=create_ticket)
    fake.serve(http_mock)
    fake.opened = opened  # type: ignore[attr-defined]
    return fake


@pytest.fixture
def app(request, settings, sqlite_engine, chain, bot_api, zendesk):
    """On SQLite; tests that also name `engine` run on SQLite and PostgreSQL."""
    engine = request.getfixturevalue("engine") if "engine" in request.fixturenames else sqlite_engine
    configured = settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_bot_username": "casino_desk_bot",
            "telegram_webhook_secret": SECRET,
            "telegram_api_url": bot_api.url,
            "telegram_rate_limit_per_chat": 1000,
            "zendesk_base_url": zendesk.base,
            "zendesk_email": "bot@casino.example",
            "zendesk_api_token": "zt",
            "zendesk_webhook_secrets": ["zendesk-signing-secret"],
            "zendesk_rate_limit": 1000,
        }
    )
    application = create_app(configured, engine=engine)
    with Session(engine) as session:
        add_addresses(session, (OURS, "p-1842"), (OTHERS, "p-2000"))
    return application


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


_update_ids = iter(range(1000, 10**6))


def say(client, app, chat_id: int, text: str, *, language: str = "en") -> None:
    update = message_update(next(_update_ids), chat_id, text, language=language)
    response = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200, response.text
    drain(app)


def link(client, app, chat_id: int, player_ref: str, *, language: str = "en") -> None:
    with Session(app.state.engine) as session:
        _agent, token = add_agent(session, f"backoffice-{chat_id}", role="lead")
    answer = client.post(
        "/api/telegram-links", json={"player_ref": player_ref}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    url = answer.json()["url"]
    assert url.startswith("https://t.me/casino_desk_bot?start=") and player_ref not in url
    say(client, app, chat_id, "/start " + url.rsplit("=", 1)[1], language=language)


def test_a_deep_link_links_the_chat_once_and_only_for_a_while(client, app, bot_api):
    link(client, app, CHAT, "p-1842")
    assert "linked to your casino account" in bot_api.sent(CHAT)[-1]
    # the same code a second time, from another chat, is refused
    with Session(app.state.engine) as session:
        _agent, token = add_agent(session, "backoffice", role="lead")
    url = client.post(
        "/api/telegram-links", json={"player_ref": "p-1842"}, headers={"Authorization": f"Bearer {token}"}
    ).json()["url"]
    code = url.rsplit("=", 1)[1]
    say(client, app, OTHER_CHAT, f"/start {code}")
    say(client, app, OTHER_CHAT + 1, f"/start {code}")
    assert "linked to your casino account" in bot_api.sent(OTHER_CHAT)[-1]
    assert "expired or was used already" in bot_api.sent(OTHER_CHAT + 1)[-1]
    say(client, app, CHAT, "/unlink")
    assert "no longer linked" in bot_api.sent(CHAT)[-1]


def test_link_codes_need_a_bearer_token_and_a_sane_player(client):
    assert client.post("/api/telegram-links", json={"player_ref": "p-1"}).status_code == 401


def test_an_expired_code_links_nothing(client, app, bot_api):
    with Session(app.state.engine) as session:
        from app.players import chat_links

        code, _ = chat_links.mint(
            session, "p-1842", app.state.settings.resolved_secret_key(), now=utcnow() - timedelta(hours=1)
        )
        session.commit()
    say(client, app, CHAT, f"/start {code}")
    assert "expired or was used already" in bot_api.sent(CHAT)[-1]


@pytest.mark.parametrize(
    ("language", "state", "next_step"),
    [
        ("en", "Confirming", "Live status: https://desk.example/s/"),
        ("de", "Wird bestätigt", "Live-Status: https://desk.example/s/"),
        ("ru", "Подтверждается", "Статус онлайн: https://desk.example/s/"),
    ],
)
def test_a_linked_player_pasting_a_hash_gets_the_status_page_in_their_language(
    client, app, chain, bot_api, language, state, next_step
):
    link(client, app, CHAT, "p-1842", language=language)
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    say(client, app, CHAT, f"https://mempool.space/tx/{tx['txid']}", language=language)
    reply = bot_api.sent(CHAT)[-1]
    assert state in reply and "0.015 BTC" in reply and next_step in reply
    assert "p-1842" not in reply and OURS not in reply


def test_an_unlinked_chat_learns_only_what_the_chain_says(client, app, chain, bot_api, engine):
    tx = chain.build_tx([(OTHERS, 2_000_000)], height=TIP - 10)
    with Session(engine) as session:
        add_deposit(session, tx["txid"], OTHERS, "0.02", "p-2000")
    say(client, app, OTHER_CHAT, tx["txid"])
    reply = bot_api.sent(OTHER_CHAT)[-1]
    assert "Bitcoin: confirmed in a block (11 confirmations)" in reply
    for secret in ("p-2000", OTHERS, "0.02", "Credited", "credited", "balance"):
        assert secret not in reply.replace("reached your balance", "")
    with Session(engine) as session:  # nothing about it was recorded either
        assert session.exec(select(Investigation)).all() == []


def test_a_linked_player_asking_about_another_players_deposit_gets_no_ledger_facts(client, app, chain, bot_api):
    tx = chain.build_tx([(OTHERS, 2_000_000)], height=TIP - 10)
    with Session(app.state.engine) as session:
        add_deposit(session, tx["txid"], OTHERS, "0.02", "p-2000")
    link(client, app, CHAT, "p-1842")
    say(client, app, CHAT, tx["txid"])
    reply = "\n".join(bot_api.sent(CHAT)[1:])
    assert "Bitcoin: confirmed in a block" in reply and "did not go to one of your deposit addresses" in reply
    for secret in ("p-2000", OTHERS, "0.02", "another", "/s/", "ticket"):
        assert secret not in reply
    # ...and the same words for a payment to no casino address at all: nothing to tell them apart
    stranger = chain.build_tx([(address("nobody"), 2_000_000)], height=TIP - 10)
    say(client, app, CHAT, stranger["txid"])
    assert bot_api.sent(CHAT)[-1] == reply


def test_the_chat_hears_once_when_the_verdict_changes(client, app, chain, bot_api):
    engine = app.state.engine
    link(client, app, CHAT, "p-1842")
    tx = chain.build_tx([(OURS, 1_500_000)])
    with Session(engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
    say(client, app, CHAT, tx["txid"])
    before = len(bot_api.sent(CHAT))

    def recheck_now() -> None:
        with Session(engine) as session:
            for record in session.exec(select(Investigation)).all():
                record.next_check_at = utcnow() - timedelta(seconds=1)
                session.add(record)
            session.commit()
        recheck_round(engine, app.state.investigator, app.state.work)
        drain(app)

    recheck_now()
    assert len(bot_api.sent(CHAT)) == before  # still in the mempool: nothing new to say
    chain.confirm(tx["txid"], TIP - 5)
    recheck_now()
    messages = bot_api.sent(CHAT)
    assert len(messages) == before + 1 and "Update on your deposit" in messages[-1] and "Credited" in messages[-1]


def test_a_verdict_that_needs_a_person_opens_exactly_one_ticket(client, app, chain, bot_api, zendesk, engine):
    link(client, app, CHAT, "p-1842")
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 10)
    with Session(engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.01", "p-1842")  # credited less than was paid
    say(client, app, CHAT, tx["txid"])
    assert len(zendesk.opened) == 1
    ticket = str(zendesk.opened[0]["id"])
    assert zendesk.opened[0]["subject"] == "Deposit question (p-1842)"
    assert any("amount_mismatch" in note or "Amount mismatch" in note for note in zendesk.private_notes(ticket))
    assert f"ticket #{ticket}" in bot_api.sent(CHAT)[-1]
    say(client, app, CHAT, "/human")  # the same question again: the same ticket
    say(client, app, CHAT, tx["txid"])
    assert len(zendesk.opened) == 1 and f"#{ticket}" in bot_api.sent(CHAT)[-1]


def test_the_bot_says_what_the_status_page_says_once_a_ticket_has_the_case(client, app, chain, bot_api, zendesk):
    link(client, app, CHAT, "p-1842")
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 10)
    with Session(app.state.engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.01", "p-1842")  # credited less than was paid
    say(client, app, CHAT, tx["txid"])
    assert any("Needs our support team" in text for text in bot_api.sent(CHAT))  # nobody had it yet
    assert len(zendesk.opened) == 1
    with Session(app.state.engine) as session:
        record = session.exec(select(Investigation).where(Investigation.tx_hash == tx["txid"])).one()
        token = app.state.investigator.status_token(record)
    page = client.get(f"/api/status/{token}").json()
    say(client, app, CHAT, "/status")
    assert page["state"] == "passed_on" and "Our team has your case" in bot_api.sent(CHAT)[-1]
    assert page["message"] in bot_api.sent(CHAT)[-1]


def test_human_without_a_deposit_opens_a_ticket_by_pseudonym(client, app, bot_api, zendesk):
    say(client, app, OTHER_CHAT, "/human", language="de")
    assert len(zendesk.opened) == 1
    assert zendesk.opened[0]["subject"].startswith("Deposit question (telegram-")
    assert str(OTHER_CHAT) not in json.dumps(zendesk.opened[0])
    assert "Ticket #" in bot_api.sent(OTHER_CHAT)[-1]


def test_forged_webhooks_are_refused_and_updates_are_handled_once(client, app, engine, bot_api):
    update = message_update(77, CHAT, "/help")
    assert client.post("/telegram/webhook", json=update).status_code == 401
    forged = {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret-000000"}
    assert client.post("/telegram/webhook", json=update, headers=forged).status_code == 401
    with Session(engine) as session:
        assert session.exec(select(Job)).all() == []
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert client.post("/telegram/webhook", json=update, headers=good).json()["status"] == "accepted"
    assert client.post("/telegram/webhook", json=update, headers=good).json()["status"] == "duplicate"
    assert client.post("/telegram/webhook", content=b"[1]", headers=good).status_code == 422
    drain(app)
    assert len(bot_api.sent(CHAT)) == 1 and "/human" in bot_api.sent(CHAT)[0]


def test_odd_messages_get_a_clear_answer(client, app, bot_api):
    say(client, app, CHAT, "hello there", language="ru")
    assert "не понял" in bot_api.sent(CHAT)[-1] and "/human" in bot_api.sent(CHAT)[-1]
    say(client, app, CHAT, "x" * 3000)
    assert "too long" in bot_api.sent(CHAT)[-1] or "слишком длинное" in bot_api.sent(CHAT)[-1]
    say(client, app, CHAT, "/language de")
    assert bot_api.sent(CHAT)[-1] == "Ich schreibe Ihnen auf Deutsch."
    say(client, app, CHAT, "my deposit did not arrive")
    assert (
        "nicht mit Ihrem Casino-Konto verknüpft" in bot_api.sent(CHAT)[-1]
        or "mit keinem Casino-Konto" in bot_api.sent(CHAT)[-1]
    )
    say(client, app, CHAT, "0x" + "ab" * 20)  # an address-looking thing is no hash
    assert "nicht verstanden" in bot_api.sent(CHAT)[-1]


def test_a_chat_writing_too_fast_is_told_once_then_ignored(client, app, bot_api):
    app.state.work.works[1].chat_limit = type(app.state.work.works[1].chat_limit)(2, name="test-chat")
    for _ in range(6):
        say(client, app, CHAT, "/help")
    sent = bot_api.sent(CHAT)
    assert len(sent) == 3 and "faster than I can answer" in sent[-1]


def test_a_failing_send_is_retried(client, app, bot_api):
    bot_api.fail_sends = 1
    say(client, app, CHAT, "/help")
    assert len(bot_api.sent(CHAT)) == 2  # the failed attempt, then the one that went through


def test_long_polling_stores_each_update_once(app, bot_api):
    engine = app.state.engine
    bot_api.pending = [message_update(5, CHAT, "/help"), message_update(6, CHAT, "/help")]
    api = build_bot_api(app.state.settings)
    offset = poll_once(api, engine, None, timeout=0)
    assert offset == 7
    poll_once(api, engine, 5, timeout=0)  # Telegram sends them again: stored once
    with Session(engine) as session:
        assert len(session.exec(select(TelegramUpdate)).all()) == 2
        assert len(session.exec(select(Job).where(Job.kind == "telegram_update")).all()) == 2


def test_set_webhook_command_sends_the_secret(app, bot_api, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": bot_api.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PUBLIC_BASE_URL": "https://desk.example",
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
    }
    result = CliRunner().invoke(main, ["bot", "set-webhook"], env=env)
    assert result.exit_code == 0, result.output
    method, params = bot_api.calls[-1]
    assert method == "setWebhook" and params["url"] == "https://desk.example/telegram/webhook"
    assert params["secret_token"] == SECRET
    assert SECRET not in result.output


def test_handover_rows_are_unique_per_player_and_deposit(client, app, engine, zendesk):
    link(client, app, CHAT, "p-1842")
    say(client, app, CHAT, "/human")
    say(client, app, CHAT, "/human")
    with Session(engine) as session:
        assert [h.key for h in session.exec(select(Handover)).all()] == ["player:p-1842:-"]
    assert len(zendesk.opened) == 1


def test_a_deposit_never_found_is_handed_to_a_person_when_the_re_checks_give_up(client, app, bot_api, zendesk):
    link(client, app, CHAT, "p-1842")
    say(client, app, CHAT, "ee" * 32)
    engine = app.state.engine
    with Session(engine) as session:
        record = session.exec(select(Investigation)).one()
        assert record.code == "not_found"
        record.created_at = utcnow() - timedelta(days=4)
        record.next_check_at = utcnow() - timedelta(seconds=1)
        session.add(record)
        session.commit()
    recheck_round(engine, app.state.investigator, app.state.work)
    drain(app)
    assert len(zendesk.opened) == 1 and "ticket #" in bot_api.sent(CHAT)[-1]


@pytest.mark.parametrize("credited_meanwhile", [False, True])
def test_confirmed_but_not_credited_waits_for_the_grace_then_hands_over(
    client, app, chain, bot_api, zendesk, credited_meanwhile
):
    link(client, app, CHAT, "p-1842")
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 10)
    say(client, app, CHAT, tx["txid"])
    assert "not on your balance yet" in bot_api.sent(CHAT)[-1]  # nobody has it yet: no "finance has it"
    assert zendesk.opened == []  # the casino's processor gets its grace first
    engine = app.state.engine
    with Session(engine) as session:
        if credited_meanwhile:
            add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
        grace = session.exec(select(Job).where(Job.kind == "telegram_grace")).one()
        assert grace.run_after > utcnow() + timedelta(minutes=29)
        grace.run_after = utcnow()
        session.add(grace)
        session.commit()
    drain(app)
    if credited_meanwhile:
        assert zendesk.opened == [] and "Credited" in bot_api.sent(CHAT)[-1]
    else:
        assert len(zendesk.opened) == 1 and "ticket #" in bot_api.sent(CHAT)[-1]


def test_a_linked_player_without_a_hash_gets_the_payments_to_their_own_addresses(client, app, chain, bot_api):
    now = app.state.investigator.clock()
    for height in range(TIP - 1100, TIP + 1):  # a week of blocks ten minutes apart, ending now
        chain.block_times[height] = int((now - timedelta(minutes=10 * (TIP - height))).timestamp())
    mine = chain.build_tx([(OURS, 1_500_000)], height=TIP - 10)
    theirs = chain.build_tx([(OTHERS, 2_500_000)], height=TIP - 12)
    link(client, app, CHAT, "p-1842", language="de")
    say(client, app, CHAT, "Meine Einzahlung ist nicht angekommen", language="de")
    reply = bot_api.sent(CHAT)[-1]
    assert "Zahlungen an Ihre Einzahlungsadressen" in reply and "0.015 BTC" in reply
    assert mine["txid"][:10] in reply and theirs["txid"][:10] not in reply and "0.025" not in reply


# Authenticate before reading, validate before accepting.


@pytest.mark.parametrize(
    "body",
    [b"[" * 5_000_000, b'{"update_id": 1, "message": ' * 100_000, json.dumps(message_update(1, CHAT, "hi")).encode()],
    ids=["5 MB", "deeply nested", "a valid update"],
)
@pytest.mark.parametrize("secret", [None, "wrong-secret-0123456789"])
def test_a_webhook_without_the_secret_is_a_401_before_its_body_is_read(app, body, secret):
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    if secret:
        headers["x-telegram-bot-api-secret-token"] = secret
    status, reads = raw_post(app, "/telegram/webhook", headers, body)
    assert (status, reads) == (401, 0)
    with Session(app.state.engine) as session:
        assert session.exec(select(TelegramUpdate)).first() is None


@pytest.mark.parametrize("chat_id", [99999999999999999999999, -(2**63) - 1, 2**63, "abc", None, 1.5, True], ids=repr)
def test_an_update_the_workers_could_not_handle_is_refused_and_stored_nowhere(client, app, chat_id):
    update = message_update(next(_update_ids), CHAT, "hi")
    update["message"]["chat"]["id"] = chat_id
    response = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 422 and "chat.id" in response.text
    with Session(app.state.engine) as session:
        assert session.exec(select(TelegramUpdate)).first() is None
        assert session.exec(select(Job)).first() is None


@pytest.mark.parametrize(
    "change",
    [
        lambda u: u["message"].update({"text": "a\u0000b"}),
        lambda u: u["message"].update({"from": {"id": "abc", "is_bot": False, "first_name": "P"}}),
        lambda u: u.update({"message": "abc"}),
        lambda u: u["message"].update({"text": "x" * 5000}),
    ],
    ids=["NUL", "from id", "message not an object", "text too long"],
)
def test_other_malformed_updates_are_refused_at_the_door(client, app, change):
    update = message_update(next(_update_ids), CHAT, "hi")
    change(update)
    response = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 422
    with Session(app.state.engine) as session:
        assert session.exec(select(Job)).first() is None


def test_a_stored_update_that_fails_on_its_input_is_dead_lettered_once_with_the_reason(client, app, monkeypatch):
    from app.players.telegram import work  # noqa: PLC0415
    from app.runtime.jobs import DEAD, enqueue  # noqa: PLC0415

    runs = []
    parse = work.parse_update
    monkeypatch.setattr(work, "parse_update", lambda data: runs.append(1) or parse(data))

    update = message_update(next(_update_ids), CHAT, "hi")
    update["message"]["chat"]["id"] = 99999999999999999999999  # stored before the door checked it
    with Session(app.state.engine) as session:
        enqueue(session, "telegram_update", {"update": update})
        session.commit()
    drain(app)
    with Session(app.state.engine) as session:
        [job] = session.exec(select(Job)).all()
    assert job.status == DEAD and "chat.id" in (job.last_error or "")
    assert len(runs) <= 1  # tried once, not once per attempt


def test_a_web_process_without_the_bot_never_imports_python_telegram_bot(tmp_path):
    # python-telegram-bot and httpx weigh ~19 MiB of every idle web process: loaded at the first
    # Bot API call or Telegram update only.
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        f"create_app(Settings(_env_file=None, database_url='sqlite:///{tmp_path / 'web.db'}'))\n"
        "assert 'telegram' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[3])
