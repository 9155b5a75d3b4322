"""Server-side SVG charts of the SLA figures (pygal), embedded as images: no script runs and no
third-party asset loads. Each chart has a title and a description inside the SVG, a text
alternative on its <img>, the Okabe–Ito colour-blind-safe palette, and its figures as a table
beside it on the page."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from html import escape
from typing import Any

import pygal
from pygal.style import Style

# Okabe & Ito: distinguishable with every common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
STYLE = Style(
    colors=OKABE_ITO,
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#777",
    font_family="system-ui, sans-serif",
    title_font_size=18,
    legend_font_size=13,
    label_font_size=12,
    major_label_font_size=12,
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


@dataclass(frozen=True)
class Chart:
    title: str
    description: str  # the text alternative: what the chart shows and its main figures
    svg: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def bars(
    title: str,
    description: str,
    labels: list[str],
    series: dict[str, list[Any]],
    *,
    stacked: bool = True,
    horizontal: bool = False,
    y_title: str = "",
) -> Chart:
    kind = (
        pygal.HorizontalStackedBar
        if horizontal and stacked
        else pygal.HorizontalBar
        if horizontal
        else pygal.StackedBar
        if stacked
        else pygal.Bar
    )
    return _render(kind, title, description, labels, series, y_title=y_title)


def lines(title: str, description: str, labels: list[str], series: dict[str, list[Any]], *, y_title: str = "") -> Chart:
    return _render(pygal.Line, title, description, labels, series, y_title=y_title)


def _render(
    kind: Any, title: str, description: str, labels: list[str], series: dict[str, list[Any]], *, y_title: str
) -> Chart:
    counts = {}
    if kind is not pygal.Line and series:  # counts: whole-number gridlines (pygal needs data to place them)
        counts["y_labels"] = _whole_numbers(series, stacked=kind in (pygal.StackedBar, pygal.HorizontalStackedBar))
    chart = kind(
        **counts,
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        title=title,
        y_title=y_title,
        width=900,
        height=340,
        legend_at_bottom=True,
        x_label_rotation=30 if len(labels) > 10 else 0,
        show_minor_x_labels=len(labels) <= 31,
        x_labels_major_every=max(1, len(labels) // 12),
        print_values=False,
        no_data_text="No data in this period",
        truncate_legend=-1,
        show_dots=len(labels) <= 62,  # a year of daily points reads as a line; dots would only cost time
    )
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    # The title is pygal's; the description is ours, for assistive technology reading the SVG itself.
    svg = svg.replace(">", f' role="img"><desc>{escape(description)}</desc>', 1)
    return Chart(title, description, svg)


def _whole_numbers(series: dict[str, list[Any]], *, stacked: bool) -> list[int]:
    """Up to about six whole-number gridlines from 0 to the tallest bar."""
    columns = list(zip(*series.values(), strict=True))
    heights = [
        sum(v or 0 for v in column) if stacked else max((v or 0 for v in column), default=0) for column in columns
    ]
    top = max([*heights, 1])
    step = max(1, math.ceil(top / 6))
    return list(range(0, top + step, step))
