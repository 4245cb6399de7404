"""The reports' charts, drawn offline with matplotlib (its object API: no global state)
as PNG in the Chinese font (the PDF lays PNGs out several times faster than SVGs)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gateway.reports.tables import TOP, DataTable

FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans"]
BAR = "#1f5fa8"
SERIES = ("#1f5fa8", "#e08a1e", "#8a8a8a")
DPI = 110
WIDTH_IN = 7.0

matplotlib.rcParams.update({"font.sans-serif": FONTS, "font.family": "sans-serif",
                            "axes.unicode_minus": False,
                            "font.size": 9})


def chart_png(table: DataTable) -> bytes | None:
    """The table drawn as PNG; None for a table without a chart or without data."""
    rows = list(table.rows)
    if table.chart == "none" or not any(isinstance(v, int | float) and v
                                        for row in rows for v in row[1:1 + table.values]):
        return None
    if table.chart == "hbar":
        rows = rows[:TOP]
    height = 2.6 if table.chart != "hbar" else 0.9 + 0.22 * len(rows)
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    _draw(figure, table, rows)
    # fixed margins: a layout engine would draw every chart twice
    label = max(_width(str(row[0])) for row in rows) if table.chart == "hbar" else 6
    figure.subplots_adjust(left=min(0.5, (0.25 + 0.085 * label) / WIDTH_IN), right=0.98,
                           top=1 - 0.15 / height, bottom=0.45 / height)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _draw(figure: Figure, table: DataTable, rows: Sequence[tuple[object, ...]]) -> None:
    axes = figure.add_subplot()
    labels = [str(row[0]) for row in rows]
    if table.chart == "hbar":
        values = [_num(row[1]) for row in rows]
        axes.barh(labels[::-1], values[::-1], color=BAR)
        axes.set_xlabel(table.columns[1])
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    elif table.chart == "times":
        width = 0.38
        positions = range(len(rows))
        for offset, column in ((-width / 2, 2), (width / 2, 3)):
            axes.bar([p + offset for p in positions], [_num(row[column]) for row in rows],
                     width, label=table.columns[column], color=SERIES[column - 2])
        if len(table.columns) > 4:
            axes.scatter(list(positions), [_num(row[4]) for row in rows], marker="_", s=600,
                         color="#c0392b", label=table.columns[4], zorder=3)
        axes.set_xticks(list(positions), labels)
        axes.legend(frameon=False, fontsize=8)
    else:
        axes.bar(labels, [_num(row[1]) for row in rows], color=BAR)
        axes.set_ylabel(table.columns[1])
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)


def _width(text: str) -> float:
    """A label's width in Latin characters (a Chinese character is about two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
