"""The tables the figures read. The helpdesk tables belong to the helpdesks room, which the lead
room may not import: they are named here by their columns (the migrations define them)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, MetaData, String, Table

from investigations.models import Investigation
from investigations.provider_log import ProviderExchange
from investigations.types import UTCDateTime
from investigations.verdict_log import VerdictEvent

_helpdesk_tables = MetaData()  # a private MetaData: these definitions never create or migrate anything

ticket_links = Table(
    "ticket_links",
    _helpdesk_tables,
    Column("helpdesk", String),
    Column("ticket_ref", String),
    Column("investigation_id", String),
    Column("escalated", Boolean),
    Column("received_at", UTCDateTime()),
)
ticket_notes = Table(
    "ticket_notes",
    _helpdesk_tables,
    Column("helpdesk", String),
    Column("ticket_ref", String),
    Column("marker", String),
    Column("status", String),
    Column("received_at", UTCDateTime()),
    Column("created_at", UTCDateTime()),
    Column("written_at", UTCDateTime()),
    Column("code", String),  # public replies (issue 26): the verdict code a reply answered
    Column("body", String),
)
investigations = Investigation.__table__  # type: ignore[attr-defined]
verdict_events = VerdictEvent.__table__  # type: ignore[attr-defined]
provider_exchanges = ProviderExchange.__table__  # type: ignore[attr-defined]
NO_HASH_MARKER = "[depositdesk no-hash]"  # the helpdesks' note asking the player for a hash
# Public replies (issue 26), as the helpdesks room writes them in ticket_notes:
BOT_REPLY_MARKER_PREFIX = "[depositdesk reply "  # the bot's public answer: status written, or shadow
AGENT_REPLY_MARKER = "[depositdesk agent reply]"  # a person's first public reply on the ticket
SILENCED_CODE = "silenced"  # the bot stopped on the ticket; its body says why
PLAYER_ANSWERED = "the player answered the bot"
