"""What differs between SQLite and PostgreSQL in the figures: UTC day buckets, seconds between two
times, and percentiles (PostgreSQL: percentile_cont in SQL; SQLite, the embedded default: the
same linear interpolation over the sorted values)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Float, Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement


def is_postgres(session: Any) -> bool:
    return session.get_bind().dialect.name == "postgresql"


EPOCH = date(1970, 1, 1)


def day(column: Any, postgres: bool) -> ColumnElement[int]:
    """The UTC day of a timestamp as a day number since 1970-01-01 (integers group faster than text)."""
    if postgres:
        return cast(func.floor(func.date_part("epoch", column) / 86400), Integer)
    return cast(func.julianday(column) - 2440587.5, Integer)  # SQLite keeps UTC timestamps as ISO text


def exact_day(column: Any, postgres: bool) -> ColumnElement[int]:
    """The UTC day a timestamp belongs to by the period's bounds (`>= start, < end`): `day`, except
    that on SQLite the date is read from the text, which julianday would round to the millisecond."""
    if postgres:
        return day(column, postgres)
    return cast(func.julianday(func.substr(column, 1, 10)) - 2440587.5, Integer)


def day_number(value: date) -> int:
    return (value - EPOCH).days


def iso_day(number: int | None) -> str | None:
    """A day number from `day` as YYYY-MM-DD (None stays None: the total of a ROLLUP)."""
    return None if number is None else (EPOCH + timedelta(days=int(number))).isoformat()


def seconds_between(later: Any, earlier: Any, postgres: bool) -> ColumnElement[float]:
    if postgres:
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def percentile_sql(fraction: float, value: Any) -> ColumnElement[float]:
    """PostgreSQL only: the continuous percentile of `value` within the group."""
    return func.percentile_cont(fraction).within_group(value)


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """percentile_cont over Python values: linear interpolation between the closest ranks."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def percentile_of_counts(ordered: list[tuple[float, int]], fraction: float) -> float | None:
    """`percentile` over values given as (value, how many times) sorted by value: the same ranks and
    the same arithmetic, so the same float as percentile_cont over the rows themselves."""
    total = sum(count for _value, count in ordered)
    if not total:
        return None
    position = fraction * (total - 1)
    low, high = math.floor(position), math.ceil(position)
    values, seen = {}, 0
    for value, count in ordered:
        for rank in (low, high):
            if seen <= rank < seen + count:
                values[rank] = float(value)
        seen += count
        if high in values:
            break
    return values[low] + (values[high] - values[low]) * (position - low)
