"""Which investigations and searches a caller may see: the ONE place that says it (issue 28).

An `agent` sees what they ran (`run_by` is their trail actor, `agent:NAME`, through the browser or
their own API token) and the investigations a helpdesk or a bot made for a ticket they worked (a
ticket of an investigation they ran). Another agent's investigation stays theirs even on a shared
ticket: naming a ticket is not proof of being assigned to it, which nothing records. A `lead`,
`finance` and an `admin` see every investigation. A machine token sees every one too: `read` is the
back office's reading scope and already opens the lead's figures, the findings and the trail.

Routes ask `visible` for a filter to add to their query, `may_see` for one record, and answer an id
the caller may not see exactly as an unknown id (404, `NOT_YOURS`), so ids cannot be probed."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import and_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.runtime.authorize import Caller
from app.runtime.roles import LEADS
from investigations.models import Investigation

NOT_YOURS = "agents see the investigations they ran and those of their tickets; leads see all"


def caller(request: Request) -> Caller | None:
    """The caller `app.runtime.authorize` found for this request."""
    return getattr(request.state, "caller", None)


def sees_everything(who: Caller | None) -> bool:
    if who is None:
        return False
    return who.token is not None or who.role in LEADS


def run_by(request: Request) -> str | None:
    """What a new investigation or search records as who ran it."""
    who = caller(request)
    return who.actor if who is not None else None


def visible(who: Caller | None) -> Any:
    """A WHERE clause on `Investigation` for what the caller may see; None: everything."""
    if sees_everything(who):
        return None
    if who is None:
        return col(Investigation.id).is_(None)  # nothing
    mine = aliased(Investigation)
    tickets = select(mine.ticket_ref).where(mine.run_by == who.actor, col(mine.ticket_ref).is_not(None))
    return or_(
        col(Investigation.run_by) == who.actor,
        and_(col(Investigation.run_by).is_(None), col(Investigation.ticket_ref).in_(tickets)),
    )


def scoped(query: Any, who: Caller | None) -> Any:
    """The query narrowed to what the caller may see."""
    clause = visible(who)
    return query if clause is None else query.where(clause)


def may_see(session: Session, who: Caller | None, record: Investigation | None) -> bool:
    if record is None:
        return False
    if sees_everything(who):
        return True
    return session.exec(scoped(select(Investigation.id).where(Investigation.id == record.id), who)).first() is not None


def may_see_search(who: Caller | None, search_run_by: str | None) -> bool:
    """A search is its runner's (its candidates are recorded as theirs too); leads see all."""
    return sees_everything(who) or (who is not None and search_run_by is not None and search_run_by == who.actor)


def may_link_player(session: Session, who: Caller | None, player_ref: str) -> bool:
    """An agent links the chat of a player of an investigation they may see, and no other player's."""
    if sees_everything(who):
        return True
    query = scoped(select(Investigation.id).where(Investigation.player_ref == player_ref.strip()), who)
    return session.exec(query.limit(1)).first() is not None
