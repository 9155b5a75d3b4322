"""The ticket job: read the ticket, find its hashes and addresses, investigate each hash (bounded,
never twice for the same ticket and tx), and hand each verdict to the note job."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.helpdesks import note_text, ticket_search
from app.helpdesks.clients.base import Helpdesk
from app.helpdesks.models import TicketLink
from app.helpdesks.note_job import NoteJob
from app.runtime.jobs import Job
from app.runtime.pages import label
from investigations.audit import findings
from investigations.extract import Extracted, extract
from investigations.models import Investigation
from investigations.payouts import PayoutRecord, find_payout
from investigations.service import InvalidInput, InvestigationRequest, Investigator
from investigations.types import utcnow

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
        text, player_field = payload.get("text"), None
        if text is None:
            fetched = self.helpdesks[helpdesk].fetch(ticket)
            text, player_field = fetched.text, fetched.player_ref
        language = note_text.detect_language(text)
        if self.notes.public is not None:  # issue 26: a person's reply or the player's answer
            self.notes.public.on_ticket_update(session, self.notes, helpdesk, ticket, payload.get("public_reply_by"))
        found = extract(text, max_hashes=MAX_HASHES_PER_TICKET)
        received_at = payload.get("received_at")
        payout = payout_asked(session, found, player_field)
        if payout is not None:  # issue 25: "my withdrawal has not arrived"
            self._payout_note(session, helpdesk, ticket, payout, language, received_at)
            return
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
                session,
                helpdesk,
                ticket,
                record,
                language,
                sequence=1,
                received_at=received_at,
                preface=audit_preface(session, record, f"{helpdesk}:{ticket}", received_at),
            )
            session.commit()
            investigated += 1
        if not investigated:
            reason = found.test_network_reason  # only test-network links: say so, then ask for the real one
            query = (
                None if reason else ticket_search.query_for_ticket(session, text, player_field, f"{helpdesk}:{ticket}")
            )
            if query is not None and ticket_search.queue_search_note(
                session, self.investigator, self.notes, helpdesk, ticket, query, language, received_at
            ):
                session.commit()
                return
            self.notes.queue_note(
                session,
                helpdesk,
                ticket,
                note_text.NO_HASH_MARKER,
                None,
                "invalid_input" if reason else "no_hash",
                note_text.no_hash_note(language, reason=reason),
                ["deposit-invalid-input" if reason else "deposit-no-hash"],
                received_at,
            )
            session.commit()

    def _payout_note(
        self,
        session: Session,
        helpdesk: str,
        ticket: str,
        payout: PayoutRecord,
        language: str,
        received_at: str | None,
    ) -> None:
        """The withdrawal investigated once per ticket and payout; its note tagged payout-<code>."""
        key = f"payout:{payout.payout_id}"[:80]
        known = session.exec(
            select(TicketLink).where(
                TicketLink.helpdesk == helpdesk, TicketLink.ticket_ref == ticket, TicketLink.tx_hash == key
            )
        ).first()
        if known is not None:
            return  # changes come as follow-ups
        try:
            record = self.investigator.investigate_payout(
                session, payout, channel=helpdesk, ticket_ref=f"{helpdesk}:{ticket}"
            )
        except InvalidInput:
            return
        session.add(
            TicketLink(
                helpdesk=helpdesk,
                ticket_ref=ticket,
                tx_hash=key,
                investigation_id=record.id,
                language=language,
                last_noted_code=record.code,
            )
        )
        self.notes.queue_verdict_note(session, helpdesk, ticket, record, language, sequence=1, received_at=received_at)
        session.commit()


def payout_asked(session: Session, found: Extracted, player_ref: str | None) -> PayoutRecord | None:
    """The payout a ticket asks about: a payout id it names, or a withdrawal question whose hash,
    receiving address or player (the helpdesk's player field) a payout record has."""
    for payout_id in found.payout_ids:
        named = find_payout(session, payout_id=payout_id)
        if named is not None:
            return named
    if not found.withdrawal:
        return None
    if found.tx_hash:  # a hash no payout names is a deposit's: investigated as one
        return find_payout(session, tx_hash=found.tx_hash)
    return find_payout(session, address=found.address, player_ref=player_ref)


def audit_preface(session: Session, record: Investigation, ticket_ref: str, received_at: str | None) -> str | None:
    """When the deposit auditor found this tx before the player wrote: say so, and link the finding to the ticket."""
    written = datetime.fromisoformat(received_at) if received_at else utcnow()
    found = findings.for_ticket(session, record.chain, record.tx_hash, ticket_ref, at=written)
    if not found:
        return None
    first = min(found, key=lambda f: f.found_at)
    return (
        f"depositdesk's deposit auditor found this {findings.minutes_before(first, written)} minutes before "
        f"the player wrote (finding #{first.id}: {label(first.code)}, {first.asset} to {first.address})."
    )
