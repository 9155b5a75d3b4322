"""The dashboard's panels: each figure as a chart and, below it, the same figures as a table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from app.lead.sla import charts


@dataclass(frozen=True)
class Panel:
    key: str
    chart: charts.Chart
    caption: str
    headers: list[str]
    rows: list[list[Any]]
    empty: bool = False  # every figure zero or missing: the page hides the chart and names it in one line


WEEKLY_AFTER_DAYS = 62  # longer periods are charted by week (the tables stay per day)


def _buckets(days: list[str]) -> tuple[list[str], list[list[int]]]:
    """Chart labels and, for each, the indexes of the days it sums: days, or weeks for long periods."""
    if len(days) <= WEEKLY_AFTER_DAYS:
        return days, [[n] for n in range(len(days))]
    groups = [list(range(start, min(start + 7, len(days)))) for start in range(0, len(days), 7)]
    return [f"week of {days[g[0]]}" for g in groups], groups


def _summed(values: list[int], groups: list[list[int]]) -> list[int]:
    return [sum(values[n] for n in group) for group in groups]


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _num(value: float | None, unit: str = "") -> str:
    return "–" if value is None else f"{value:g}{unit}"


def build(figures: dict[str, Any]) -> list[Panel]:
    days = figures["days"]
    span = f"{figures['from']} to {figures['to']}"
    built = [_questions(figures["questions"], days, span), _first_note(figures["first_note"], days, span)] + [
        _automation(figures["automation"], days, span),
        _open(figures["open"]),
        _rechecks(figures["rechecks"], days, span),
        _providers(figures["providers"], span),
    ]
    built += [_payouts(figures["payouts"], span)] if _any_payouts(figures) else []
    return [replace(panel, empty=_is_empty(panel)) for panel in built]


def _is_empty(panel: Panel) -> bool:
    """No figure of the panel is other than 0 or missing (the row labels and the "Share" row aside)."""
    cells = [cell for row in panel.rows if row and row[0] != "Share" for cell in row[1:]]
    return all(cell in (0, "–", "", None, "0", "0.0 %") for cell in cells)


def _any_payouts(figures: dict[str, Any]) -> bool:
    """The payout panel shows once there is something to show (a casino without payout records has none)."""
    payouts = figures.get("payouts") or {}
    return bool(payouts.get("questions") or payouts.get("findings"))


def _payouts(payouts: dict[str, Any], span: str) -> Panel:
    codes = sorted(set(payouts["by_code"]) | set(payouts["findings_by_code"]))
    series = {
        "questions": [payouts["by_code"].get(c, 0) for c in codes],
        "auditor findings": [payouts["findings_by_code"].get(c, 0) for c in codes],
    }
    description = (
        f"Payout questions and payout auditor findings by verdict, {span}: {payouts['questions']} questions, "
        f"{payouts['findings']} findings, {payouts['found_before_the_player_asked']} found before the player asked."
    )
    chart = charts.bars("Payouts by verdict", description, codes, series, horizontal=True, stacked=False)
    rows = [[c, payouts["by_code"].get(c, 0), payouts["findings_by_code"].get(c, 0)] for c in codes]
    rows.append(["Total", payouts["questions"], payouts["findings"]])
    rows.append(["Found before the player asked", "", payouts["found_before_the_player_asked"]])
    return Panel("payouts", chart, "Payout questions and findings", ["Verdict", "Questions", "Findings"], rows)


def _questions(questions: dict[str, Any], days: list[str], span: str) -> Panel:
    channels = list(questions["by_channel"])
    labels, groups = _buckets(days)
    series = {c: _summed([d["by_channel"].get(c, 0) for d in questions["per_day"]], groups) for c in channels}
    parts = ", ".join(f"{c} {n}" for c, n in questions["by_channel"].items()) or "none"
    description = f"Deposit questions per day by channel, {span}: {questions['total']} in total ({parts})."
    chart = charts.bars("Deposit questions by channel", description, labels, series, y_title="questions")
    rows = [[d["day"], d["total"], *[d["by_channel"].get(c, 0) for c in channels]] for d in questions["per_day"]]
    rows.append(["Total", questions["total"], *[questions["by_channel"][c] for c in channels]])
    return Panel("questions", chart, "Questions per day and channel", ["Day", "All", *channels], rows)


def _first_note(first: dict[str, Any], days: list[str], span: str) -> Panel:
    target = first["target_seconds"]
    series = {
        "p50 (s)": [d["p50_seconds"] for d in first["per_day"]],
        "p95 (s)": [d["p95_seconds"] for d in first["per_day"]],
        f"target {target:g} s": [target] * len(days),
    }
    description = (
        f"Webhook to first note on the ticket, {span}: p50 {_num(first['p50_seconds'], ' s')}, "
        f"p95 {_num(first['p95_seconds'], ' s')} against a target of {target:g} s; "
        f"{first['missed']} of {first['questions']} missed it."
    )
    chart = charts.lines("Webhook to first note", description, days, series, y_title="seconds")
    headers = ["Day", "Tickets", "p50 (s)", "p95 (s)", f"Missed {target:g} s", "Not written yet"]
    rows = [
        [d["day"], d["questions"], _num(d["p50_seconds"]), _num(d["p95_seconds"]), d["missed"], d["waiting"]]
        for d in first["per_day"]
    ]
    rows.append(
        ["Total", first["questions"], _num(first["p50_seconds"]), _num(first["p95_seconds"])]
        + [first["missed"], first["waiting"]]
    )
    return Panel("first_note", chart, "Time to first note per day", headers, rows)


_AUTOMATION = {
    "first_note": "Final in the first note",
    "follow_ups": "Closed by follow-ups",
    "escalated": "Escalated",
    "open": "Still open",
}


def _automation(automation: dict[str, Any], days: list[str], span: str) -> Panel:
    labels, groups = _buckets(days)
    series = {label: _summed([d[key] for d in automation["per_day"]], groups) for key, label in _AUTOMATION.items()}
    description = (
        f"Helpdesk questions by how they ended, {span}: {automation['questions']} questions, "
        f"{_pct(automation['share_without_agent'])} answered without an agent, "
        f"{_pct(automation['share_escalated'])} escalated."
    )
    chart = charts.bars("Answered without an agent", description, labels, series, y_title="questions")
    rows = [[d["day"], d["questions"], *[d[k] for k in _AUTOMATION]] for d in automation["per_day"]]
    rows.append(["Total", automation["questions"], *[automation[k] for k in _AUTOMATION]])
    rows.append(["Share", "", _pct(automation["share_without_agent"]), "", _pct(automation["share_escalated"]), ""])
    return Panel(
        "automation", chart, "Helpdesk questions by outcome", ["Day", "Questions", *_AUTOMATION.values()], rows
    )


def _open(open_now: dict[str, Any]) -> Panel:
    labels = [b["age"] for b in open_now["by_age"]]
    counts = [b["count"] for b in open_now["by_age"]]
    description = (
        f"Open (not final) investigations now by age, against the {open_now['resolve_target_hours']:g} h target: "
        + ", ".join(f"{label} {count}" for label, count in zip(labels, counts, strict=True))
        + "."
    )
    chart = charts.bars("Open investigations by age", description, labels, {"open": counts}, stacked=False)
    rows = [[label, count] for label, count in zip(labels, counts, strict=True)] + [["Total", open_now["total"]]]
    return Panel("open", chart, "Open investigations now", ["Age", "Open"], rows)


def _rechecks(rechecks: dict[str, Any], days: list[str], span: str) -> Panel:
    names = {"final": "Became final", "changed": "Changed, not final", "unchanged": "No change"}
    labels, groups = _buckets(days)
    series = {label: _summed([d[key] for d in rechecks["per_day"]], groups) for key, label in names.items()}
    description = (
        f"Re-check outcomes per day, {span}: {rechecks['rechecks']} re-checks, {rechecks['final']} became final, "
        f"{rechecks['changed']} changed, {rechecks['unchanged']} unchanged."
    )
    chart = charts.bars("Re-check outcomes", description, labels, series, y_title="re-checks")
    rows = [[d["day"], d["rechecks"], *[d[k] for k in names]] for d in rechecks["per_day"]]
    rows.append(["Total", rechecks["rechecks"], *[rechecks[k] for k in names]])
    return Panel("rechecks", chart, "Re-checks per day", ["Day", "Re-checks", *names.values()], rows)


def _providers(providers: list[dict[str, Any]], span: str) -> Panel:
    labels = [p["provider"] for p in providers]
    series = {"answers": [p["answers"] for p in providers], "errors": [p["errors"] for p in providers]}
    description = f"Provider calls, {span}: " + (
        "; ".join(
            f"{p['provider']} {p['answers']} answers, {p['errors']} errors, p95 {p['p95_ms']} ms" for p in providers
        )
        or "none."
    )
    chart = charts.bars("Provider health", description, labels, series, horizontal=True)
    headers = ["Provider", "Calls", "Answers", "Errors", "p50 (ms)", "p95 (ms)"]
    rows = [
        [p["provider"], p["calls"], p["answers"], p["errors"], _num(p["p50_ms"]), _num(p["p95_ms"])] for p in providers
    ]
    return Panel("providers", chart, "Provider calls in the period", headers, rows)
