"""What the Telegram bot answers to one message: the text is parsed here (commands, hashes and links,
deposit words), the rules of what to say and do are the players' shared conversation
(`app.players.conversation`), the same for Discord."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.players.chat_links import Chat
from app.players.conversation import NEEDS_PERSON, NOT_YOURS, Network, Search, language_of
from app.players.conversation import Conversation as Shared
from app.players.telegram.models import ChatWatch
from app.players.telegram.words import DEPOSIT_WORDS
from investigations import catalogs
from investigations.extract import extract

__all__ = ["NEEDS_PERSON", "NOT_YOURS", "Conversation", "Incoming", "Search", "language_of"]
MAX_TEXT = 1000  # a hash, a link or a sentence about a deposit; anything longer is not for us
MAX_HASHES = 3
TELEGRAM = Network(
    name="telegram",
    label="Telegram",
    chat_model=Chat,
    watch_model=ChatWatch,
    grace_job="telegram_grace",
    opened_job="telegram_handover_opened",
    unlinked_prefix="chat",
)


@dataclass
class Incoming:
    chat_id: int
    text: str
    language_code: str | None = None


@dataclass
class Conversation(Shared):
    network = TELEGRAM

    def handle(self, session: Session, message: Incoming) -> list[str]:
        """Answer one message; the caller queues the returned texts and commits."""
        chat = self.chat(session, message.chat_id, message.language_code)
        lang = chat.language
        text = message.text.strip()
        if len(text) > MAX_TEXT:
            return [self.say(lang, "too_long")]
        if text.startswith("/"):
            return self._command(session, chat, text)
        found = extract(text, max_hashes=MAX_HASHES)
        if found.withdrawal or found.payout_ids:  # issue 25: "where is my withdrawal?"
            return [self.about_payout(session, chat, found)]
        if found.tx_hashes:
            address = found.addresses[0][1] if found.addresses else None
            return [self.about_hash(session, chat, tx_hash, address) for tx_hash in found.tx_hashes]
        if not any(word in text.lower() for word in DEPOSIT_WORDS):
            return [self.say(lang, "not_understood")]
        if chat.player_ref is None:
            return [self.say(lang, "not_linked")]
        return [self.own_deposits(session, chat)]

    def _command(self, session: Session, chat: Chat, text: str) -> list[str]:
        name, _, argument = text.partition(" ")
        name, argument, lang = name.split("@")[0].lower(), argument.strip(), chat.language or "en"
        if name == "/start" and argument:
            return [self.link(session, chat, argument)]
        if name in ("/start", "/help"):
            return [self.say(lang, "help")]
        if name == "/language":
            if argument.lower() in catalogs.LANGUAGES:
                chat.language = argument.lower()
                session.add(chat)
                return [self.say(chat.language, "language_set")]
            return [self.say(lang, "language_choose")]
        if name == "/unlink":
            return [self.unlink(session, chat)]
        if name == "/status":
            return [self.status(session, chat)]
        if name == "/human":
            return [self.human(session, chat)]
        if name == "/withdrawal":
            return [self.withdrawals(session, chat, argument or None)]
        return [self.say(lang, "not_understood")]
