"""The figures as CSV: one row per figure, day ("total" for the whole period) and key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.runtime import csv_cells

HEADER = ("section", "day", "figure", "key", "value")


def rows(figures: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    questions = figures["questions"]
    yield ("questions", "total", "questions", "", questions["total"])
    for channel, count in questions["by_channel"].items():
        yield ("questions", "total", "by_channel", channel, count)
    for code, count in questions["by_code"].items():
        yield ("questions", "total", "by_code", code, count)
    for network, counts in questions.get("by_network", {}).items():
        yield ("questions", "total", "by_network", network, counts["total"])
    for day in questions["per_day"]:
        yield ("questions", day["day"], "questions", "", day["total"])
        for channel, count in day["by_channel"].items():
            yield ("questions", day["day"], "by_channel", channel, count)
    yield from _flat("first_note", figures["first_note"])
    yield from _flat("automation", figures["automation"])
    yield from _flat("rechecks", figures["rechecks"])
    open_now = figures["open"]
    yield ("open", "now", "open", "", open_now["total"])
    for bucket in open_now["by_age"]:
        yield ("open", "now", "by_age", bucket["age"], bucket["count"])
    for provider in figures["providers"]:
        for figure in ("calls", "answers", "errors", "p50_ms", "p95_ms"):
            yield ("providers", "total", figure, provider["provider"], provider[figure])
    if "payouts" in figures:
        yield from _flat("payouts", figures["payouts"])
    replies = figures.get("public_replies")
    if replies:  # issue 26
        yield from _flat("public_replies", replies)
        for kind in ("first_public_reply_with_bot", "first_public_reply_without_bot"):
            for figure, value in replies[kind].items():
                yield ("public_replies", "total", kind, figure, value)
        for row in replies["shadow_agreement"]:
            for figure in ("shadow", "compared", "agreed", "agreement"):
                yield ("public_replies", "total", f"shadow_{figure}", row["code"], row[figure])
    for name, section in figures.get("sections", {}).items():
        yield from _flat(name, section)


def _flat(section: str, figures: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for figure, value in figures.items():
        if figure != "per_day" and not isinstance(value, dict | list):
            yield (section, "total", figure, "", value)
    for day in figures.get("per_day", []):
        for figure, value in day.items():
            if figure != "day" and not isinstance(value, dict | list):
                yield (section, day["day"], figure, "", value)


def to_csv(figures: dict[str, Any]) -> str:
    """The figures as CSV, every cell neutralised (`app.runtime.csv_cells`)."""
    return csv_cells.write(HEADER, rows(figures))
