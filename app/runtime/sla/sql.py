"""What differs between SQLite and PostgreSQL in the figures: UTC day buckets, seconds between two
times, and percentiles (PostgreSQL: percentile_cont in SQL; SQLite, the embedded default: the
same linear interpolation over the sorted values)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Float, cast, func
from sqlalchemy.sql.elements import ColumnElement


def is_postgres(session: Any) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def day(column: Any, postgres: bool) -> ColumnElement[str]:
    """The UTC day of a timestamp as YYYY-MM-DD."""
    if postgres:
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps UTC timestamps as ISO text


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
