"""The `handover` job: a player asked for a person (or their deposit needs one), so a ticket is
opened on the helpdesk, the investigation's verdict goes onto it as a private note through the
usual note path (follow-ups included), and whoever asked is told the ticket's reference by the
continuation job named in the payload (`then`)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.helpdesks.clients.base import Helpdesk, HelpdeskError
from app.helpdesks.clients.openers import open_ticket
from app.helpdesks.models import TicketLink
from app.helpdesks.note_job import NoteJob
from app.runtime.jobs import Job, enqueue
from investigations.models import Investigation


class HandoverJob:
    def __init__(self, helpdesks: dict[str, Helpdesk], notes: NoteJob) -> None:
        self.helpdesks = helpdesks
        self.notes = notes

    def __call__(self, session: Session, job: Job) -> None:
        payload = job.payload
        desk = self.helpdesks.get(payload["helpdesk"])
        if desk is None:
            raise HelpdeskError(f"no helpdesk {payload['helpdesk']!r} is configured", retryable=False)
        ticket = open_ticket(
            desk, key=payload["key"], subject=payload["subject"], text=payload["text"], requester=payload["requester"]
        )
        record = session.get(Investigation, payload["investigation_id"]) if payload.get("investigation_id") else None
        if record is not None:
            linked = session.exec(
                select(TicketLink).where(
                    TicketLink.helpdesk == desk.name,
                    TicketLink.ticket_ref == ticket,
                    TicketLink.tx_hash == record.tx_hash,
                )
            ).first()
            if linked is None:
                session.add(
                    TicketLink(
                        helpdesk=desk.name,
                        ticket_ref=ticket,
                        tx_hash=record.tx_hash,
                        investigation_id=record.id,
                        language=payload.get("language") or "en",
                        last_noted_code=record.code,
                    )
                )
            self.notes.queue_verdict_note(
                session, desk.name, ticket, record, payload.get("language") or "en", sequence=1
            )
        then = payload.get("then")
        if then:
            enqueue(session, then["kind"], {**then.get("payload", {}), "ticket_ref": ticket})
        session.commit()
