"""From a webhook to notes on the ticket: intake, the ticket job, the note job, follow-ups.

Intake writes the delivery (unique per helpdesk and delivery id) and its job in one transaction;
a duplicate delivery is recognised by that unique key. The ticket job reads the ticket, runs one
investigation per hash (bounded, never twice for the same ticket and tx) and queues one note per
investigation. The note job writes it idempotently: a note that may have been written before a
crash is looked up on the helpdesk by its marker before it is written again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app import metrics, notes
from app.helpdesks.base import Delivery, Helpdesk
from app.helpdesks.models import TicketLink, TicketNote, WebhookDelivery
from app.jobs import Job, enqueue
from investigations.extract import extract
from investigations.models import Investigation
from investigations.service import InvalidInput, InvestigationRequest, Investigator
from investigations.types import utcnow

log = logging.getLogger(__name__)
KEEP_DELIVERIES = timedelta(days=7)  # longer than any helpdesk retries (Zendesk and Freshdesk: about a day)
MAX_HASHES_PER_TICKET = 5


def intake(session: Session, helpdesk: str, delivery: Delivery) -> bool:
    """Record a delivery and its job atomically; False when this delivery was seen before."""
    now = utcnow()
    session.add(
        WebhookDelivery(
            helpdesk=helpdesk, delivery_id=delivery.delivery_id, ticket_ref=delivery.ticket_ref, received_at=now
        )
    )
    enqueue(
        session,
        "ticket",
        {
            "helpdesk": helpdesk,
            "ticket_ref": delivery.ticket_ref,
            "text": delivery.text,
            "received_at": now.isoformat(),
        },
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def purge_deliveries(session: Session) -> int:
    result = session.exec(delete(WebhookDelivery).where(WebhookDelivery.received_at < utcnow() - KEEP_DELIVERIES))
    session.commit()
    return int(result.rowcount or 0)


class TicketWork:
    """The job handlers, with what they need: the helpdesks, the investigator, the public URL."""

    def __init__(self, helpdesks: dict[str, Helpdesk], investigator: Investigator, public_base_url: str) -> None:
        self.helpdesks = helpdesks
        self.investigator = investigator
        self.public_base_url = public_base_url

    def handlers(self) -> dict[str, Any]:
        return {"ticket": self.handle_ticket, "note": self.handle_note}

    def handle_ticket(self, session: Session, job: Job) -> None:
        payload = job.payload
        helpdesk, ticket = payload["helpdesk"], payload["ticket_ref"]
        text = payload.get("text")
        if text is None:
            text = self.helpdesks[helpdesk].fetch(ticket).text
        language = notes.detect_language(text)
        found = extract(text, max_hashes=MAX_HASHES_PER_TICKET)
        received_at = payload.get("received_at")
        investigated = 0
        for tx_hash in found.tx_hashes:
            try:
                candidates = self.investigator.tickets_for(InvestigationRequest(tx_hash))
            except InvalidInput:
                continue
            chains = {candidate.chain for candidate in candidates}
            address = next((a for chain, a in found.addresses if chain in chains), None)
            forms = {candidate.tx_hash for candidate in candidates}
            known = session.exec(
                select(TicketLink).where(
                    TicketLink.helpdesk == helpdesk, TicketLink.ticket_ref == ticket, col(TicketLink.tx_hash).in_(forms)
                )
            ).first()
            if known is not None:
                investigated += 1
                continue  # this ticket already has its note for this tx; changes come as follow-ups
            request = InvestigationRequest(tx_hash, address, None, None, f"{helpdesk}:{ticket}")
            try:
                record = self.investigator.investigate(session, request)
            except InvalidInput:
                continue
            session.add(
                TicketLink(
                    helpdesk=helpdesk,
                    ticket_ref=ticket,
                    tx_hash=record.tx_hash,
                    investigation_id=record.id,
                    language=language,
                    last_noted_code=record.code,
                )
            )
            self._queue_verdict_note(session, helpdesk, ticket, record, language, sequence=1, received_at=received_at)
            session.commit()
            investigated += 1
        if not investigated:
            self._queue_note(
                session,
                helpdesk,
                ticket,
                notes.NO_HASH_MARKER,
                None,
                "no_hash",
                notes.no_hash_note(language),
                ["deposit-no-hash"],
                received_at,
            )
            session.commit()

    def handle_note(self, session: Session, job: Job) -> None:
        note = session.get(TicketNote, job.payload["note_id"])
        if note is None or note.status == "written":
            return
        helpdesk = self.helpdesks[note.helpdesk]
        if note.extra.get("attempted"):
            # A write may have reached the helpdesk before we crashed or timed out: look first.
            remote = helpdesk.find_note(note.ticket_ref, note.marker)
            if remote is not None:
                self._written(session, note, remote)
                return
        note.extra = {**note.extra, "attempted": True}
        session.add(note)
        session.commit()
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
                self._queue_note(
                    session,
                    link.helpdesk,
                    link.ticket_ref,
                    notes.marker(record, "escalate"),
                    record.id,
                    "escalate",
                    notes.escalation_note(record),
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
                self._queue_verdict_note(
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

    def _queue_verdict_note(
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
    ) -> None:
        status_url = f"{self.public_base_url}/s/{self.investigator.status_token(record)}"
        body = notes.verdict_note(record, status_url, language, previous_code=previous_code, sequence=sequence)
        tags = [f"deposit-{record.code.replace('_', '-')}"]
        marker = notes.marker(record, sequence=sequence)
        self._queue_note(session, helpdesk, ticket, marker, record.id, record.code, body, tags, received_at)

    def _queue_note(
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
        enqueue(session, "note", {"note_id": note.id})

    def _written(self, session: Session, note: TicketNote, remote: str) -> None:
        note.status, note.remote_id, note.written_at = "written", remote, utcnow()
        session.add(note)
        session.commit()
        metrics.NOTES.labels(note.helpdesk, note.code).inc()
        if note.received_at is not None:
            metrics.WEBHOOK_TO_NOTE.observe((note.written_at - note.received_at).total_seconds())
