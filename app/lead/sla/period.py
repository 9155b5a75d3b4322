"""The period a lead asks about: presets (today, 7 and 30 days) or from/to dates, in UTC days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from investigations import bounds

MAX_DAYS = 366
PRESETS = {"today": 1, "7d": 7, "30d": 30}


class PeriodError(ValueError):
    """A period that cannot be used; the message says which parameter and why."""


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> list[str]:
        count = (self.last_day - self.first_day).days + 1
        return [(self.first_day + timedelta(days=n)).isoformat() for n in range(count)]


def preset(name: str, today: date) -> Period:
    if name not in PRESETS:
        raise PeriodError(f"period: {name!r} is not one of {', '.join(PRESETS)}")
    return Period(today - timedelta(days=PRESETS[name] - 1), today)


def parse(date_from: str | None, date_to: str | None, today: date, *, default: str = "7d") -> Period:
    """From/to as YYYY-MM-DD (either may be left out); a bad or too long period is a PeriodError."""
    if not date_from and not date_to:
        return preset(default, today)
    last = _day("to", date_to) if date_to else today
    first = _day("from", date_from) if date_from else last - timedelta(days=PRESETS[default] - 1)
    if first > last:
        raise PeriodError(f"from: {first} is after to: {last}")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"the period has {(last - first).days + 1} days; at most {MAX_DAYS} can be asked at once")
    return Period(first, last)


def _day(name: str, text: str) -> date:
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise PeriodError(f"{name}: {text[:40]!r} is not a date (YYYY-MM-DD)") from None
    try:
        return bounds.day(day, name)  # the calendar's ends cannot be counted from or past
    except bounds.BoundsError as exc:
        raise PeriodError(str(exc)) from None
