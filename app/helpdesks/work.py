"""What the helpdesks give the background workers: the ticket and note job handlers, and follow-ups
after each re-check round."""

from __future__ import annotations

from sqlmodel import Session

from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.handover import HandoverJob
from app.helpdesks.intake import purge_deliveries
from app.helpdesks.note_job import NoteJob
from app.helpdesks.ticket_job import TicketJob
from app.runtime.workers import Handler
from investigations.models import Investigation
from investigations.service import Investigator


class HelpdeskWork:
    def __init__(self, helpdesks: dict[str, Helpdesk], investigator: Investigator, public_base_url: str) -> None:
        self.helpdesks = helpdesks
        self.notes = NoteJob(helpdesks, investigator, public_base_url)
        self.tickets = TicketJob(helpdesks, investigator, self.notes)
        self.handover = HandoverJob(helpdesks, self.notes)

    def handlers(self) -> dict[str, Handler]:
        return {"ticket": self.tickets, "note": self.notes, "handover": self.handover}

    def after_recheck(self, session: Session, record: Investigation, *, gave_up: bool = False) -> None:
        self.notes.after_recheck(session, record, gave_up=gave_up)

    def housekeeping(self, session: Session) -> None:
        self.notes.sync_links(session)
        purge_deliveries(session)
