"""The Telegram bot's handover can open an Intercom conversation (TELEGRAM_HANDOVER_HELPDESK=intercom):
the player's contact found or created by our external id, a conversation started from it with our
id in its first message, and a retry finds that conversation instead of opening a second one.
Request and answer shapes as Intercom documents them, served with `responses`."""

from __future__ import annotations

import json

import pytest
import responses

from app.helpdesks.clients.intercom import Intercom
from app.helpdesks.clients.openers import external_id, open_ticket
from app.settings import SettingsError, load_settings

BASE = "https://intercom.test"


def _bodies(mock: responses.RequestsMock, path: str) -> list[dict]:
    return [json.loads(call.request.body) for call in mock.calls if call.request.url == BASE + path]


def test_a_handover_opens_one_intercom_conversation_from_the_players_contact() -> None:
    desk = Intercom("token", ["secret"], "1", base_url=BASE, rate_per_second=1000)
    ours = external_id("p-1842:deposit-1")
    with responses.RequestsMock() as mock:
        mock.post(f"{BASE}/contacts/search", json={"type": "list", "data": [], "total_count": 0})
        mock.post(f"{BASE}/contacts", json={"type": "contact", "id": "c-77", "role": "user"})
        mock.post(f"{BASE}/conversations/search", json={"type": "conversation.list", "conversations": []})
        mock.post(f"{BASE}/conversations", json={"type": "user_message", "id": "m-1", "conversation_id": "4711"})
        reference = open_ticket(
            desk, key="p-1842:deposit-1", subject="Deposit", text="Needs a person", requester="p-1842"
        )
        assert reference == "4711"
        [contact] = _bodies(mock, "/contacts")
        assert contact == {"role": "user", "external_id": "depositdesk-player-p-1842", "name": "p-1842"}
        [conversation] = _bodies(mock, "/conversations")
        assert conversation["from"] == {"type": "user", "id": "c-77"} and f"[{ours}]" in conversation["body"]
    with responses.RequestsMock() as mock:  # the retry: the contact and the conversation exist
        mock.post(f"{BASE}/contacts/search", json={"type": "list", "data": [{"id": "c-77"}], "total_count": 1})
        mock.post(f"{BASE}/conversations/search", json={"conversations": [{"id": "4711"}]})
        again = open_ticket(desk, key="p-1842:deposit-1", subject="Deposit", text="Needs a person", requester="p-1842")
        assert again == "4711" and len(mock.calls) == 2  # nothing created
        [search] = _bodies(mock, "/conversations/search")
        assert {"field": "source.body", "operator": "~", "value": ours} in search["query"]["value"]


def test_intercom_is_a_handover_helpdesk_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + "a" * 30)
    monkeypatch.setenv("TELEGRAM_HANDOVER_HELPDESK", "intercom")
    assert load_settings().telegram_handover_helpdesk == "intercom"
    monkeypatch.setenv("TELEGRAM_HANDOVER_HELPDESK", "hubspot")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "intercom" in str(error.value)
