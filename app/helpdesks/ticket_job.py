"""The ticket job: read the ticket, find its hashes and addresses, investigate each hash (bounded,
never twice for the same ticket and tx), and hand each verdict to the note job."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.helpdesks import note_text
from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.models import TicketLink
from app.helpdesks.note_job import NoteJob
from app.runtime.jobs import Job
from investigations.extract import extract
from investigations.service import InvalidInput, InvestigationRequest, Investigator

MAX_HASHES_PER_TICKET = 5


class TicketJob:
    def __init__(self, helpdesks: dict[str, Helpdesk], investigator: Investigator, notes: NoteJob) -> None:
        self.helpdesks = helpdesks
        self.investigator = investigator
        self.notes = notes

    def __call__(self, session: Session, job: Job) -> None:
        """Read the ticket, investigate each hash once, and queue a note per verdict (or the no-hash note)."""
        payload = job.payload
        helpdesk, ticket = payload["helpdesk"], payload["ticket_ref"]
        text = payload.get("text")
        if text is None:
            text = self.helpdesks[helpdesk].fetch(ticket).text
        language = note_text.detect_language(text)
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
            request = InvestigationRequest(tx_hash, address, None, None, f"{helpdesk}:{ticket}", channel=helpdesk)
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
            self.notes.queue_verdict_note(
                session, helpdesk, ticket, record, language, sequence=1, received_at=received_at
            )
            session.commit()
            investigated += 1
        if not investigated:
            self.notes.queue_note(
                session,
                helpdesk,
                ticket,
                note_text.NO_HASH_MARKER,
                None,
                "no_hash",
                note_text.no_hash_note(language),
                ["deposit-no-hash"],
                received_at,
            )
            session.commit()
