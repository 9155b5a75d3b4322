"""Reading ledger files (CSV or JSON) into validated records, all rows or none."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.runtime.limits import MAX_JSON_DEPTH, too_deep
from investigations.ledger import DepositAddressRecord, LedgerDepositRecord, LedgerRecordsError
from investigations.payouts import PayoutRecordIn

_LIST_COLUMNS = {"assets"}


class ImportError_(Exception):
    """The file cannot be imported; names every bad row (up to a limit) and why."""


@dataclass
class ParsedFile:
    addresses: list[DepositAddressRecord] = field(default_factory=list)
    deposits: list[LedgerDepositRecord] = field(default_factory=list)
    payouts: list[PayoutRecordIn] = field(default_factory=list)
    address_rows: list[str] = field(default_factory=list)  # where each record came from
    deposit_rows: list[str] = field(default_factory=list)
    payout_rows: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.addresses) + len(self.deposits) + len(self.payouts)


def read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(where, row) pairs: where is 'line N' for CSV and 'row N' for JSON."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportError_(f"cannot read {path.name}: {exc}") from exc
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        return _json_rows(text)
    return _csv_rows(text)


def _json_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    if too_deep(text.encode(), MAX_JSON_DEPTH):
        raise ImportError_(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ImportError_(f"not valid JSON: {exc}") from exc
    if isinstance(document, dict):
        unknown = set(document) - {"deposit_addresses", "deposits", "payouts"}
        if unknown:
            raise ImportError_(f"unknown top-level keys {sorted(unknown)}: use deposit_addresses, deposits and payouts")
        items = [*document.get("deposit_addresses", []), *document.get("deposits", []), *document.get("payouts", [])]
    elif isinstance(document, list):
        items = document
    else:
        raise ImportError_(
            "the JSON must be a list of records or {deposit_addresses: [...], deposits: [...], payouts: [...]}"
        )
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ImportError_(f"row {number}: a record must be a JSON object")
        rows.append((f"row {number}", item))
    return rows


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ImportError_("the CSV file is empty: expected a header line")
    rows = []
    for row in reader:
        if None in row:
            raise ImportError_(f"line {reader.line_num}: more cells than header columns")
        cleaned: dict[str, Any] = {}
        for key, value in row.items():
            value = (value or "").strip()
            if value == "":
                continue
            cleaned[key.strip()] = value.replace(";", " ").split() if key.strip() in _LIST_COLUMNS else value
        if cleaned:
            rows.append((f"line {reader.line_num}", cleaned))
    return rows


def parse(rows: list[tuple[str, dict[str, Any]]], *, max_errors: int = 20) -> ParsedFile:
    """Validate every row; a payout has a payout_id, a deposit a tx_hash, anything else is a deposit address."""
    parsed = ParsedFile()
    errors: list[str] = []
    for where, row in rows:
        model: type[Any] = (
            PayoutRecordIn if "payout_id" in row else LedgerDepositRecord if "tx_hash" in row else DepositAddressRecord
        )
        try:
            record = model.model_validate(row)
        except ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(p) for p in error["loc"]) or "record"
                reason = error["msg"].removeprefix("Value error, ")
                if error["type"] == "extra_forbidden":
                    reason = "unknown column"
                errors.append(f"{where}: {column}: {reason}" if column != "record" else f"{where}: {reason}")
            continue
        if isinstance(record, PayoutRecordIn):
            parsed.payouts.append(record)
            parsed.payout_rows.append(where)
        elif isinstance(record, LedgerDepositRecord):
            parsed.deposits.append(record)
            parsed.deposit_rows.append(where)
        else:
            parsed.addresses.append(record)
            parsed.address_rows.append(where)
    if errors:
        shown = errors[:max_errors]
        more = f"\n  … and {len(errors) - max_errors} more" if len(errors) > max_errors else ""
        raise ImportError_("nothing was imported:\n  " + "\n  ".join(shown) + more)
    if not len(parsed):
        raise ImportError_("the file holds no records")
    return parsed


def describe(errors: LedgerRecordsError, rows: list[str]) -> ImportError_:
    """Domain row errors (asset, decimals) in the file's own terms: 'line N' or 'row N'."""
    lines = [f"{rows[e.row]}: {e.field}: {e.reason}" for e in errors.errors[:20]]
    return ImportError_("nothing was imported:\n  " + "\n  ".join(lines))
