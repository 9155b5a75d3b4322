"""The Telegram Bot API through python-telegram-bot's `Bot` (its `base_url` points it at a local Bot
API server or a test fake). Our workers are threads, so each call runs its own short event loop;
the HTTP client is opened and closed with it.

python-telegram-bot (and httpx under it, ~19 MiB together) is imported at the first call, not with
this module: a deployment without the Telegram bot never loads it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from app.runtime.jobs import JobError

if TYPE_CHECKING:
    from telegram import Bot, Update

T = TypeVar("T")
MAX_MESSAGE = 4096  # Telegram's limit for one text message


class BotApi:
    def __init__(self, token: str, api_url: str, *, timeout: float = 15.0) -> None:
        self.token = token
        self.base_url = api_url.rstrip("/") + "/bot"
        self.timeout = timeout

    def _run(self, call: Callable[[Bot], Awaitable[T]], *, poll_timeout: float = 0) -> T:
        from telegram import Bot
        from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
        from telegram.request import HTTPXRequest

        async def go() -> T:
            request = HTTPXRequest(connect_timeout=5, read_timeout=self.timeout + poll_timeout)
            bot = Bot(self.token, base_url=self.base_url, request=request, get_updates_request=request)
            await request.initialize()
            try:
                return await call(bot)
            finally:
                await request.shutdown()

        try:
            return asyncio.run(go())
        except RetryAfter as exc:
            delay = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            raise JobError("telegram: flood control", retryable=True, retry_after=float(delay)) from exc
        except Forbidden as exc:  # the player blocked the bot: nothing to retry
            raise JobError("telegram: the bot was blocked by the chat", retryable=False) from exc
        except BadRequest as exc:
            raise JobError(f"telegram: bad request ({exc.message[:80]})", retryable=False) from exc
        except TelegramError as exc:
            raise JobError(f"telegram: {type(exc).__name__}", retryable=True) from exc

    def send(self, chat_id: int, text: str) -> None:
        for part in split(text):
            self._run(lambda bot, part=part: bot.send_message(chat_id, part, disable_web_page_preview=True))

    def updates(self, offset: int | None, timeout: int = 25) -> list[dict[str, Any]]:
        found = self._run(
            lambda bot: bot.get_updates(offset=offset, timeout=timeout, allowed_updates=["message"]),
            poll_timeout=timeout,
        )
        return [update.to_dict() for update in found]

    def set_webhook(self, url: str, secret: str) -> bool:
        return self._run(lambda bot: bot.set_webhook(url, secret_token=secret, allowed_updates=["message"]))

    def delete_webhook(self) -> bool:
        return self._run(lambda bot: bot.delete_webhook())


def parse_update(data: dict[str, Any]) -> Update:
    from telegram import Update

    return Update.de_json(data, None)


def split(text: str) -> list[str]:
    """Text cut into messages Telegram accepts, at line breaks where possible."""
    parts, rest = [], text
    while len(rest) > MAX_MESSAGE:
        cut = rest.rfind("\n", 0, MAX_MESSAGE)
        cut = cut if cut > 0 else MAX_MESSAGE
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return [*parts, rest] if rest else parts
