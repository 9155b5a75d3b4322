"""One conversation with a player, whatever the messenger: what a linked or unlinked player may learn,
how a chat gets linked and unlinked, the deposits a chat watches and the follow-ups when their state
changes, the crediting grace, the limits, and the handover to a helpdesk ticket with the player's
pseudonym. Telegram (`telegram/`) and Discord (`discord/`) only parse what arrives and deliver what
this returns; a rule is changed here, once, for both.

Texts to send are returned; the transport queues them in the same transaction as the rest, so a
crash never answers twice nor half.

Who may learn what: a linked chat is its player, and sees what that player's status link shows;
an unlinked chat sees only what any block explorer would show of a hash (received, confirmations),
never the ledger's state nor who owns a casino address.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from app.players import chat_links
from app.players.bot_words import bot_text, confirmations_count
from app.players.models import Handover
from app.players.routes import handed_on, view
from app.players.words import NETWORKS, confirmations_label, eta_label, state_label
from app.runtime.jobs import Job, enqueue
from app.runtime.pages import symbol
from app.runtime.ratelimit import KeyedRateLimit
from chains.base import ChainError, TxStatus
from chains.providers import Outcome
from investigations import catalogs
from investigations.extract import Extracted
from investigations.models import Investigation
from investigations.payouts import PayoutRecord, find_payout, payout_by_id
from investigations.service import InvalidInput, InvestigationRequest, Investigator
from investigations.verdicts import PAYOUT_CASINO_ERRORS, Code, PayoutCode

log = logging.getLogger(__name__)
# Verdicts a player cannot resolve alone: handed to a person at once.
NEEDS_PERSON = {Code.AMOUNT_MISMATCH, Code.WRONG_NETWORK, Code.UNSUPPORTED_ASSET}
# Verdicts saying the tx paid nothing of this player's: the bot says only that, and what the chain
# shows, so that no one can learn from it whose address a payment went to or what a ledger holds.
NOT_YOURS = {Code.OTHER_PLAYER_ADDRESS, Code.NOT_OUR_ADDRESS, Code.ADDRESS_MISMATCH, Code.ALREADY_CLAIMED}
# A search over a player's own deposit addresses (the no-hash search): player_ref -> (records, complete).
Search = Callable[[Session, str], tuple[list[Investigation], bool]]
Message = tuple[int, str]  # (chat id, text) for the transport to deliver
# Withdrawals the casino got wrong (stuck, wrong address, failed, ...): a person at once. Not sent yet
# is also what a withdrawal waiting for approval is: handed over only when the re-checks give up.
PAYOUT_NEEDS_PERSON = PAYOUT_CASINO_ERRORS - {PayoutCode.NOT_SENT}
MAX_WITHDRAWALS = 3


def code_of(record: Investigation) -> Code | PayoutCode:
    """The verdict code of a deposit or of a withdrawal (payout) investigation (which may also be a
    deposit code, e.g. provider_unavailable)."""
    try:
        return Code(record.code)
    except ValueError:
        return PayoutCode(record.code)


def short_ref(record: Investigation) -> str:
    return f"{record.tx_hash[:10]}…{record.tx_hash[-6:]}" if record.tx_hash else str(record.payout_id)


class ChatRow(Protocol):
    """A player's chat on one messenger (a Telegram chat, a Discord user): linked while `player_ref` is set."""

    chat_id: int
    player_ref: str | None
    language: str | None


@dataclass(frozen=True)
class Network:
    """How one messenger's rows and jobs are named; the rules are the same for every network."""

    name: str  # "telegram" | "discord": the investigation's channel, the link codes' network
    label: str  # in the handover ticket: "via Telegram"
    chat_model: type[SQLModel]
    watch_model: type[SQLModel]  # (chat_id, investigation_id, last_state)
    grace_job: str
    opened_job: str
    unlinked_prefix: str  # the handover key of an unlinked chat: "<prefix>:<chat id>:<tx>"
    words: dict[str, str] = field(default_factory=dict)  # the network's own sentences for some keys


class Limits:
    """Messages per chat and in all per minute (shared through Redis when configured); one "slow
    down" a minute to a chat over its limit, then silence."""

    def __init__(
        self, network: str, *, per_chat: float, global_: float, redis_url: str = "", redis_prefix: str = "depositdesk"
    ) -> None:
        shared = {"redis_url": redis_url, "prefix": redis_prefix}  # one count for every worker process
        self.chat_limit = KeyedRateLimit(per_chat, name=f"{network}-chat", **shared)
        self.warned = KeyedRateLimit(1, name=f"{network}-warned", **shared)
        self.global_limit = KeyedRateLimit(global_, name=f"{network}-all", **shared)

    def check(self, chat_id: int) -> str:
        """Whether to answer ("ok"), say "too many" once ("warn") or stay silent ("drop")."""
        if self.global_limit.allow("all") and self.chat_limit.allow(str(chat_id)):
            return "ok"
        return "warn" if self.warned.allow(str(chat_id)) else "drop"


@dataclass
class Conversation:
    investigator: Investigator
    public_base_url: str
    secret: str
    handover_helpdesk: str | None = None
    handover_grace: timedelta = timedelta(minutes=30)
    search: Search | None = None
    network: ClassVar[Network]

    # -- words and chats ----------------------------------------------------------------------------
    def say(self, lang: str | None, key: str, **values: object) -> str:
        return bot_text(lang or "en", key, words=self.network.words, **values)

    def chat(self, session: Session, chat_id: int, language_code: str | None = None) -> Any:
        """The chat's row (new ones not stored until the caller adds them); the language set on first sight."""
        chat = session.get(self.network.chat_model, chat_id) or self.network.chat_model(chat_id=chat_id)
        if chat.language is None:
            chat.language = language_of(language_code)
            session.add(chat)
        return chat

    def link(self, session: Session, chat: ChatRow, code: str) -> str:
        lang = chat.language
        player = chat_links.redeem(
            session, code, chat.chat_id, self.secret, network=self.network.name, chat_model=self.network.chat_model
        )
        session.add(chat)
        return self.say(lang, "linked" if player else "link_invalid")

    def unlink(self, session: Session, chat: ChatRow) -> str:
        was_linked = chat_links.unlink(session, chat.chat_id, chat_model=self.network.chat_model)
        return self.say(chat.language, "unlinked" if was_linked else "not_linked")

    def human(self, session: Session, chat: ChatRow) -> str:
        return self.hand_over(session, chat, self._latest(session, chat), reason="the player asked for a person")

    # -- what the chat watches ------------------------------------------------------------------------
    def _watched(self, chat: ChatRow):  # type: ignore[no-untyped-def]
        watch = self.network.watch_model
        return (
            select(Investigation)
            .join(watch, col(watch.investigation_id) == col(Investigation.id))  # type: ignore[attr-defined]
            .where(watch.chat_id == chat.chat_id, Investigation.player_ref == chat.player_ref)  # type: ignore[attr-defined]
            .order_by(col(Investigation.created_at).desc())
        )

    def status(self, session: Session, chat: ChatRow) -> str:
        lang = chat.language or "en"
        if chat.player_ref is None:
            return self.say(lang, "not_linked")
        records = session.exec(self._watched(chat).limit(5)).all()
        if not records:
            return self.say(lang, "none_recent")
        return "\n\n".join(self.describe(session, record, lang) for record in records)

    def _latest(self, session: Session, chat: ChatRow) -> Investigation | None:
        if chat.player_ref is None:
            return None
        return session.exec(self._watched(chat)).first()

    def watch(self, session: Session, chat_id: int, record: Investigation, lang: str) -> None:
        state = self.shown(session, record, lang)["state"]
        model = self.network.watch_model
        existing = session.get(model, (chat_id, record.id))
        if existing is None:
            session.add(model(chat_id=chat_id, investigation_id=record.id, last_state=state))
        else:
            existing.last_state = state  # type: ignore[attr-defined]
            session.add(existing)

    # -- a hash ---------------------------------------------------------------------------------------
    def about_hash(self, session: Session, chat: ChatRow, tx_hash: str, address: str | None) -> str:
        lang = chat.language or "en"
        if chat.player_ref is None:
            return self.chain_only(session, tx_hash, lang)
        name = self.network.name
        request = InvestigationRequest(tx_hash, address, None, chat.player_ref, f"{name}:{chat.chat_id}", channel=name)
        try:
            record = self.investigator.investigate(session, request)
        except InvalidInput:
            return self.say(lang, "invalid_hash")
        except ChainError:
            log.exception("%s lookup of a hash failed", name)
            session.rollback()
            return self.say(lang, "busy")
        if code_of(record) in NOT_YOURS or record.player_ref != chat.player_ref:  # e.g. another player's payout tx
            return self.chain_only(session, record.tx_hash, lang, linked=True)
        return self.answer(session, chat, record, lang)

    # -- a withdrawal (payout, issue 25) ------------------------------------------------------------
    def about_payout(self, session: Session, chat: ChatRow, found: Extracted) -> str:
        """ "Where is my withdrawal?": the linked player's own payout, named by its id, else by the hash
        (a hash no payout of theirs names is a deposit question), else their latest withdrawal."""
        lang = chat.language or "en"
        if chat.player_ref is None:
            return self.say(lang, "not_linked")
        payout = None
        for payout_id in found.payout_ids:
            named = find_payout(session, payout_id=payout_id)
            if named is not None and named.player_ref == chat.player_ref:
                payout = named
                break
        if payout is None and found.tx_hash:
            address = found.addresses[0][1] if found.addresses else None
            return self.about_hash(session, chat, found.tx_hash, address)
        if payout is None:
            payout = find_payout(session, player_ref=chat.player_ref)
        if payout is None:
            return self.say(lang, "no_payout")
        name = self.network.name
        try:
            record = self.investigator.investigate_payout(
                session, payout, channel=name, ticket_ref=f"{name}:{chat.chat_id}"
            )
        except InvalidInput:
            return self.say(lang, "no_payout")
        except ChainError:
            log.exception("%s lookup of a payout failed", name)
            session.rollback()
            return self.say(lang, "busy")
        return self.answer(session, chat, record, lang)

    def chain_only(self, session: Session, tx_hash: str, lang: str, *, linked: bool = False) -> str:
        """What any explorer shows of the hash: found or not, confirmations. Nothing from the ledger."""
        try:
            chain, lookup = self.investigator.chain_status(session, tx_hash)
        except InvalidInput:
            return self.say(lang, "invalid_hash")
        except ChainError:
            return self.say(lang, "busy")
        network = NETWORKS.get(chain.value, chain.value)
        tx = lookup.tx
        if lookup.outcome is Outcome.UNAVAILABLE:
            return self.say(lang, "busy")
        if tx is None or tx.status is TxStatus.NOT_FOUND:
            state = self.say(lang, "chain_unknown")
        elif tx.status is TxStatus.MEMPOOL:
            state = self.say(lang, "chain_mempool")
        elif tx.status is TxStatus.FAILED:
            state = self.say(lang, "chain_failed")
        else:
            confirmations = int(tx.confirmations or 0)
            state = f"{self.say(lang, 'chain_confirmed')} ({confirmations_count(lang, confirmations)})"
        found = self.say(lang, "chain_found", network=network, state=state)
        return found + "\n" + self.say(lang, "not_yours" if linked else "chain_only")

    # -- the no-hash search ---------------------------------------------------------------------------
    def own_deposits(self, session: Session, chat: ChatRow) -> str:
        lang = chat.language or "en"
        if self.search is None or chat.player_ref is None:
            return self.say(lang, "ask_hash")
        try:
            records, complete = self.search(session, chat.player_ref)
        except ChainError:
            session.rollback()
            return self.say(lang, "busy")
        if not records:
            return (
                self.say(lang, "search_none")
                if complete
                else self.say(lang, "search_partial") + "\n" + self.say(lang, "ask_hash")
            )
        for record in records:
            self.watch(session, chat.chat_id, record, lang)
        lines = [self.say(lang, "search_found"), *(self.describe(session, record, lang) for record in records[:5])]
        if not complete:
            lines.append(self.say(lang, "search_partial"))
        return "\n\n".join(lines)

    # -- withdrawals ------------------------------------------------------------------------------------
    def withdrawals(self, session: Session, chat: ChatRow, payout_id: str | None = None) -> str:
        """A linked player's withdrawals (the one named, or the latest few) as the status page shows
        them, watched like deposits. An unlinked chat, or a reference of another player's, learns nothing."""
        lang = chat.language or "en"
        if chat.player_ref is None:
            return self.say(lang, "not_linked")
        if payout_id:
            named = payout_by_id(session, payout_id.strip()[:128])
            payouts = [named] if named is not None and named.player_ref == chat.player_ref else []
            if not payouts:
                return self.say(lang, "withdrawal_unknown")
        else:
            payouts = list(
                session.exec(
                    select(PayoutRecord)
                    .where(PayoutRecord.player_ref == chat.player_ref)
                    .order_by(col(PayoutRecord.requested_at).desc())
                    .limit(MAX_WITHDRAWALS)
                ).all()
            )
            if not payouts:
                return self.say(lang, "withdrawal_none")
        texts = []
        name = self.network.name
        for payout in payouts:
            try:
                record = self.investigator.investigate_payout(
                    session, payout, channel=name, ticket_ref=f"{name}:{chat.chat_id}"
                )
            except (InvalidInput, ChainError):
                log.warning("%s: a withdrawal could not be looked up", name, exc_info=True)
                session.rollback()
                return self.say(lang, "busy")
            texts.append(self.answer(session, chat, record, lang))
        return "\n\n".join(texts)

    # -- shared with the follow-ups -------------------------------------------------------------------
    def answer(self, session: Session, chat: ChatRow, record: Investigation, lang: str) -> str:
        """A verdict the chat asked for: watched for follow-ups, described, and handed over if it needs a person."""
        self.watch(session, chat.chat_id, record, lang)
        text = self.describe(session, record, lang)
        follow = self.after_verdict(session, chat, record)
        return f"{text}\n\n{follow}" if follow else text

    @staticmethod
    def shown(session: Session, record: Investigation, lang: str) -> dict[str, Any]:
        """What the status page shows of `record` now (passed on once a ticket or a finding has it)."""
        return view(record, lang, passed_on=handed_on(session, record))

    def describe(self, session: Session, record: Investigation, lang: str) -> str:
        """The status page's content as a message: state, amount, network, confirmations, next step, link."""
        data = self.shown(session, record, lang)
        lines = [f"{symbol(record.code)} {state_label(lang, data['state'])}"]
        if data.get("amount") and data.get("asset"):
            lines.append(f"{data['amount']} {data['asset']} · {data['network']}")
        else:
            lines.append(str(data["network"]))
        if data.get("required"):
            lines.append(confirmations_label(lang, data["confirmations"] or 0, data["required"]))
        if data.get("eta_minutes"):
            lines.append(eta_label(lang, int(data["eta_minutes"])))
        if data.get("tx_short"):
            lines.append(data["tx_short"])
        if data.get("message"):
            lines.append(data["message"])
        url = f"{self.public_base_url}/s/{self.investigator.status_token(record)}"
        lines.append(self.say(lang, "status_link", url=url))
        return "\n".join(lines)

    def after_verdict(
        self, session: Session, chat: ChatRow, record: Investigation, *, gave_up: bool = False
    ) -> str | None:
        """Hand the deposit to a person when its verdict needs one; the grace for crediting is waited for."""
        code = code_of(record)
        if code in NEEDS_PERSON or code in PAYOUT_NEEDS_PERSON or (gave_up and not record.final):
            return self.hand_over(session, chat, record, reason=f"verdict {record.code}")
        if code is Code.CONFIRMED_NOT_CREDITED:
            final_at = record.final_at or record.created_at
            due = final_at + self.handover_grace
            if due <= self.investigator.clock():
                return self.hand_over(session, chat, record, reason="confirmed, not credited after the grace")
            payload = {"chat_id": chat.chat_id, "investigation_id": record.id}
            enqueue(session, self.network.grace_job, payload, run_after=due)
        return None

    def followups(self, session: Session, record: Investigation, *, gave_up: bool = False) -> list[Message]:
        """After a re-check: each chat watching `record` hears once of a new state; a verdict that
        needs a person is handed over. Chats unlinked since, or linked to someone else, hear nothing."""
        model = self.network.watch_model
        watches = session.exec(select(model).where(model.investigation_id == record.id)).all()  # type: ignore[attr-defined]
        messages: list[Message] = []
        for watch in watches:
            chat = session.get(self.network.chat_model, watch.chat_id)
            if chat is None or chat.player_ref is None or chat.player_ref != record.player_ref:
                continue
            lang = chat.language or "en"
            state = self.shown(session, record, lang)["state"]
            texts = []
            if state != watch.last_state:
                watch.last_state = state
                session.add(watch)
                texts.append(
                    self.say(lang, "changed", tx=short_ref(record)) + "\n" + self.describe(session, record, lang)
                )
            follow = self.after_verdict(session, chat, record, gave_up=gave_up)
            if follow and (texts or gave_up):
                texts.append(follow)
            messages += [(chat.chat_id, text) for text in texts]
        return messages

    def grace_over(self, session: Session, payload: dict[str, Any]) -> list[Message]:
        """The casino's processor had its grace to credit a confirmed deposit: look again at the ledger."""
        record = session.get(Investigation, payload["investigation_id"])
        chat = session.get(self.network.chat_model, int(payload["chat_id"]))
        if record is None or chat is None or chat.player_ref != record.player_ref:
            return []
        try:
            record = self.investigator.recheck(session, record)
        except ChainError:
            session.rollback()
            raise
        if record.code != "confirmed_not_credited":
            return self.followups(session, record)  # credited (or otherwise changed) meanwhile: say so
        return [(chat.chat_id, self.hand_over(session, chat, record, reason="confirmed, not credited after the grace"))]

    # -- a person ---------------------------------------------------------------------------------------
    def hand_over(self, session: Session, chat: ChatRow, record: Investigation | None, *, reason: str) -> str:
        """One ticket per player (or chat) and deposit, whatever the messenger; asking again points to the same ticket."""
        lang = chat.language or "en"
        if self.handover_helpdesk is None:
            return self.say(lang, "handover_unavailable")
        who = f"player:{chat.player_ref}" if chat.player_ref else f"{self.network.unlinked_prefix}:{chat.chat_id}"
        about = (record.tx_hash or f"payout:{record.payout_id}") if record else "-"
        key = f"{who}:{about}"[:200]
        existing = session.get(Handover, key)
        if existing is not None:
            if existing.ticket_ref:
                return self.say(lang, "handover_exists", ticket=existing.ticket_ref)
            return self.say(lang, "handover_pending")
        try:
            with session.begin_nested():
                session.add(
                    Handover(
                        key=key,
                        chat_id=chat.chat_id,
                        network=self.network.name,
                        investigation_id=record.id if record else None,
                        helpdesk=self.handover_helpdesk,
                    )
                )
        except IntegrityError:
            return self.say(lang, "handover_pending")
        enqueue(session, "handover", self._handover_payload(chat, record, key, reason))
        return self.say(lang, "handover_opening")

    def pseudonym(self, chat: ChatRow) -> str:
        """The player's reference when linked, else a name no one can turn back into the chat's id."""
        digest = hashlib.sha256(f"{self.secret}:{chat.chat_id}".encode()).hexdigest()[:10]
        return chat.player_ref or f"{self.network.name}-{digest}"

    def _handover_payload(self, chat: ChatRow, record: Investigation | None, key: str, reason: str) -> dict[str, Any]:
        lang = chat.language or "en"
        pseudonym = self.pseudonym(chat)
        kind = "Withdrawal" if record is not None and record.payout_id else "Deposit"
        lines = [f"{kind} question from {pseudonym} via {self.network.label} ({reason})."]
        if record is not None and record.payout_id:
            lines.append(f"Withdrawal: {record.payout_id}")
        if record is not None:
            lines += [f"Transaction: {record.tx_hash or 'none yet'} ({record.chain})", f"Verdict: {record.code}"]
            lines.append(f"Status link: {self.public_base_url}/s/{self.investigator.status_token(record)}")
        return {
            "helpdesk": self.handover_helpdesk,
            "key": key,
            "subject": f"{kind} question ({pseudonym})",
            "text": "\n".join(lines),
            "requester": pseudonym,
            "language": lang,
            "investigation_id": record.id if record else None,
            "then": {"kind": self.network.opened_job, "payload": {"key": key}},
        }

    def handover_opened(self, session: Session, key: str, ticket_ref: str) -> Message | None:
        """The helpdesk opened the ticket: remember its reference and tell the chat that asked."""
        handover = session.get(Handover, key)
        if handover is None:
            return None
        handover.ticket_ref = str(ticket_ref)
        session.add(handover)
        chat = session.get(self.network.chat_model, handover.chat_id)
        lang = chat.language if chat is not None and chat.language else "en"
        return handover.chat_id, self.say(lang, "handover_opened", ticket=handover.ticket_ref)


def language_of(code: str | None) -> str:
    """A messenger's language tag (Telegram's "de", Discord's "en-GB") as one of ours; English otherwise."""
    base = (code or "").split("-")[0].lower()
    return base if base in catalogs.LANGUAGES else catalogs.SOURCE_LANGUAGE


class ConversationWork:
    """The jobs every messenger's worker runs alike; a subclass says how a text reaches its chat (`_queue`)."""

    conversation: Conversation

    def _queue(self, session: Session, chat_id: int, text: str) -> None:
        raise NotImplementedError

    def handle_grace(self, session: Session, job: Job) -> None:
        for chat_id, text in self.conversation.grace_over(session, job.payload):
            self._queue(session, chat_id, text)
        session.commit()

    def handle_handover_opened(self, session: Session, job: Job) -> None:
        told = self.conversation.handover_opened(session, job.payload["key"], job.payload["ticket_ref"])
        if told is not None:
            self._queue(session, *told)
        session.commit()

    def after_recheck(self, session: Session, record: Investigation, *, gave_up: bool = False) -> None:
        """Each chat watching `record` hears once of a new state; a verdict that needs a person is handed over."""
        for chat_id, text in self.conversation.followups(session, record, gave_up=gave_up):
            self._queue(session, chat_id, text)
        session.commit()
