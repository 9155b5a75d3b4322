"""Public replies on tickets (issue 26): the player's reply the verdict already holds, in the
ticket's language, with the status link, posted publicly when the code is safe to say.

- Policy: `AUTO_REPLY` (codes; refused at start unless listed in `verdicts.PUBLIC_REPLY_CODES`) and
  `AUTO_REPLY_MODE` (`off` | `shadow`: recorded, never sent | `on`), at most
  `AUTO_REPLY_MAX_PER_TICKET` public replies per ticket.
- A reply is a `TicketNote` row with `extra.public` (its own marker, so the note job's marker search
  makes it exactly once: a retried or crashed job looks for the marker before posting again).
- Before posting, the ticket's public messages are read: a person's public reply since our last
  one (or at all, before the first) silences the bot on that ticket for good; the player answering
  the bot hands the ticket to a person (tag `depositdesk-needs-agent` and a private note).
- After posting, a private note says what was sent and why. A later verdict is answered publicly
  only when its code is public too; otherwise the ticket is tagged and noted for an agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.models import TicketNote
from app.runtime.db import commit_durably
from app.runtime.jobs import enqueue
from investigations.messages import reply_for
from investigations.models import Investigation
from investigations.types import utcnow
from investigations.verdicts import public_reply_allowed

if TYPE_CHECKING:
    from app.helpdesks.note_job import NoteJob

NEEDS_AGENT_TAG = "depositdesk-needs-agent"
SILENCED_CODE = "silenced"
REPLY_MARKER_PREFIX = "[depositdesk reply "
MARKER_PREFIX = "[depositdesk"
# Claimed before notes (10) and ticket jobs: the player is the one waiting for this one.
REPLY_PRIORITY = 20
# The first public reply a person wrote on a ticket (for the dashboard: time to first public reply
# without the bot, and how often the bot's shadow answer said the same). One row per ticket.
AGENT_REPLY_MARKER = "[depositdesk agent reply]"
AGENT_REPLY_CODE = "agent_reply"
PLAYER_ANSWERED = "the player answered the bot"  # the silence reason the dashboard counts as reopened


@dataclass(frozen=True)
class ReplyPolicy:
    mode: str = "off"  # off | shadow | on
    codes: frozenset[str] = frozenset()
    max_per_ticket: int = 2

    def answers(self, code: str) -> bool:
        """Listed by the casino AND safe by the code list: both, always."""
        return self.mode != "off" and code in self.codes and public_reply_allowed(code)


def reply_marker(record: Investigation, sequence: int) -> str:
    return f"{REPLY_MARKER_PREFIX}{record.id} #{sequence}]"


def reply_text(record: Investigation, language: str, status_url: str, marker: str) -> str:
    """Only what the status link shows: the player's reply and the link (no reasons, no ledger)."""
    return "\n".join([reply_for(record.verdict, language, handed_on=True), "", status_url, marker])


def newer_than_our_reply(messages: list[tuple[str, str]]) -> set[str]:
    """Who wrote publicly (player | agent) after our last public reply (or at all, if none)."""
    kinds = set()
    for kind, text in messages:  # newest first
        if REPLY_MARKER_PREFIX in text:
            break
        if MARKER_PREFIX in text:
            continue
        kinds.add(kind)
    return kinds


class PublicReplies:
    def __init__(self, policy: ReplyPolicy, helpdesks: dict[str, Helpdesk]) -> None:
        self.policy = policy
        self.helpdesks = helpdesks

    # --- deciding (inside the transaction that queues the verdict note) -----------------------
    def consider(
        self,
        session: Session,
        notes: NoteJob,
        helpdesk: str,
        ticket: str,
        record: Investigation,
        language: str,
        status_url: str,
        received_at: str | None = None,
    ) -> None:
        if self.policy.mode == "off" or self.silenced(session, helpdesk, ticket):
            return
        earlier = self._replies(session, helpdesk, ticket)
        if not self.policy.answers(record.code):
            if any(r.status == "written" for r in earlier):
                self.hand_over(
                    session, notes, helpdesk, ticket, f"the verdict is now {record.code}, which needs an agent"
                )
            return
        if len(earlier) >= self.policy.max_per_ticket:
            if self.policy.mode == "on":
                self.hand_over(session, notes, helpdesk, ticket, "the bot has answered as often as it may")
            return
        sequence = len(earlier) + 1
        marker = reply_marker(record, sequence)
        if any(r.marker == marker for r in earlier):
            return
        reply = TicketNote(
            helpdesk=helpdesk,
            ticket_ref=ticket,
            marker=marker,
            investigation_id=record.id,
            code=record.code,
            body=reply_text(record, language, status_url, marker),
            tags=[],
            extra={"public": True, "mode": self.policy.mode, "language": language},
            status="shadow" if self.policy.mode == "shadow" else "pending",
            tags_status="done",
        )
        if received_at:
            from datetime import datetime

            reply.received_at = datetime.fromisoformat(received_at)
        session.add(reply)
        session.flush()
        if self.policy.mode == "on":
            enqueue(session, "note", {"note_id": reply.id}, priority=REPLY_PRIORITY)

    # --- posting (the note job, for rows with extra.public) ------------------------------------
    def post(self, session: Session, notes: NoteJob, desk: Helpdesk, reply: TicketNote) -> None:
        if reply.status != "pending":
            return
        if self.silenced(session, reply.helpdesk, reply.ticket_ref):
            self._skip(session, reply, "silenced")
            return
        messages = desk.public_messages(reply.ticket_ref)  # type: ignore[attr-defined]
        if reply.extra.get("attempted") and any(reply.marker in text for _, text in messages):
            self._posted(session, notes, reply, "found")  # an earlier attempt landed before a crash
            return
        others = newer_than_our_reply(messages)
        if "agent" in others:
            self.record_agent_reply(session, reply.helpdesk, reply.ticket_ref, messages)
            self.silence(session, notes, reply.helpdesk, reply.ticket_ref, "a person replied publicly on the ticket")
            self._skip(session, reply, "a person replied")
            return
        if "player" in others and self._written_replies(session, reply.helpdesk, reply.ticket_ref):
            self.silence(session, notes, reply.helpdesk, reply.ticket_ref, PLAYER_ANSWERED)
            self._skip(session, reply, "the player answered")
            return
        reply.extra = {**reply.extra, "attempted": True}
        session.add(reply)
        commit_durably(session)  # lost, a retry would post again without looking for the marker
        remote = desk.write_reply(reply.ticket_ref, reply.body, {"marker": reply.marker, "code": reply.code})  # type: ignore[attr-defined]
        self._posted(session, notes, reply, remote)

    def _posted(self, session: Session, notes: NoteJob, reply: TicketNote, remote: str) -> None:
        reply.status, reply.remote_id, reply.written_at = "written", remote, utcnow()
        session.add(reply)
        notes.queue_note(
            session,
            reply.helpdesk,
            reply.ticket_ref,
            reply.marker.replace(REPLY_MARKER_PREFIX, "[depositdesk replied "),
            reply.investigation_id,
            reply.code,
            "\n".join(
                [
                    f"depositdesk answered the player publicly: the verdict is {reply.code}, which AUTO_REPLY lists "
                    "as safe to say without an agent. The ticket stays with the team. Sent:",
                    "",
                    reply.body,
                ]
            ),
            [],
            None,
        )
        session.commit()

    # --- webhook side: a person's reply or the player's answer -------------------------------
    def on_ticket_update(
        self, session: Session, notes: NoteJob, helpdesk: str, ticket: str, by: str | None = None
    ) -> None:
        """Called for each delivery of a ticket the bot answered: `by` when the webhook says who wrote."""
        if self.policy.mode == "off":
            return
        if self.policy.mode == "shadow":
            self._shadow_update(session, helpdesk, ticket, by)
        if self.silenced(session, helpdesk, ticket):
            return
        if not self._written_replies(session, helpdesk, ticket) and by != "agent":
            return
        messages = None if by else self.helpdesks[helpdesk].public_messages(ticket)  # type: ignore[attr-defined]
        kinds = {by} if by else newer_than_our_reply(messages or [])
        if "agent" in kinds:
            self.record_agent_reply(session, helpdesk, ticket, messages)
            self.silence(session, notes, helpdesk, ticket, "a person replied publicly on the ticket")
        elif "player" in kinds:
            self.silence(session, notes, helpdesk, ticket, PLAYER_ANSWERED)

    def _shadow_update(self, session: Session, helpdesk: str, ticket: str, by: str | None) -> None:
        """Shadow mode posts nothing; a ticket with a shadow answer is read (once, until a person's first
        public reply is found) so the dashboard can compare what the bot would have said."""
        if by == "player" or self._agent_reply_row(session, helpdesk, ticket) is not None:
            return
        if not any(r.status == "shadow" for r in self._replies(session, helpdesk, ticket)):
            return
        messages = self.helpdesks[helpdesk].public_messages(ticket)  # type: ignore[attr-defined]
        if by == "agent" or any(kind == "agent" and MARKER_PREFIX not in text for kind, text in messages):
            self.record_agent_reply(session, helpdesk, ticket, messages)

    def record_agent_reply(
        self, session: Session, helpdesk: str, ticket: str, messages: list[tuple[str, str]] | None
    ) -> None:
        """Keep the first public reply a person wrote on the ticket (its text when the helpdesk can be
        read back; the generic callback says only who wrote), seen now. Once per ticket."""
        if self._agent_reply_row(session, helpdesk, ticket) is not None:
            return
        if messages is None:
            messages = self.helpdesks[helpdesk].public_messages(ticket)  # type: ignore[attr-defined]
        theirs = [text for kind, text in reversed(messages) if kind == "agent" and MARKER_PREFIX not in text]
        now = utcnow()
        session.add(
            TicketNote(
                helpdesk=helpdesk,
                ticket_ref=ticket,
                marker=AGENT_REPLY_MARKER,
                code=AGENT_REPLY_CODE,
                body=(theirs[0] if theirs else "")[:4000],
                extra={"public": True, "by": "agent"},
                status="seen",
                tags_status="done",
                created_at=now,
                written_at=now,
            )
        )
        session.flush()

    def _agent_reply_row(self, session: Session, helpdesk: str, ticket: str) -> TicketNote | None:
        return session.exec(
            select(TicketNote).where(
                TicketNote.helpdesk == helpdesk,
                TicketNote.ticket_ref == ticket,
                TicketNote.marker == AGENT_REPLY_MARKER,
            )
        ).first()

    # --- state ---------------------------------------------------------------------------------
    def silenced(self, session: Session, helpdesk: str, ticket: str) -> bool:
        return self._silence_row(session, helpdesk, ticket) is not None

    def silence(self, session: Session, notes: NoteJob, helpdesk: str, ticket: str, why: str) -> None:
        """For good: the bot never answers this ticket again; an agent is asked to take it."""
        if self.silenced(session, helpdesk, ticket):
            return
        session.add(
            TicketNote(
                helpdesk=helpdesk,
                ticket_ref=ticket,
                marker="[depositdesk silenced]",
                code=SILENCED_CODE,
                body=why,
                extra={"public": True},
                status="silenced",
                tags_status="done",
            )
        )
        self.hand_over(session, notes, helpdesk, ticket, why)

    def hand_over(self, session: Session, notes: NoteJob, helpdesk: str, ticket: str, why: str) -> None:
        notes.queue_note(
            session,
            helpdesk,
            ticket,
            "[depositdesk needs agent]",
            None,
            "needs_agent",
            f"depositdesk will not answer this ticket publicly any more: {why}. An agent needs to take it.",
            [NEEDS_AGENT_TAG],
            None,
        )
        session.flush()

    def _silence_row(self, session: Session, helpdesk: str, ticket: str) -> TicketNote | None:
        return session.exec(
            select(TicketNote).where(
                TicketNote.helpdesk == helpdesk, TicketNote.ticket_ref == ticket, TicketNote.code == SILENCED_CODE
            )
        ).first()

    def _replies(self, session: Session, helpdesk: str, ticket: str) -> list[TicketNote]:
        rows = session.exec(
            select(TicketNote).where(TicketNote.helpdesk == helpdesk, TicketNote.ticket_ref == ticket)
        ).all()
        return [r for r in rows if r.marker.startswith(REPLY_MARKER_PREFIX)]

    def _written_replies(self, session: Session, helpdesk: str, ticket: str) -> list[TicketNote]:
        return [r for r in self._replies(session, helpdesk, ticket) if r.status == "written"]

    def _skip(self, session: Session, reply: TicketNote, why: str) -> None:
        reply.status = "skipped"
        reply.extra = {**reply.extra, "skipped": why}
        session.add(reply)
        session.commit()


def is_public(note: TicketNote) -> bool:
    extra: dict[str, Any] = note.extra or {}
    return bool(extra.get("public"))
