"""Discord for tests: an application key pair made with PyNaCl (requests are signed as Discord signs
them), the documented interaction payloads, and a fake Discord REST API on `responses` that records
the deferred edits, follow-ups, DMs and command registrations it receives."""

from __future__ import annotations

import json
import re
import time
from itertools import count
from typing import Any

import responses
from nacl.encoding import HexEncoder
from nacl.signing import SigningKey

APP_ID = "1100000000000000001"
GUILD = "1200000000000000002"
OTHER_GUILD = "1200000000000000999"
BOT_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gabcde.fake-bot-token-for-tests_0123456789"
API = "https://discord.test/api/v10"
KEY = SigningKey.generate()
PUBLIC_KEY = KEY.verify_key.encode(encoder=HexEncoder).decode()
_ids = count(1300000000000000000)


def signed_headers(body: bytes, *, key: SigningKey = KEY, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body).signature.hex()
    return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": stamp, "Content-Type": "application/json"}


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def ping() -> dict[str, Any]:
    return {"id": str(next(_ids)), "application_id": APP_ID, "type": 1, "token": "ping-token", "version": 1}


def command(
    name: str,
    options: dict[str, str] | None = None,
    *,
    user_id: int,
    guild_id: str | None = GUILD,
    locale: str = "en-US",
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction for a slash command with string options, in a server or a DM."""
    interaction_id = str(next(_ids))
    user = {"id": str(user_id), "username": f"player{user_id}", "discriminator": "0", "global_name": "Player"}
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": APP_ID,
        "type": 2,
        "token": f"aW50ZXJhY3Rpb246{interaction_id}",
        "version": 1,
        "channel_id": "1400000000000000004",
        "locale": locale,
        "app_permissions": "2048",
        "data": {
            "id": "1500000000000000005",
            "name": name,
            "type": 1,
            "options": [{"name": key, "type": 3, "value": value} for key, value in (options or {}).items()],
        },
    }
    if guild_id is None:
        payload |= {"user": user, "context": 1}
    else:
        payload |= {
            "guild_id": guild_id,
            "guild_locale": "en-US",
            "context": 0,
            "member": {"user": user, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "permissions": "0"},
        }
    return payload


class FakeDiscord:
    """Discord's REST API as the bot uses it; `expired` tokens answer 404 (Unknown Webhook)."""

    def __init__(self) -> None:
        self.edits: dict[str, list[dict[str, Any]]] = {}  # token -> bodies of PATCH @original
        self.followups: dict[str, list[dict[str, Any]]] = {}  # token -> bodies of follow-up messages
        self.dms: dict[str, list[dict[str, Any]]] = {}  # user id -> bodies of DMs
        self.registered: list[tuple[str, list[dict[str, Any]]]] = []  # (path, commands)
        self.expired: set[str] = set()
        self.fail_edits = 0

    def serve(self, mock: responses.RequestsMock) -> None:
        base = re.escape(API)
        hook = base + rf"/webhooks/{APP_ID}/([^/]+)"
        mock.add_callback(responses.PATCH, re.compile(hook + r"/messages/@original$"), callback=self._edit)
        mock.add_callback(responses.POST, re.compile(hook + "$"), callback=self._followup)
        mock.add_callback(responses.POST, re.compile(base + r"/users/@me/channels$"), callback=self._open_dm)
        mock.add_callback(responses.POST, re.compile(base + r"/channels/(\d+)/messages$"), callback=self._dm)
        mock.add_callback(responses.PUT, re.compile(base + rf"/applications/{APP_ID}/.*commands$"), callback=self._put)

    @staticmethod
    def _token(request: Any) -> str:
        return request.url.split(f"/webhooks/{APP_ID}/", 1)[1].split("/", 1)[0]

    def _edit(self, request: Any) -> tuple[int, dict, str]:
        token = self._token(request)
        if token in self.expired:
            return 404, {}, json.dumps({"message": "Unknown Webhook", "code": 10015})
        if self.fail_edits:
            self.fail_edits -= 1
            return 502, {}, "{}"
        self.edits.setdefault(token, []).append(json.loads(request.body))
        return 200, {}, json.dumps({"id": "1600000000000000006"})

    def _followup(self, request: Any) -> tuple[int, dict, str]:
        token = self._token(request)
        if token in self.expired:
            return 404, {}, json.dumps({"message": "Unknown Webhook", "code": 10015})
        self.followups.setdefault(token, []).append(json.loads(request.body))
        return 200, {}, json.dumps({"id": "1600000000000000007"})

    def _open_dm(self, request: Any) -> tuple[int, dict, str]:
        if request.headers.get("Authorization") != f"Bot {BOT_TOKEN}":
            return 401, {}, json.dumps({"message": "401: Unauthorized", "code": 0})
        recipient = json.loads(request.body)["recipient_id"]
        return 200, {}, json.dumps({"id": "9" + recipient[1:], "type": 1, "recipients": [{"id": recipient}]})

    def _dm(self, request: Any) -> tuple[int, dict, str]:
        if request.headers.get("Authorization") != f"Bot {BOT_TOKEN}":
            return 401, {}, json.dumps({"message": "401: Unauthorized", "code": 0})
        channel = re.search(r"/channels/(\d+)/messages", request.url).group(1)
        self.dms.setdefault("1" + channel[1:], []).append(json.loads(request.body))
        return 200, {}, json.dumps({"id": "1600000000000000008"})

    def _put(self, request: Any) -> tuple[int, dict, str]:
        if request.headers.get("Authorization") != f"Bot {BOT_TOKEN}":
            return 401, {}, json.dumps({"message": "401: Unauthorized", "code": 0})
        commands = json.loads(request.body)
        self.registered.append((request.url.removeprefix(API), commands))
        answer = [{"id": str(1700000000000000000 + i), "application_id": APP_ID, **c} for i, c in enumerate(commands)]
        return 200, {}, json.dumps(answer)

    def said(self, token: str) -> list[str]:
        return [body["content"] for body in self.edits.get(token, [])]

    def later(self, token: str) -> list[str]:
        return [body["content"] for body in self.followups.get(token, [])]
