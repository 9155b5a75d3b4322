"""CSV cells a spreadsheet cannot run: every export writes its cells through `cell`.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (or a DDE call); such a cell gets a leading ``'``
so it shows as text. Numbers (an int, a float, a Decimal, or text that is a plain decimal number such as
``-0.5``) are kept as they are: a figure stays a figure.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def cell(value: Any) -> Any:
    """`value` as a CSV cell that no spreadsheet runs as a formula (None is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document with every cell neutralised. Lines end in CRLF (RFC 4180): the writer quotes a
    cell holding any character of the line end, so a CR inside a cell cannot split a row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()
