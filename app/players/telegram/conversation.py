"""What the bot answers to one message, and what it does on the way (link the chat, investigate,
watch the deposit, hand it to a person). Texts to send are returned; the caller queues them in the
same transaction as the rest, so a crash never answers twice nor half.

Who may learn what: a linked chat is its player, and sees what that player's status link shows;
an unlinked chat sees only what any block explorer would show of a hash (received, confirmations),
never the ledger's state nor who owns a casino address.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.players import chat_links
from app.players.chat_links import Chat
from app.players.routes import view
from app.players.telegram.models import ChatWatch, Handover
from app.players.telegram.words import DEPOSIT_WORDS, bot_text, confirmations_count
from app.players.words import confirmations_label, state_label
from app.runtime.jobs import enqueue
from app.runtime.pages import symbol
from chains.base import ChainError, TxStatus
from chains.providers import Outcome
from investigations import catalogs
from investigations.extract import extract
from investigations.models import Investigation
from investigations.service import InvalidInput, InvestigationRequest, Investigator
from investigations.verdicts import Code

log = logging.getLogger(__name__)
MAX_TEXT = 1000  # a hash, a link or a sentence about a deposit; anything longer is not for us
MAX_HASHES = 3
# Verdicts a player cannot resolve alone: handed to a person at once.
NEEDS_PERSON = {Code.AMOUNT_MISMATCH, Code.WRONG_NETWORK, Code.UNSUPPORTED_ASSET}
# Verdicts saying the tx paid nothing of this player's: the bot says only that, and what the chain
# shows, so that no one can learn from it whose address a payment went to or what a ledger holds.
NOT_YOURS = {Code.OTHER_PLAYER_ADDRESS, Code.NOT_OUR_ADDRESS, Code.ADDRESS_MISMATCH, Code.ALREADY_CLAIMED}
# A search over a player's own deposit addresses (the no-hash search): player_ref -> (records, complete).
Search = Callable[[Session, str], tuple[list[Investigation], bool]]


@dataclass
class Incoming:
    chat_id: int
    text: str
    language_code: str | None = None


@dataclass
class Conversation:
    investigator: Investigator
    public_base_url: str
    secret: str
    handover_helpdesk: str | None = None
    handover_grace: timedelta = timedelta(minutes=30)
    search: Search | None = None

    def handle(self, session: Session, message: Incoming) -> list[str]:
        """Answer one message; the caller queues the returned texts and commits."""
        chat = session.get(Chat, message.chat_id) or Chat(chat_id=message.chat_id)
        if chat.language is None:
            chat.language = language_of(message.language_code)
            session.add(chat)
        lang = chat.language
        text = message.text.strip()
        if len(text) > MAX_TEXT:
            return [bot_text(lang, "too_long")]
        if text.startswith("/"):
            return self._command(session, chat, text)
        found = extract(text, max_hashes=MAX_HASHES)
        if found.tx_hashes:
            address = found.addresses[0][1] if found.addresses else None
            return [self._about_hash(session, chat, tx_hash, address) for tx_hash in found.tx_hashes]
        if not any(word in text.lower() for word in DEPOSIT_WORDS):
            return [bot_text(lang, "not_understood")]
        if chat.player_ref is None:
            return [bot_text(lang, "not_linked")]
        return [self._search(session, chat)]

    # -- commands -------------------------------------------------------------------------------
    def _command(self, session: Session, chat: Chat, text: str) -> list[str]:
        name, _, argument = text.partition(" ")
        name, argument, lang = name.split("@")[0].lower(), argument.strip(), chat.language or "en"
        if name == "/start" and argument:
            player = chat_links.redeem(session, argument, chat.chat_id, self.secret)
            session.add(chat)
            return [bot_text(lang, "linked" if player else "link_invalid")]
        if name in ("/start", "/help"):
            return [bot_text(lang, "help")]
        if name == "/language":
            if argument.lower() in catalogs.LANGUAGES:
                chat.language = argument.lower()
                session.add(chat)
                return [bot_text(chat.language, "language_set")]
            return [bot_text(lang, "language_choose")]
        if name == "/unlink":
            was_linked = chat_links.unlink(session, chat.chat_id)
            return [bot_text(lang, "unlinked" if was_linked else "not_linked")]
        if name == "/status":
            return [self._status(session, chat)]
        if name == "/human":
            return [self.hand_over(session, chat, self._latest(session, chat), reason="the player asked for a person")]
        return [bot_text(lang, "not_understood")]

    def _status(self, session: Session, chat: Chat) -> str:
        lang = chat.language or "en"
        if chat.player_ref is None:
            return bot_text(lang, "not_linked")
        records = session.exec(
            select(Investigation)
            .join(ChatWatch, col(ChatWatch.investigation_id) == col(Investigation.id))
            .where(ChatWatch.chat_id == chat.chat_id, Investigation.player_ref == chat.player_ref)
            .order_by(col(Investigation.created_at).desc())
            .limit(5)
        ).all()
        if not records:
            return bot_text(lang, "none_recent")
        return "\n\n".join(self.describe(record, lang) for record in records)

    def _latest(self, session: Session, chat: Chat) -> Investigation | None:
        if chat.player_ref is None:
            return None
        return session.exec(
            select(Investigation)
            .join(ChatWatch, col(ChatWatch.investigation_id) == col(Investigation.id))
            .where(ChatWatch.chat_id == chat.chat_id, Investigation.player_ref == chat.player_ref)
            .order_by(col(Investigation.created_at).desc())
        ).first()

    # -- a hash ---------------------------------------------------------------------------------
    def _about_hash(self, session: Session, chat: Chat, tx_hash: str, address: str | None) -> str:
        lang = chat.language or "en"
        if chat.player_ref is None:
            return self._chain_only(session, tx_hash, lang)
        request = InvestigationRequest(
            tx_hash, address, None, chat.player_ref, f"telegram:{chat.chat_id}", channel="telegram"
        )
        try:
            record = self.investigator.investigate(session, request)
        except InvalidInput:
            return bot_text(lang, "invalid_hash")
        except ChainError:
            log.exception("telegram lookup of a hash failed")
            session.rollback()
            return bot_text(lang, "busy")
        if Code(record.code) in NOT_YOURS:
            return self._chain_only(session, record.tx_hash, lang, linked=True)
        self.watch(session, chat.chat_id, record, lang)
        text = self.describe(record, lang)
        follow = self.after_verdict(session, chat, record)
        return f"{text}\n\n{follow}" if follow else text

    def _chain_only(self, session: Session, tx_hash: str, lang: str, *, linked: bool = False) -> str:
        """What any explorer shows of the hash: found or not, confirmations. Nothing from the ledger."""
        try:
            chain, lookup = self.investigator.chain_status(session, tx_hash)
        except InvalidInput:
            return bot_text(lang, "invalid_hash")
        except ChainError:
            return bot_text(lang, "busy")
        network = {"btc": "Bitcoin", "eth": "Ethereum", "tron": "TRON"}.get(chain.value, chain.value)
        tx = lookup.tx
        if lookup.outcome is Outcome.UNAVAILABLE:
            return bot_text(lang, "busy")
        if tx is None or tx.status is TxStatus.NOT_FOUND:
            state = bot_text(lang, "chain_unknown")
        elif tx.status is TxStatus.MEMPOOL:
            state = bot_text(lang, "chain_mempool")
        elif tx.status is TxStatus.FAILED:
            state = bot_text(lang, "chain_failed")
        else:
            confirmations = int(tx.confirmations or 0)
            state = f"{bot_text(lang, 'chain_confirmed')} ({confirmations_count(lang, confirmations)})"
        found = bot_text(lang, "chain_found", network=network, state=state)
        return found + "\n" + bot_text(lang, "not_yours" if linked else "chain_only")

    # -- the no-hash search ---------------------------------------------------------------------
    def _search(self, session: Session, chat: Chat) -> str:
        lang = chat.language or "en"
        if self.search is None or chat.player_ref is None:
            return bot_text(lang, "ask_hash")
        try:
            records, complete = self.search(session, chat.player_ref)
        except ChainError:
            session.rollback()
            return bot_text(lang, "busy")
        if not records:
            return (
                bot_text(lang, "search_none")
                if complete
                else bot_text(lang, "search_partial") + "\n" + bot_text(lang, "ask_hash")
            )
        for record in records:
            self.watch(session, chat.chat_id, record, lang)
        lines = [bot_text(lang, "search_found"), *(self.describe(record, lang) for record in records[:5])]
        if not complete:
            lines.append(bot_text(lang, "search_partial"))
        return "\n\n".join(lines)

    # -- shared with the follow-ups ---------------------------------------------------------------
    def describe(self, record: Investigation, lang: str) -> str:
        """The status page's content as a message: state, amount, network, confirmations, next step, link."""
        data = view(record, lang)
        lines = [f"{symbol(record.code)} {state_label(lang, data['state'])}"]
        if data.get("amount") and data.get("asset"):
            lines.append(f"{data['amount']} {data['asset']} · {data['network']}")
        else:
            lines.append(str(data["network"]))
        if data.get("required"):
            lines.append(confirmations_label(lang, data["confirmations"] or 0, data["required"]))
        lines.append(data["tx_short"])
        if data.get("message"):
            lines.append(data["message"])
        url = f"{self.public_base_url}/s/{self.investigator.status_token(record)}"
        lines.append(bot_text(lang, "status_link", url=url))
        return "\n".join(lines)

    def watch(self, session: Session, chat_id: int, record: Investigation, lang: str) -> None:
        state = view(record, lang)["state"]
        existing = session.get(ChatWatch, (chat_id, record.id))
        if existing is None:
            session.add(ChatWatch(chat_id=chat_id, investigation_id=record.id, last_state=state))
        else:
            existing.last_state = state
            session.add(existing)

    def after_verdict(
        self, session: Session, chat: Chat, record: Investigation, *, gave_up: bool = False
    ) -> str | None:
        """Hand the deposit to a person when its verdict needs one; the grace for crediting is waited for."""
        code = Code(record.code)
        if code in NEEDS_PERSON or (gave_up and not record.final):
            return self.hand_over(session, chat, record, reason=f"verdict {record.code}")
        if code is Code.CONFIRMED_NOT_CREDITED:
            final_at = record.final_at or record.created_at
            due = final_at + self.handover_grace
            if due <= self.investigator.clock():
                return self.hand_over(session, chat, record, reason="confirmed, not credited after the grace")
            enqueue(session, "telegram_grace", {"chat_id": chat.chat_id, "investigation_id": record.id}, run_after=due)
        return None

    def hand_over(self, session: Session, chat: Chat, record: Investigation | None, *, reason: str) -> str:
        """One ticket per player (or chat) and deposit; asking again points to the same ticket."""
        lang = chat.language or "en"
        if self.handover_helpdesk is None:
            return bot_text(lang, "handover_unavailable")
        who = f"player:{chat.player_ref}" if chat.player_ref else f"chat:{chat.chat_id}"
        key = f"{who}:{record.tx_hash if record else '-'}"[:200]
        existing = session.get(Handover, key)
        if existing is not None:
            if existing.ticket_ref:
                return bot_text(lang, "handover_exists", ticket=existing.ticket_ref)
            return bot_text(lang, "handover_pending")
        try:
            with session.begin_nested():
                session.add(
                    Handover(
                        key=key,
                        chat_id=chat.chat_id,
                        investigation_id=record.id if record else None,
                        helpdesk=self.handover_helpdesk,
                    )
                )
        except IntegrityError:
            return bot_text(lang, "handover_pending")
        enqueue(session, "handover", self._handover_payload(chat, record, key, reason))
        return bot_text(lang, "handover_opening")

    def _handover_payload(self, chat: Chat, record: Investigation | None, key: str, reason: str) -> dict[str, Any]:
        lang = chat.language or "en"
        pseudonym = (
            chat.player_ref or "telegram-" + hashlib.sha256(f"{self.secret}:{chat.chat_id}".encode()).hexdigest()[:10]
        )
        lines = [f"Deposit question from {pseudonym} via Telegram ({reason})."]
        if record is not None:
            lines += [f"Transaction: {record.tx_hash} ({record.chain})", f"Verdict: {record.code}"]
            lines.append(f"Status link: {self.public_base_url}/s/{self.investigator.status_token(record)}")
        return {
            "helpdesk": self.handover_helpdesk,
            "key": key,
            "subject": f"Deposit question ({pseudonym})",
            "text": "\n".join(lines),
            "requester": pseudonym,
            "language": lang,
            "investigation_id": record.id if record else None,
            "then": {"kind": "telegram_handover_opened", "payload": {"key": key}},
        }


def language_of(code: str | None) -> str:
    base = (code or "").split("-")[0].lower()
    return base if base in catalogs.LANGUAGES else catalogs.SOURCE_LANGUAGE
