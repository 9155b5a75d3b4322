"""The note job: notes are queued (one row each, unique by marker) and written idempotently — a note
that may have reached the helpdesk before a crash or a lost answer is looked up by its marker first.
Tags are a second step of the same job, with its own state on the note (`tags_status`): once the
note is written (or found), the job fails and is retried until the tags are on the ticket too, so a
429, 5xx or crash between the note and its tags never leaves a ticket without them. Re-checks that
change a verdict queue one follow-up note per ticket that asked, and a last one to escalate when a
deposit never settles."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.helpdesks import note_text
from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.models import TicketLink, TicketNote
from app.helpdesks.public_reply import PublicReplies
from app.runtime import metrics
from app.runtime.db import commit_durably
from app.runtime.jobs import Job, enqueue
from investigations.models import Investigation
from investigations.service import Investigator
from investigations.types import utcnow

# Notes are claimed before ticket jobs: in a burst of tickets, each verdict reaches its ticket as
# soon as it exists instead of after every other ticket of the burst has been investigated.
NOTE_PRIORITY = 10


class NoteJob:
    def __init__(self, helpdesks: dict[str, Helpdesk], investigator: Investigator, public_base_url: str) -> None:
        self.helpdesks = helpdesks
        self.investigator = investigator
        self.public_base_url = public_base_url
        self.public: PublicReplies | None = None  # issue 26: set by the wiring when AUTO_REPLY_MODE is not off

    def __call__(self, session: Session, job: Job) -> None:
        """Write one queued note, looking for it on the helpdesk first if an earlier attempt may have landed."""
        note = session.get(TicketNote, job.payload["note_id"])
        if note is None:
            return
        helpdesk = self.helpdesks[note.helpdesk]
        if note.extra.get("public"):
            if self.public is not None:
                self.public.post(session, self, helpdesk, note)
            return
        if note.status != "written":
            self._write(session, helpdesk, note)
        if note.tags_status != "done":
            if note.tags:
                helpdesk.add_tags(note.ticket_ref, list(note.tags))
            note.tags_status = "done"
            session.add(note)
            session.commit()

    def _write(self, session: Session, helpdesk: Helpdesk, note: TicketNote) -> None:
        if note.extra.get("attempted"):
            # A write may have reached the helpdesk before we crashed or timed out: look first.
            remote = helpdesk.find_note(note.ticket_ref, note.marker)
            if remote is not None:
                self._written(session, note, remote)
                return
        note.extra = {**note.extra, "attempted": True}
        session.add(note)
        commit_durably(session)  # lost, a retry would write the note again without looking
        remote = helpdesk.write_note(
            note.ticket_ref, note.body, list(note.tags), {**note.extra, "marker": note.marker, "code": note.code}
        )
        self._written(session, note, remote)

    def after_recheck(self, session: Session, record: Investigation, *, gave_up: bool = False) -> None:
        """A changed verdict gets one follow-up note per ticket that asked; giving up gets a last one."""
        links = session.exec(select(TicketLink).where(TicketLink.investigation_id == record.id)).all()
        for link in links:
            if gave_up and not link.escalated:
                link.escalated = True
                self.queue_note(
                    session,
                    link.helpdesk,
                    link.ticket_ref,
                    note_text.marker(record, "escalate"),
                    record.id,
                    "escalate",
                    note_text.escalation_note(record),
                    ["deposit-escalate"],
                    None,
                )
            elif record.code != link.last_noted_code:
                previous = link.last_noted_code
                link.last_noted_code = record.code
                earlier_notes = session.exec(
                    select(TicketNote.id).where(
                        TicketNote.helpdesk == link.helpdesk,
                        TicketNote.ticket_ref == link.ticket_ref,
                        TicketNote.investigation_id == record.id,
                    )
                ).all()
                self.queue_verdict_note(
                    session,
                    link.helpdesk,
                    link.ticket_ref,
                    record,
                    link.language,
                    previous_code=previous,
                    sequence=len(earlier_notes) + 1,
                )
            session.add(link)
        session.commit()

    def sync_links(self, session: Session) -> int:
        """Tickets whose last note says something else than their investigation now does (a follow-up
        lost to a crash between the re-check and its note) get their note now."""
        stale = session.exec(
            select(Investigation)
            .join(TicketLink, col(TicketLink.investigation_id) == col(Investigation.id))
            .where(col(TicketLink.last_noted_code) != col(Investigation.code))
        ).all()
        for record in {r.id: r for r in stale}.values():
            self.after_recheck(session, record)
        return len(stale)

    def queue_verdict_note(
        self,
        session: Session,
        helpdesk: str,
        ticket: str,
        record: Investigation,
        language: str,
        *,
        sequence: int,
        previous_code: str | None = None,
        received_at: str | None = None,
        preface: str | None = None,
    ) -> None:
        status_url = f"{self.public_base_url}/s/{self.investigator.status_token(record)}"
        body = note_text.verdict_note(
            record,
            status_url,
            language,
            previous_code=previous_code,
            sequence=sequence,
            markup=note_text.markup_for(helpdesk),
        )
        body = f"{preface}\n{body}" if preface else body
        tags = [note_text.verdict_tag(record.code), *note_text.network_tags(record)]
        marker = note_text.marker(record, sequence=sequence)
        self.queue_note(session, helpdesk, ticket, marker, record.id, record.code, body, tags, received_at)
        if self.public is not None:
            self.public.consider(session, self, helpdesk, ticket, record, language, status_url, received_at)

    def queue_note(
        self,
        session: Session,
        helpdesk: str,
        ticket: str,
        marker: str,
        investigation_id: str | None,
        code: str,
        body: str,
        tags: list[str],
        received_at: str | None,
    ) -> None:
        existing = session.exec(
            select(TicketNote).where(
                TicketNote.helpdesk == helpdesk, TicketNote.ticket_ref == ticket, TicketNote.marker == marker
            )
        ).first()
        if existing is not None:
            return
        note = TicketNote(
            helpdesk=helpdesk,
            ticket_ref=ticket,
            marker=marker,
            investigation_id=investigation_id,
            code=code,
            body=body,
            tags=tags,
        )
        if received_at:
            note.received_at = datetime.fromisoformat(received_at)
        session.add(note)
        session.flush()
        enqueue(session, "note", {"note_id": note.id}, priority=NOTE_PRIORITY)

    def _written(self, session: Session, note: TicketNote, remote: str) -> None:
        note.status, note.remote_id, note.written_at = "written", remote, utcnow()
        session.add(note)
        session.commit()
        metrics.NOTES.labels(note.helpdesk, note.code).inc()
        if note.received_at is not None:
            metrics.WEBHOOK_TO_NOTE.observe((note.written_at - note.received_at).total_seconds())
