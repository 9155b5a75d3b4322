"""The bot's jobs: answer an update, send a message, look again when the crediting grace is over,
tell the player a handover's ticket number; and after each re-check, tell watching chats once
when their deposit's state changed."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.players import chat_links
from app.players.chat_links import Chat
from app.players.routes import view
from app.players.telegram.bot_api import BotApi, parse_update
from app.players.telegram.conversation import Conversation, Incoming
from app.players.telegram.models import ChatWatch, Handover, TelegramUpdate
from app.players.telegram.words import bot_text
from app.runtime.jobs import Job, enqueue
from app.runtime.ratelimit import KeyedRateLimit
from chains.base import ChainError
from investigations.models import Investigation
from investigations.types import utcnow

log = logging.getLogger(__name__)
KEEP_UPDATES = timedelta(days=7)


class TelegramWork:
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
        shared = {"redis_url": redis_url, "prefix": redis_prefix}  # one count for every worker process
        self.chat_limit = KeyedRateLimit(per_chat_per_minute, name="telegram-chat", **shared)
        self.warned = KeyedRateLimit(1, name="telegram-warned", **shared)  # one "slow down" a minute, then silence
        self.global_limit = KeyedRateLimit(global_per_minute, name="telegram-all", **shared)

    def handlers(self) -> dict[str, Any]:
        return {
            "telegram_update": self.handle_update,
            "telegram_send": self.handle_send,
            "telegram_grace": self.handle_grace,
            "telegram_handover_opened": self.handle_handover_opened,
        }

    def handle_update(self, session: Session, job: Job) -> None:
        update = parse_update(job.payload["update"])
        message = update.message
        if message is None or message.chat.type != "private" or not message.text:
            return  # groups, channels, stickers, edits: not a deposit question we answer
        chat_id = message.chat.id
        if not self.global_limit.allow("all") or not self.chat_limit.allow(str(chat_id)):
            if self.warned.allow(str(chat_id)):
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
        self.api.send(int(job.payload["chat_id"]), job.payload["text"])

    def handle_grace(self, session: Session, job: Job) -> None:
        """The casino's processor had its grace to credit a confirmed deposit: look again at the ledger."""
        record = session.get(Investigation, job.payload["investigation_id"])
        chat = session.get(Chat, int(job.payload["chat_id"]))
        if record is None or chat is None or chat.player_ref != record.player_ref:
            return
        try:
            record = self.conversation.investigator.recheck(session, record)
        except ChainError:
            session.rollback()
            raise
        if record.code != "confirmed_not_credited":
            self.after_recheck(session, record)  # credited (or otherwise changed) meanwhile: say so
            return
        text = self.conversation.hand_over(session, chat, record, reason="confirmed, not credited after the grace")
        self._queue(session, chat.chat_id, text)
        session.commit()

    def handle_handover_opened(self, session: Session, job: Job) -> None:
        handover = session.get(Handover, job.payload["key"])
        if handover is None:
            return
        handover.ticket_ref = str(job.payload["ticket_ref"])
        session.add(handover)
        chat = session.get(Chat, handover.chat_id)
        lang = chat.language if chat and chat.language else "en"
        self._queue(session, handover.chat_id, bot_text(lang, "handover_opened", ticket=handover.ticket_ref))
        session.commit()

    def after_recheck(self, session: Session, record: Investigation, *, gave_up: bool = False) -> None:
        """Each chat watching `record` hears once of a new state; a verdict that needs a person is handed over."""
        watches = session.exec(select(ChatWatch).where(ChatWatch.investigation_id == record.id)).all()
        for watch in watches:
            chat = session.get(Chat, watch.chat_id)
            if chat is None or chat.player_ref is None or chat.player_ref != record.player_ref:
                continue  # unlinked since, or linked to someone else: they may not hear of it
            lang = chat.language or "en"
            state = view(record, lang)["state"]
            texts = []
            if state != watch.last_state:
                watch.last_state = state
                session.add(watch)
                short = f"{record.tx_hash[:10]}…{record.tx_hash[-6:]}" if record.tx_hash else str(record.payout_id)
                texts.append(bot_text(lang, "changed", tx=short) + "\n" + self.conversation.describe(record, lang))
            follow = self.conversation.after_verdict(session, chat, record, gave_up=gave_up)
            if follow and (texts or gave_up):
                texts.append(follow)
            for text in texts:
                self._queue(session, chat.chat_id, text)
        session.commit()

    def housekeeping(self, session: Session) -> None:
        session.exec(delete(TelegramUpdate).where(col(TelegramUpdate.received_at) < utcnow() - KEEP_UPDATES))
        session.commit()
        chat_links.purge_codes(session)

    @staticmethod
    def _queue(session: Session, chat_id: int, text: str) -> None:
        enqueue(session, "telegram_send", {"chat_id": chat_id, "text": text}, max_attempts=5)


def accept_update(session: Session, data: dict[str, Any]) -> bool:
    """Store an update and its job in one transaction; False when this update was seen before."""
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        raise ValueError("update_id must be a non-negative integer")
    session.add(TelegramUpdate(update_id=update_id))
    enqueue(session, "telegram_update", {"update": data})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
