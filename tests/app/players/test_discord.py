"""The players' Discord bot end to end: requests signed with a PyNaCl key pair as Discord signs them,
Discord's documented interaction payloads, a fake Discord API (on `responses`) receiving the deferred
edits, follow-ups, DMs and command registrations; the conversation is the one Telegram uses."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from nacl.signing import SigningKey
from sqlmodel import Session, select

from app.cli import main
from app.main import create_app
from app.players.discord.models import DiscordInteraction, DiscordUser
from app.players.discord.work import DiscordWork
from app.players.models import Handover
from app.runtime.accounts import add_agent
from app.runtime.jobs import Job
from app.runtime.ratelimit import KeyedRateLimit
from app.runtime.workers import recheck_round
from app.settings import Settings
from investigations.models import Investigation
from investigations.types import utcnow
from tests.app.players.test_telegram import zendesk  # noqa: F401  (the fixture: a Zendesk that opens tickets)
from tests.support.discord import (
    API,
    APP_ID,
    BOT_TOKEN,
    GUILD,
    OTHER_GUILD,
    PUBLIC_KEY,
    FakeDiscord,
    body_of,
    command,
    ping,
    signed_headers,
)
from tests.support.jobs import drain
from tests.support.ledger import add_addresses, add_deposit, address

OURS = address("discord-p-1")
OTHERS = address("discord-p-2")
WALLET = address("discord-player-wallet")
HOT = address("discord-casino-hot-wallet")
TIP = 850_010
PLAYER, STRANGER = 1100000000000004242, 1100000000000000777


@pytest.fixture
def discord(http_mock):
    fake = FakeDiscord()
    fake.serve(http_mock)
    return fake


@pytest.fixture
def app(request, settings, sqlite_engine, chain, discord, zendesk):  # noqa: F811
    """On SQLite; tests that also name `engine` run on SQLite and PostgreSQL."""
    engine = request.getfixturevalue("engine") if "engine" in request.fixturenames else sqlite_engine
    configured = settings.model_copy(
        update={
            "discord_application_id": APP_ID,
            "discord_public_key": PUBLIC_KEY,
            "discord_bot_token": BOT_TOKEN,
            "discord_api_url": API,
            "discord_guild_ids": [GUILD],
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


def post(client, payload: dict, **signing) -> object:
    body = body_of(payload)
    return client.post("/discord/interactions", content=body, headers=signed_headers(body, **signing))


def ask(client, app, name: str, options: dict | None = None, *, user_id: int = PLAYER, **extra) -> str:
    """Send a slash command, check it is deferred and ephemeral, run the jobs; the interaction's token."""
    payload = command(name, options, user_id=user_id, **extra)
    answer = post(client, payload)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"type": 5, "data": {"flags": 64}}
    drain(app)
    return payload["token"]


def link(client, app, player_ref: str, *, user_id: int = PLAYER, locale: str = "en-US") -> str:
    with Session(app.state.engine) as session:
        _agent, token = add_agent(session, f"backoffice-{user_id}", role="lead")
    answer = client.post(
        "/api/chat-links",
        json={"player_ref": player_ref, "network": "discord"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["network"] == "discord" and body["command"] == f"/link code:{body['code']}" and body["url"] is None
    return ask(client, app, "link", {"code": body["code"]}, user_id=user_id, locale=locale)


def nothing_stored(engine) -> bool:
    with Session(engine) as session:
        return session.exec(select(Job)).all() == [] and session.exec(select(DiscordInteraction)).all() == []


def test_ping_is_answered_pong(client):
    answer = post(client, ping())
    assert answer.status_code == 200 and answer.json() == {"type": 1}


def test_a_wrong_signature_is_401_and_nothing_is_stored(client, app):
    payload = command("status", user_id=PLAYER)
    body = body_of(payload)
    stranger = signed_headers(body, key=SigningKey.generate())
    assert client.post("/discord/interactions", content=body, headers=stranger).status_code == 401
    tampered = body.replace(b"status", b"human")  # signed one body, sent another
    assert client.post("/discord/interactions", content=tampered, headers=signed_headers(body)).status_code == 401
    assert client.post("/discord/interactions", content=body).status_code == 401  # no signature at all
    stale = post(client, payload, timestamp=int(utcnow().timestamp()) - 3600)  # a good signature, an hour old
    assert stale.status_code == 401 and "stale" in stale.json()["detail"]
    assert nothing_stored(app.state.engine)
    assert post(client, payload).status_code == 200  # the same interaction, signed now: accepted


def test_a_replayed_interaction_is_refused_and_investigated_once(client, app, chain, discord, engine):
    link(client, app, "p-1842")
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    payload = command("deposit", {"tx": tx["txid"]}, user_id=PLAYER)
    assert post(client, payload).status_code == 200
    replay = post(client, payload)
    assert replay.status_code == 409 and "already" in replay.json()["detail"]
    drain(app)
    with Session(app.state.engine) as session:
        assert len(session.exec(select(Investigation)).all()) == 1
        assert len(session.exec(select(Job).where(Job.kind == "discord_interaction")).all()) == 2  # link + deposit
    assert len(discord.said(payload["token"])) == 1


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (command("balance", user_id=PLAYER), "I do not know that command"),
        (command("deposit", {"tx": "a" * 4000}, user_id=PLAYER), "too long"),
        (command("status", user_id=PLAYER, guild_id=OTHER_GUILD), "only on the casino's own Discord server"),
        (command("status", user_id=PLAYER, guild_id=OTHER_GUILD, locale="de"), "nur auf dem eigenen Discord-Server"),
    ],
)
def test_bad_commands_get_a_clear_ephemeral_answer_and_nothing_is_stored(client, app, discord, payload, words):
    answer = post(client, payload)
    assert answer.status_code == 200
    assert answer.json()["type"] == 4 and answer.json()["data"]["flags"] == 64
    assert words in answer.json()["data"]["content"]
    assert nothing_stored(app.state.engine) and discord.edits == {}


def test_an_interaction_without_its_fields_is_a_422_naming_the_field(client, app):
    payload = command("status", user_id=PLAYER)
    del payload["member"]
    answer = post(client, payload)
    assert answer.status_code == 422 and "user" in answer.json()["detail"]
    payload = command("status", user_id=PLAYER) | {"id": "not-a-snowflake"}
    assert "id must be" in post(client, payload).json()["detail"]
    body = b"[1, 2]"
    assert client.post("/discord/interactions", content=body, headers=signed_headers(body)).status_code == 422
    assert nothing_stored(app.state.engine)


def test_a_link_code_links_the_discord_account_once_and_only_on_discord(client, app, discord):
    token = link(client, app, "p-1842", locale="de")
    assert "Ihr Discord-Konto ist jetzt mit Ihrem Casino-Konto verknüpft" in discord.said(token)[-1]
    with Session(app.state.engine) as session:
        assert session.get(DiscordUser, PLAYER).player_ref == "p-1842"
        _agent, bearer = add_agent(session, "backoffice-telegram", role="lead")
    # a Telegram code (there is no Telegram bot here: 409) and a spent code link nothing
    refused = client.post(
        "/api/chat-links",
        json={"player_ref": "p-1", "network": "telegram"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert refused.status_code == 409 and "TELEGRAM_BOT_TOKEN" in refused.json()["detail"]
    bad = client.post(
        "/api/chat-links", json={"player_ref": "p-1", "network": "slack"}, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert bad.status_code == 422 and "network" in json.dumps(bad.json())
    token = ask(client, app, "link", {"code": "x" * 43}, user_id=STRANGER)
    assert "expired or was used already" in discord.said(token)[-1]
    token = ask(client, app, "unlink")
    assert "no longer linked" in discord.said(token)[-1]


@pytest.mark.parametrize("token_alive", [True, False])
def test_a_linked_player_gets_their_verdict_then_one_follow_up_when_it_confirms(
    client, app, chain, discord, token_alive
):
    engine = app.state.engine
    link(client, app, "p-1842", locale="ru")
    tx = chain.build_tx([(OURS, 1_500_000)])
    with Session(engine) as session:
        add_deposit(session, tx["txid"], OURS, "0.015", "p-1842")
    token = ask(client, app, "deposit", {"tx": f"https://mempool.space/tx/{tx['txid']}"}, locale="ru")
    verdict = discord.said(token)
    assert len(verdict) == 1 and "0.015 BTC" in verdict[0] and "Статус онлайн: https://desk.example/s/" in verdict[0]
    assert "p-1842" not in verdict[0] and OURS not in verdict[0]
    if not token_alive:
        with Session(engine) as session:
            user = session.get(DiscordUser, PLAYER)
            user.token_expires_at = utcnow() - timedelta(minutes=1)
            session.add(user)
            session.commit()

    def recheck_now() -> None:
        with Session(engine) as session:
            for record in session.exec(select(Investigation)).all():
                record.next_check_at = utcnow() - timedelta(seconds=1)
                session.add(record)
            session.commit()
        recheck_round(engine, app.state.investigator, app.state.work)
        drain(app)

    recheck_now()
    assert discord.followups == {} and discord.dms == {}  # still in the mempool: nothing new to say
    chain.confirm(tx["txid"], TIP - 5)
    recheck_now()
    recheck_now()  # nothing changed since: nothing more to say
    later = discord.later(token) if token_alive else [body["content"] for body in discord.dms[str(PLAYER)]]
    assert len(later) == 1 and "Новости о вашем депозите" in later[0] and "Зачислено" in later[0]
    assert (discord.dms if token_alive else discord.followups) == {}
    if token_alive:
        assert discord.followups[token][0]["flags"] == 64  # only the player sees it


def test_an_unlinked_account_learns_only_what_the_chain_says(client, app, chain, discord):
    tx = chain.build_tx([(OTHERS, 2_000_000)], height=TIP - 10)
    with Session(app.state.engine) as session:
        add_deposit(session, tx["txid"], OTHERS, "0.02", "p-2000")
    token = ask(client, app, "deposit", {"tx": tx["txid"]}, user_id=STRANGER, guild_id=None)  # in a DM with the bot
    reply = discord.said(token)[-1]
    assert "Bitcoin: confirmed in a block (11 confirmations)" in reply and "/link" in reply
    for secret in ("p-2000", OTHERS, "0.02", "Credited", "credited"):
        assert secret not in reply
    with Session(app.state.engine) as session:
        assert session.exec(select(Investigation)).all() == []


def test_a_bad_address_option_is_named(client, app, chain, discord):
    link(client, app, "p-1842")
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP)
    token = ask(client, app, "deposit", {"tx": tx["txid"], "address": "not-an-address"})
    assert "address" in discord.said(token)[-1]
    token = ask(client, app, "deposit", {"tx": "no hash here"})
    assert "Please check the hash" in discord.said(token)[-1]


def test_human_opens_one_helpdesk_ticket_by_pseudonym(client, app, discord, zendesk, engine):  # noqa: F811
    token = ask(client, app, "human", user_id=STRANGER)
    assert "passing this to our support team" in discord.said(token)[-1]
    assert len(zendesk.opened) == 1
    ticket = zendesk.opened[0]
    assert ticket["subject"].startswith("Deposit question (discord-") and str(STRANGER) not in json.dumps(ticket)
    assert "via Discord" in ticket["comment"]["body"]
    assert f"ticket #{ticket['id']}" in discord.later(token)[-1]  # told through the interaction, still alive
    again = ask(client, app, "human", user_id=STRANGER)
    assert len(zendesk.opened) == 1 and f"#{ticket['id']}" in discord.said(again)[-1]
    with Session(app.state.engine) as session:
        [handover] = session.exec(select(Handover)).all()
        assert handover.network == "discord" and handover.key == f"discord:{STRANGER}:-"


def test_a_failing_edit_is_retried(client, app, discord):
    discord.fail_edits = 1
    token = ask(client, app, "status", user_id=STRANGER)
    assert len(discord.said(token)) == 1 and "not linked" in discord.said(token)[0]


@pytest.mark.parametrize("guild", [None, GUILD])
def test_register_puts_the_commands_globally_or_on_one_server(discord, monkeypatch, tmp_path, guild):
    monkeypatch.chdir(tmp_path)
    env = {
        "DISCORD_APPLICATION_ID": APP_ID,
        "DISCORD_PUBLIC_KEY": PUBLIC_KEY,
        "DISCORD_BOT_TOKEN": BOT_TOKEN,
        "DISCORD_API_URL": API,
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
    }
    result = CliRunner().invoke(main, ["discord", "register", *(["--guild", guild] if guild else [])], env=env)
    assert result.exit_code == 0, result.output
    [(path, commands)] = discord.registered
    assert path == (f"/applications/{APP_ID}/guilds/{guild}/commands" if guild else f"/applications/{APP_ID}/commands")
    assert [c["name"] for c in commands] == ["deposit", "status", "link", "unlink", "human", "withdrawal"]
    deposit = commands[0]["options"]
    assert deposit[0]["name"] == "tx" and deposit[0]["required"] and deposit[0]["max_length"] == 1000
    assert "/deposit" in result.output and BOT_TOKEN not in result.output


def test_the_settings_refuse_a_bad_key_and_never_show_the_token():
    with pytest.raises(ValueError, match="DISCORD_PUBLIC_KEY"):
        Settings(discord_application_id=APP_ID, discord_public_key="abc", _env_file=None)
    with pytest.raises(ValueError, match="DISCORD_GUILD_IDS"):
        Settings(discord_application_id=APP_ID, discord_public_key=PUBLIC_KEY, discord_guild_ids="x,1", _env_file=None)
    settings = Settings(
        discord_application_id=APP_ID, discord_public_key=PUBLIC_KEY, discord_bot_token=BOT_TOKEN, _env_file=None
    )
    assert BOT_TOKEN not in repr(settings) and PUBLIC_KEY not in repr(settings)


def test_an_account_over_its_limit_is_told_so_in_its_answer(client, app, discord):
    (discord_work,) = [w for w in app.state.work.works if isinstance(w, DiscordWork)]
    discord_work.limits.chat_limit = KeyedRateLimit(2, name="test-discord-user")
    tokens = [ask(client, app, "status", user_id=STRANGER) for _ in range(3)]
    answers = [discord.said(token)[-1] for token in tokens]
    assert all("not linked" in answer for answer in answers[:2]) and "faster than I can answer" in answers[2]


def test_buttons_and_other_interactions_get_a_clear_answer(client, app):
    payload = command("status", user_id=PLAYER) | {"type": 3}  # a message component: the bot shows none
    answer = post(client, payload)
    assert answer.json()["type"] == 4 and "I do not know that command" in answer.json()["data"]["content"]
    assert nothing_stored(app.state.engine)


def test_the_rules_are_written_once_for_both_networks():
    """Neither transport overrides a rule of the shared conversation: a rule changed there is changed for both."""
    from app.players.conversation import Conversation as Shared
    from app.players.discord.commands import DiscordConversation
    from app.players.telegram.conversation import Conversation as TelegramConversation

    rules = [name for name, value in vars(Shared).items() if callable(value) and not name.startswith("__")]
    assert {"about_hash", "chain_only", "followups", "hand_over", "after_verdict", "status", "link"} <= set(rules)
    for transport in (TelegramConversation, DiscordConversation):
        assert issubclass(transport, Shared)
        assert [name for name in rules if getattr(transport, name) is not getattr(Shared, name)] == []


@pytest.fixture
def both(app, bot_api):
    """The same service with the Telegram bot configured too."""
    from tests.support.telegram import TOKEN

    settings = app.state.settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_bot_username": "casino_desk_bot",
            "telegram_webhook_secret": "telegram-webhook-secret-0123456789",
            "telegram_api_url": bot_api.url,
        }
    )
    return create_app(settings, engine=app.state.engine)


@pytest.fixture
def bot_api():
    from tests.support.telegram import FakeBotApi

    fake = FakeBotApi()
    yield fake
    fake.close()


def test_one_player_on_telegram_and_discord_gets_one_ticket(both, bot_api, discord, zendesk):  # noqa: F811
    from tests.support.telegram import message_update

    with TestClient(both) as client, Session(both.state.engine) as session:
        _agent, bearer = add_agent(session, "backoffice", role="lead")
        auth = {"Authorization": f"Bearer {bearer}"}
        telegram = client.post("/api/chat-links", json={"player_ref": "p-1842", "network": "telegram"}, headers=auth)
        assert telegram.status_code == 200 and telegram.json()["url"].startswith("https://t.me/casino_desk_bot?start=")
        code = telegram.json()["url"].rsplit("=", 1)[1]
        assert "expired or was used" in discord.said(ask(client, both, "link", {"code": code}))[-1]  # not Discord's
        secret = {"X-Telegram-Bot-Api-Secret-Token": "telegram-webhook-secret-0123456789"}
        for update_id, text in ((1, f"/start {code}"), (2, "/human")):
            assert client.post(
                "/telegram/webhook", json=message_update(update_id, 4242, text), headers=secret
            ).is_success
            drain(both)
        assert "ticket #" in bot_api.sent(4242)[-1]
        code = client.post("/api/chat-links", json={"player_ref": "p-1842", "network": "discord"}, headers=auth)
        ask(client, both, "link", {"code": code.json()["code"]})
        token = ask(client, both, "human")
    assert len(zendesk.opened) == 1 and f"#{zendesk.opened[0]['id']}" in discord.said(token)[-1]


def test_an_unsigned_interaction_body_is_never_read():
    """The /discord/ rule: without both signature headers the ASGI receive channel is not touched."""
    import asyncio

    from app.runtime.access import body_rules
    from app.runtime.limits import BodyLimits, BodyRule

    read, sent = [], []

    async def receive():
        read.append(True)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    async def route(scope, receive, send):
        sent.append({"status": "route ran"})

    rules = body_rules(upload_bytes=10**7, webhook_bytes=256 * 1024, other_bytes=64 * 1024)
    middleware = BodyLimits(route, rules=rules, default=BodyRule("/", 1024), authenticate=lambda t: False)
    only_one = [(b"x-signature-ed25519", b"ab" * 64)]
    for headers in ([], only_one, [(b"x-signature-timestamp", b"1700000000")]):
        scope = {"type": "http", "method": "POST", "path": "/discord/interactions", "headers": headers}
        asyncio.run(middleware(scope | {"query_string": b""}, receive, send))
    assert read == [] and [m["status"] for m in sent if "status" in m] == [401, 401, 401]
    both = [*only_one, (b"x-signature-timestamp", b"1700000000")]
    asyncio.run(
        middleware(
            {"type": "http", "method": "POST", "path": "/discord/interactions", "headers": both, "query_string": b""},
            receive,
            send,
        )
    )
    assert read == [True] and sent[-1] == {"status": "route ran"}  # the route checks the signature itself


def test_housekeeping_forgets_dead_tokens_and_old_interactions(client, app):
    token = ask(client, app, "status", user_id=STRANGER)
    engine = app.state.engine
    with Session(engine) as session:
        user = session.get(DiscordUser, STRANGER)
        assert user.token == token
        user.token_expires_at = utcnow() - timedelta(seconds=1)
        session.add(user)
        [seen] = session.exec(select(DiscordInteraction)).all()
        seen.received_at = utcnow() - timedelta(days=8)
        session.add(seen)
        session.commit()
    with Session(engine) as session:
        app.state.work.housekeeping(session)
    with Session(engine) as session:
        assert session.get(DiscordUser, STRANGER).token is None
        assert session.exec(select(DiscordInteraction)).all() == []


def test_an_answer_whose_token_died_in_the_queue_goes_by_dm(client, app, discord):
    payload = command("status", user_id=STRANGER)
    discord.expired.add(payload["token"])
    assert post(client, payload).status_code == 200
    drain(app)
    assert discord.edits == {} and "not linked" in discord.dms[str(STRANGER)][-1]["content"]


def _payout(app, tx_hash: str | None, *, payout_id: str = "w-77", player_ref: str = "p-1842", to: str = WALLET) -> None:
    from investigations.payouts import PayoutRecordIn, upsert_payouts

    now = utcnow()
    row = {
        "payout_id": payout_id,
        "chain": "btc",
        "player_ref": player_ref,
        "to_address": to,
        "asset": "BTC",
        "amount": "0.015",
        "status": "sent",
        "tx_hash": tx_hash,
        "requested_at": now - timedelta(minutes=30),
        "sent_at": now - timedelta(minutes=20),
    }
    with Session(app.state.engine) as session:
        upsert_payouts(session, [PayoutRecordIn.model_validate(row)])
        session.commit()


def test_withdrawal_shows_a_linked_players_own_withdrawals_only(client, app, chain, discord, zendesk):  # noqa: F811
    token = ask(client, app, "withdrawal", user_id=STRANGER)
    assert "not linked" in discord.said(token)[-1]
    link(client, app, "p-1842", locale="de")
    token = ask(client, app, "withdrawal", locale="de")
    assert "keine Auszahlungen" in discord.said(token)[-1]
    tx = chain.build_tx([(WALLET, 1_500_000), (HOT, 40_000_000)], senders=[HOT], height=TIP - 5, fee=2_000)
    _payout(app, tx["txid"])
    _payout(app, None, payout_id="w-other", player_ref="p-2000")
    token = ask(client, app, "withdrawal", locale="de")
    reply = discord.said(token)[-1]
    assert "Auszahlung" in reply and "0.015 BTC" in reply and "https://desk.example/s/" in reply
    assert WALLET not in reply and "p-1842" not in reply
    token = ask(client, app, "withdrawal", {"id": "w-other"}, locale="de")  # another player's reference: nothing of it
    assert "keine Auszahlung von Ihnen" in discord.said(token)[-1]
    assert zendesk.opened == []


def test_a_withdrawal_the_casino_got_wrong_goes_to_a_person(client, app, chain, discord, zendesk):  # noqa: F811
    link(client, app, "p-1842")
    tx = chain.build_tx([(OTHERS, 1_500_000), (HOT, 40_000_000)], senders=[HOT], height=TIP - 5, fee=2_000)
    _payout(app, tx["txid"])  # the record says WALLET, the tx paid someone else
    token = ask(client, app, "withdrawal", {"id": "w-77"})
    assert "passing this to our support team" in discord.said(token)[-1]
    assert len(zendesk.opened) == 1 and "Withdrawal: w-77" in zendesk.opened[0]["comment"]["body"]
    assert OTHERS not in discord.said(token)[-1]
    again = ask(client, app, "withdrawal", {"id": "w-77"})
    assert len(zendesk.opened) == 1 and f"#{zendesk.opened[0]['id']}" in discord.said(again)[-1]


def test_a_withdrawals_tx_given_to_deposit_is_judged_as_that_withdrawal_for_its_player_only(
    client, app, chain, discord
):
    mine = chain.build_tx([(WALLET, 1_500_000), (HOT, 40_000_000)], senders=[HOT], height=TIP - 5, fee=2_000)
    theirs = chain.build_tx([(OTHERS, 1_500_000), (HOT, 30_000_000)], senders=[HOT], height=TIP - 5, fee=2_100)
    _payout(app, mine["txid"])
    _payout(app, theirs["txid"], payout_id="w-88", player_ref="p-2000", to=OTHERS)
    link(client, app, "p-1842")
    token = ask(client, app, "deposit", {"tx": mine["txid"]})
    assert "Withdrawal" in discord.said(token)[-1] and "0.015 BTC" in discord.said(token)[-1]
    token = ask(client, app, "deposit", {"tx": theirs["txid"]})
    reply = discord.said(token)[-1]
    assert "did not go to one of your deposit addresses" in reply and "0.015" not in reply and "/s/" not in reply


@pytest.mark.parametrize("body", [b"[" * 5_000_000, b'{"type": 1}'], ids=["5 MB", "small"])
def test_an_unsigned_interaction_is_a_401_before_its_body_or_size_is_looked_at(app, body):
    from tests.support.asgi import raw_post  # noqa: PLC0415

    headers = {"content-type": "application/json", "content-length": str(len(body))}
    assert raw_post(app, "/discord/interactions", headers, body) == (401, 0)
