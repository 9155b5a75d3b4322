"""A ticket without a hash that names a player (in its text or a configured ticket field) or a
casino deposit address: search that player's payments and queue one note listing the candidates."""

from __future__ import annotations

from sqlmodel import Session, select

from app.helpdesks import note_text
from app.helpdesks.models import TicketNote
from app.helpdesks.note_job import NoteJob
from investigations.extract import extract
from investigations.ledger import addresses_among
from investigations.search import InvalidSearch, SearchQuery, players_named, search
from investigations.service import Investigator

CANDIDATES_IN_A_NOTE = 10


def query_for_ticket(session: Session, text: str, player_field: str | None, ticket: str) -> SearchQuery | None:
    """The ticket field's player > a casino deposit address in the text > a player named in the text."""
    if player_field:
        return SearchQuery(player_ref=player_field, limit=CANDIDATES_IN_A_NOTE, ticket_ref=ticket)
    for chain, address in extract(text).addresses:
        if addresses_among(session, chain, [address]):
            return SearchQuery(address=address, limit=CANDIDATES_IN_A_NOTE, ticket_ref=ticket)
    named = players_named(session, text, limit=1)
    return SearchQuery(player_ref=named[0], limit=CANDIDATES_IN_A_NOTE, ticket_ref=ticket) if named else None


def queue_search_note(
    session: Session,
    investigator: Investigator,
    notes: NoteJob,
    helpdesk: str,
    ticket: str,
    query: SearchQuery,
    language: str,
    received_at: str | None,
) -> bool:
    """Search and queue the note; False when the search cannot run (the caller asks for the hash)."""
    marker = note_text.search_marker(query.player_ref or query.address or "")
    done = session.exec(
        select(TicketNote.id).where(
            TicketNote.helpdesk == helpdesk, TicketNote.ticket_ref == ticket, TicketNote.marker == marker
        )
    ).first()
    if done is not None:
        return True  # this ticket already has its search note; a new delivery does not search again
    try:
        result = search(session, investigator, query)
    except InvalidSearch:
        return False
    links = {c.id: f"{notes.public_base_url}/s/{investigator.status_token(c)}" for c in result.candidates}
    first = result.uncredited_confirmed
    tags = ["deposit-search"] + (["deposit-confirmed-not-credited"] if first else [])
    code = first.code if first else "search"
    body = note_text.search_note(result, links, language, marker)
    notes.queue_note(session, helpdesk, ticket, marker, first.id if first else None, code, body, tags, received_at)
    return True
