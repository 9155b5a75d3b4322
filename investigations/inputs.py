"""What every way in (API, forms, webhooks, `ledger import`) must refuse before a database sees it.

SQLite and PostgreSQL differ at the edges: PostgreSQL refuses a NUL character in text and a value
longer than a varchar, SQLite stores both; PostgreSQL's INTEGER overflows at 2^31, SQLite's at 2^63;
a date that leaves the calendar when moved to UTC crashes both. Checked here, so both databases
answer the same: a clear reason naming the limit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_REF_CHARS = 128  # player_ref, ticket_ref: varchar(128)
MAX_INDEX = 2**31 - 1  # vout / log index: an INTEGER column on every database
EARLIEST_INSTANT = datetime(2009, 1, 3, tzinfo=UTC)  # the first Bitcoin block: no deposit is older
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)


class UnstorableText(ValueError):
    """Text that no record can hold (a NUL character, a lone surrogate)."""


def storable_text(value: str) -> str:
    """The text if a database can store it; UnstorableText saying why not."""
    if "\x00" in value:
        raise UnstorableText("contains a NUL character (\\u0000), which no record can hold")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnstorableText("contains a lone UTF-16 surrogate: it is not valid text") from None
    return value


def storable(value: Any) -> Any:
    """Checks every string in a value (a string, or a list of them); anything else passes through."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, (list, tuple)):
        for item in value:
            storable(item)
    return value


def checked_instant(value: datetime) -> datetime:
    """An aware instant in UTC within the years deposits can have; naive ones are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST_INSTANT <= instant < LATEST_INSTANT:
        raise ValueError(
            f"{value.isoformat()} is outside the dates a deposit can have "
            f"({EARLIEST_INSTANT:%Y-%m-%d} to {LATEST_INSTANT:%Y-%m-%d}, UTC)"
        )
    return instant
