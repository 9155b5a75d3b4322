"""Discord's REST API, the few calls the bot makes: edit the deferred answer and send follow-ups
through the interaction's webhook (its token, 15 minutes), DM a player with the bot token, and
register the slash commands. Failures are job errors that say whether to retry; no message names
a token or a URL holding one."""

from __future__ import annotations

from typing import Any

import requests

from app.runtime.jobs import JobError

MAX_MESSAGE = 2000  # Discord's limit for one message's content
EPHEMERAL = 64
NO_MENTIONS = {"parse": []}  # a player's text can never ping anyone


class TokenGone(JobError):
    """The interaction's token has expired (or never was): follow-ups must go by DM."""

    def __init__(self) -> None:
        super().__init__("discord: the interaction token is no longer valid", retryable=False)


class DiscordApi:
    def __init__(self, application_id: str, bot_token: str, api_url: str, *, timeout: float = 10.0) -> None:
        self.application_id = application_id
        self.bot_token = bot_token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:  # the bot token stays out of any log of this object
        return f"DiscordApi({self.application_id!r}, api_url={self.api_url!r})"

    def _call(self, method: str, path: str, what: str, body: Any, *, bot: bool = False) -> Any:
        headers = {"User-Agent": "DiscordBot (depositdesk, 0.1.0)"}  # the form Discord asks of bots
        if bot:
            if not self.bot_token:
                raise JobError(f"discord: {what} needs DISCORD_BOT_TOKEN", retryable=False)
            headers["Authorization"] = f"Bot {self.bot_token}"
        try:
            response = requests.request(method, self.api_url + path, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise JobError(f"discord: {what} failed ({type(exc).__name__})", retryable=True) from None
        status = response.status_code
        if status == 429:
            raise JobError(f"discord: {what} rate limited", retryable=True, retry_after=_retry_after(response))
        if status in (401, 403):
            raise JobError(f"discord: {what} refused ({status})", retryable=False)
        if status == 404 and not bot:
            raise TokenGone()
        if status >= 500:
            raise JobError(f"discord: {what} failed ({status})", retryable=True)
        if status >= 400:
            raise JobError(f"discord: {what} refused ({status})", retryable=False)
        return response.json() if response.content else None

    def edit_original(self, token: str, text: str) -> None:
        """The deferred answer's content; a text longer than a message continues in follow-ups."""
        first, *rest = split(text) or [""]
        path = f"/webhooks/{self.application_id}/{token}/messages/@original"
        self._call("PATCH", path, "editing the answer", {"content": first, "allowed_mentions": NO_MENTIONS})
        for part in rest:
            self.followup(token, part)

    def followup(self, token: str, text: str) -> None:
        for part in split(text):
            body = {"content": part, "flags": EPHEMERAL, "allowed_mentions": NO_MENTIONS}
            self._call("POST", f"/webhooks/{self.application_id}/{token}", "a follow-up", body)

    def dm(self, user_id: int, text: str) -> None:
        channel = self._call("POST", "/users/@me/channels", "opening a DM", {"recipient_id": str(user_id)}, bot=True)
        for part in split(text):
            body = {"content": part, "allowed_mentions": NO_MENTIONS}
            self._call("POST", f"/channels/{channel['id']}/messages", "a DM", body, bot=True)

    def register(self, commands: list[dict[str, Any]], guild_id: str | None = None) -> list[dict[str, Any]]:
        """Overwrite the application's commands, globally or for one server (which shows them at once)."""
        path = f"/applications/{self.application_id}"
        path += f"/guilds/{guild_id}/commands" if guild_id else "/commands"
        return self._call("PUT", path, "registering the commands", commands, bot=True) or []


def _retry_after(response: requests.Response) -> float:
    try:
        return float(response.json().get("retry_after", 1.0))
    except (ValueError, AttributeError):
        try:
            return float(response.headers.get("Retry-After", "1"))
        except ValueError:
            return 1.0


def split(text: str) -> list[str]:
    """Text cut into messages Discord accepts, at line breaks where possible."""
    parts, rest = [], text
    while len(rest) > MAX_MESSAGE:
        cut = rest.rfind("\n", 0, MAX_MESSAGE)
        cut = cut if cut > 0 else MAX_MESSAGE
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return [*parts, rest] if rest else parts
