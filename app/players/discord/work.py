"""The Discord bot's jobs: answer a slash command (the deferred answer is edited when the verdict is
ready), deliver a text, look again when the crediting grace is over, tell the player a handover's
ticket number; and after each re-check, tell watching accounts once when their deposit's state
changed. A follow-up goes through the player's latest interaction while its token lives, else by DM."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, update

from app.players import chat_links
from app.players.bot_words import bot_text
from app.players.conversation import ConversationWork, Limits, language_of
from app.players.discord.api import DiscordApi, TokenGone
from app.players.discord.commands import Command, DiscordConversation
from app.players.discord.models import DiscordInteraction, DiscordUser
from app.runtime.jobs import Job, enqueue
from investigations.types import utcnow

log = logging.getLogger(__name__)
KEEP_INTERACTIONS = timedelta(days=7)
TOKEN_LIFE = timedelta(minutes=14)  # Discord's is 15 minutes; a minute's margin for the queue


class DiscordWork(ConversationWork):
    def __init__(
        self,
        api: DiscordApi,
        conversation: DiscordConversation,
        *,
        per_user_per_minute: float = 20,
        global_per_minute: float = 1200,
        redis_url: str = "",
        redis_prefix: str = "depositdesk",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = api
        self.conversation = conversation
        self.clock = clock
        self.limits = Limits(
            "discord",
            per_chat=per_user_per_minute,
            global_=global_per_minute,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        )

    def handlers(self) -> dict[str, Any]:
        return {
            "discord_interaction": self.handle_interaction,
            "discord_send": self.handle_send,
            "discord_grace": self.handle_grace,
            "discord_handover_opened": self.handle_handover_opened,
        }

    def handle_interaction(self, session: Session, job: Job) -> None:
        payload = job.payload
        user_id, token = int(payload["user_id"]), str(payload["token"])
        lang = language_of(payload.get("locale"))
        if self.limits.check(user_id) != "ok":
            # The deferred answer must be edited, or the player watches "thinking…" until it times out.
            log.info("discord: account over its rate limit, command not answered")
            self._queue(session, user_id, bot_text(lang, "too_many"), token=token)
            session.commit()
            return
        chat = self.conversation.chat(session, user_id, payload.get("locale"))
        chat.language = lang  # Discord sends the player's client language with every interaction
        session.add(chat)
        text = self.conversation.command(session, chat, payload["name"], payload.get("options") or {})
        chat = session.get(DiscordUser, user_id) or DiscordUser(chat_id=user_id)  # linking commits on its own
        chat.language, chat.token, chat.token_expires_at = lang, token, self.clock() + TOKEN_LIFE
        session.add(chat)
        self._queue(session, user_id, text, token=token)
        session.commit()

    def handle_send(self, session: Session, job: Job) -> None:
        payload = job.payload
        user_id, text = int(payload["user_id"]), payload["text"]
        if payload.get("token"):
            try:
                self.api.edit_original(payload["token"], text)
                return
            except TokenGone:  # the queue took longer than the token lives: the answer goes by DM
                self.api.dm(user_id, text)
                return
        user = session.get(DiscordUser, user_id)
        if user is not None and user.token and user.token_expires_at and user.token_expires_at > self.clock():
            try:
                self.api.followup(user.token, text)
                return
            except TokenGone:
                pass
        self.api.dm(user_id, text)

    def housekeeping(self, session: Session) -> None:
        now = self.clock()
        session.exec(delete(DiscordInteraction).where(col(DiscordInteraction.received_at) < now - KEEP_INTERACTIONS))
        session.exec(
            update(DiscordUser)
            .where(col(DiscordUser.token_expires_at) < now)
            .values(token=None, token_expires_at=None)  # a dead token is of no use; keep none
        )
        session.commit()
        chat_links.purge_codes(session)

    @staticmethod
    def _queue(session: Session, user_id: int, text: str, *, token: str | None = None) -> None:
        """A text for the player: with `token`, the edit of that interaction's deferred answer; else a follow-up."""
        payload: dict[str, Any] = {"user_id": user_id, "text": text}
        if token:
            payload["token"] = token
        enqueue(session, "discord_send", payload, max_attempts=5)


def accept_command(session: Session, command: Command) -> bool:
    """Store the interaction's id and its job in one transaction; False when this id was seen before."""
    session.add(DiscordInteraction(interaction_id=command.interaction_id))
    enqueue(session, "discord_interaction", command.payload())
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
