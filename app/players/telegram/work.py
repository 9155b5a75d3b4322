"""The bot's jobs: answer an update, send a message, look again when the crediting grace is over,
tell the player a handover's ticket number; and after each re-check, tell watching chats once
when their deposit's state changed."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from app.players import chat_links
from app.players.chat_links import Chat
from app.players.conversation import ConversationWork, Limits
from app.players.telegram.bot_api import BotApi, parse_update
from app.players.telegram.conversation import Conversation, Incoming
from app.players.telegram.models import TelegramUpdate
from app.players.telegram.words import bot_text
from app.runtime.jobs import InputError, Job, enqueue
from app.runtime.ratelimit import KeyedRateLimit
from investigations.types import utcnow

log = logging.getLogger(__name__)
KEEP_UPDATES = timedelta(days=7)


class TelegramWork(ConversationWork):
    def __init__(
        self,
        api: BotApi,
        conversation: Conversation,
        *,
        per_chat_per_minute: float = 20,
        global_per_minute: float = 1200,
        redis_url: str = "",
        redis_prefix: str = "depositdesk",
    ) -> None:
        self.api = api
        self.conversation = conversation
        self.limits = Limits(
            "telegram",
            per_chat=per_chat_per_minute,
            global_=global_per_minute,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        )

    @property
    def chat_limit(self) -> KeyedRateLimit:
        return self.limits.chat_limit

    @chat_limit.setter
    def chat_limit(self, value: KeyedRateLimit) -> None:
        self.limits.chat_limit = value

    def handlers(self) -> dict[str, Any]:
        return {
            "telegram_update": self.handle_update,
            "telegram_send": self.handle_send,
            "telegram_grace": self.handle_grace,
            "telegram_handover_opened": self.handle_handover_opened,
        }

    def handle_update(self, session: Session, job: Job) -> None:
        try:
            check_update(job.payload["update"])  # refused at the door since; an older stored one fails once
            update = parse_update(job.payload["update"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"telegram update: {exc}") from None
        message = update.message
        if message is None or message.chat.type != "private" or not message.text:
            return  # groups, channels, stickers, edits: not a deposit question we answer
        chat_id = message.chat.id
        verdict = self.limits.check(chat_id)
        if verdict != "ok":
            if verdict == "warn":
                lang = (session.get(Chat, chat_id) or Chat(chat_id=chat_id, language="en")).language or "en"
                self._queue(session, chat_id, bot_text(lang, "too_many"))
                session.commit()
            log.info("telegram: chat over its rate limit, message dropped")
            return
        incoming = Incoming(chat_id, message.text, message.from_user.language_code if message.from_user else None)
        for text in self.conversation.handle(session, incoming):
            self._queue(session, chat_id, text)
        session.commit()

    def handle_send(self, _session: Session, job: Job) -> None:
        chat_id, text = job.payload.get("chat_id"), job.payload.get("text")
        if not _int64(chat_id) or not isinstance(text, str):
            raise InputError("telegram send: chat_id must be a 64-bit integer and text a string")
        self.api.send(chat_id, text)

    def housekeeping(self, session: Session) -> None:
        session.exec(delete(TelegramUpdate).where(col(TelegramUpdate.received_at) < utcnow() - KEEP_UPDATES))
        session.commit()
        chat_links.purge_codes(session)

    @staticmethod
    def _queue(session: Session, chat_id: int, text: str) -> None:
        enqueue(session, "telegram_send", {"chat_id": chat_id, "text": text}, max_attempts=5)


INT64 = 2**63
MAX_TEXT = 4096  # Telegram's own limit on a message's text


def _int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64


def _strings_storable(value: Any, depth: int = 0) -> bool:
    """No NUL (no database stores one in text or JSON) and no lone surrogate anywhere in the update."""
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return all(_strings_storable(k, depth) and _strings_storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_strings_storable(item, depth + 1) for item in value)
    return True


def check_update(data: dict[str, Any]) -> None:
    """ValueError naming what is wrong when the workers could not handle this update: it is refused
    at the door (a 4xx, stored nowhere) instead of failing in its job on every retry."""
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < INT64:
        raise ValueError("update_id must be a non-negative 64-bit integer")
    if not _strings_storable(data):
        raise ValueError("the update holds a NUL character or a lone surrogate")
    message = data.get("message")
    if message is None:
        return  # edits, channel posts, callbacks: stored and ignored by the job
    if not isinstance(message, dict):
        raise ValueError("message must be an object")
    chat = message.get("chat")
    if not isinstance(chat, dict) or not _int64(chat.get("id")):
        raise ValueError("message.chat.id must be a 64-bit integer")
    if not isinstance(chat.get("type"), str):
        raise ValueError("message.chat.type must be a string")
    sender = message.get("from")
    if sender is not None and (not isinstance(sender, dict) or not _int64(sender.get("id"))):
        raise ValueError("message.from.id must be a 64-bit integer")
    text = message.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        raise ValueError(f"message.text must be a string of at most {MAX_TEXT} characters")
    try:
        parse_update(data)
    except Exception as exc:  # noqa: BLE001 - any shape python-telegram-bot cannot read
        raise ValueError(f"not a Telegram update ({type(exc).__name__})") from None


def accept_update(session: Session, data: dict[str, Any]) -> bool:
    """Store an update and its job in one transaction; False when this update was seen before.
    An update the workers could not handle is a ValueError (`check_update`), and nothing is stored."""
    check_update(data)
    update_id = data["update_id"]
    session.add(TelegramUpdate(update_id=update_id))
    enqueue(session, "telegram_update", {"update": data})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
