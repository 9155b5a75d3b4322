"""The ranges every input is held to where it is parsed, so no value reaches a database, a `timedelta`
or a `date` it cannot be computed with (a 500), and a refusal names the field and the range.

- ids of database rows (findings): 1 … 2^31−1, the range of PostgreSQL's INTEGER (SQLite's is wider;
  both engines then answer the same);
- offsets: 0 … `MAX_OFFSET`; counts (limits): each route's own range;
- durations in minutes: 0 … `MAX_MINUTES` (about 19 years: far past any deposit, well inside the
  calendar);
- dates and times: `MIN_DATE` (the Bitcoin genesis block, 2009-01-03) … `MAX_DATE` (2100-12-31);
- decimals: finite (no NaN, no Infinity), at most `MAX_DECIMAL_CHARS` characters;
- text: no NUL character, no lone surrogate (no database column holds one).

`BoundsError` carries the field; the JSON routes answer it as the 422 their validation errors give.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_DB_INT = 2**31 - 1
MAX_OFFSET = 1_000_000
MAX_MINUTES = 10_000_000
MIN_DATE = date(2009, 1, 3)
MAX_DATE = date(2100, 12, 31)
MIN_DATETIME = datetime.combine(MIN_DATE, time.min, tzinfo=UTC)
MAX_DATETIME = datetime.combine(MAX_DATE, time.max, tzinfo=UTC)
MAX_DECIMAL_CHARS = 160


class BoundsError(ValueError):
    """A value outside what the service can compute with; the message names the field and the range."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def row_id(value: Any, field: str) -> int:
    """A database row id: an integer 1 … 2^31−1."""
    return integer(value, field, 1, MAX_DB_INT)


def offset(value: Any, field: str = "offset") -> int:
    return integer(value, field, 0, MAX_OFFSET)


def minutes(value: Any, field: str) -> int:
    return integer(value, field, 0, MAX_MINUTES)


def integer(value: Any, field: str, low: int, high: int) -> int:
    """`value` (an int, or decimal digits with an optional sign) within [low, high]."""
    if isinstance(value, bool):
        raise BoundsError(field, f"must be a whole number from {low} to {high}")
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-").removeprefix("+")
        if not digits.isascii() or not digits.isdigit() or len(digits) > 30:
            raise BoundsError(field, f"must be a whole number from {low} to {high}")
        value = int(text)
    if not isinstance(value, int):
        raise BoundsError(field, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise BoundsError(field, f"must be from {low} to {high}")
    return value


def finite_decimal(value: Decimal, field: str) -> Decimal:
    """A finite Decimal (NaN, sNaN and Infinity refused)."""
    if not value.is_finite():
        raise BoundsError(field, "must be a finite number (not NaN or Infinity)")
    return value


def decimal_text(text: str, field: str) -> Decimal:
    """A decimal from text: finite, at most `MAX_DECIMAL_CHARS` characters."""
    if len(text) > MAX_DECIMAL_CHARS:
        raise BoundsError(field, f"must be at most {MAX_DECIMAL_CHARS} characters")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BoundsError(field, "must be a decimal number such as 0.015") from None
    return finite_decimal(value, field)


def day(value: date, field: str) -> date:
    """A calendar day from 2009-01-03 to 2100-12-31."""
    if isinstance(value, datetime):
        value = value.date()
    if not MIN_DATE <= value <= MAX_DATE:
        raise BoundsError(field, f"must be a date from {MIN_DATE} to {MAX_DATE}")
    return value


def moment(value: datetime, field: str) -> datetime:
    """A time from 2009-01-03 to 2100-12-31 (UTC); a naive time is read as UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        inside = MIN_DATETIME <= aware.astimezone(UTC) <= MAX_DATETIME
    except (OverflowError, ValueError):  # an offset that moves year 1 or 9999 off the calendar
        inside = False
    if not inside:
        raise BoundsError(field, f"must be a time from {MIN_DATE} to {MAX_DATE} (UTC)")
    return value


def text(value: str, field: str) -> str:
    """Text without a NUL character or a lone surrogate."""
    if "\x00" in value:
        raise BoundsError(field, "must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BoundsError(field, "must be valid Unicode text (a lone surrogate is not)") from None
    return value


def _text(value: str | None) -> str | None:
    if value is not None:
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (a lone surrogate is not)") from None
    return value


def _moment(value: datetime | None) -> datetime | None:
    if value is not None:
        try:
            moment(value, "value")
        except BoundsError as exc:
            raise ValueError(exc.reason) from None
    return value


def _day(value: date | None) -> date | None:
    if value is not None:
        try:
            day(value, "value")
        except BoundsError as exc:
            raise ValueError(exc.reason) from None
    return value


# For pydantic models and FastAPI parameters: the field name comes from where they are used.
Text = Annotated[str, AfterValidator(_text)]
OptionalText = Annotated[str | None, AfterValidator(_text)]
Moment = Annotated[datetime, AfterValidator(_moment)]
OptionalMoment = Annotated[datetime | None, AfterValidator(_moment)]
Day = Annotated[date, AfterValidator(_day)]
OptionalDay = Annotated[date | None, AfterValidator(_day)]
