"""The report as a PDF: a first page with the period and the summary (and, for a period
not over, a notice saying so), the charts with their tables, the drills the terms
require, and a page for the signatures (校长, 安全负责人). Laid out as HTML and printed by
WeasyPrint in the Chinese font."""

from __future__ import annotations

import base64
from datetime import datetime, tzinfo
from html import escape

from weasyprint import HTML

from gateway.core.statistics import Statistics
from gateway.reports.charts import chart_png
from gateway.reports.labels import Words, number, percent
from gateway.reports.tables import Cell, DataTable

STYLE = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page) " / "
  counter(pages); font-size: 8pt; color: #666; } }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 9.5pt;
  color: #111; }
h1 { font-size: 18pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #1f5fa8; }
.notice { border: 2px solid #c0392b; color: #c0392b; padding: 3mm; font-weight: bold; }
.warning { color: #c0392b; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 1px solid #bbb; padding: 1mm 2mm; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eef3fa; }
section { break-inside: avoid; }
img.chart { width: 100%; }
.signatures { break-before: page; }
.line { margin-top: 18mm; font-size: 12pt; }
.line span { display: inline-block; border-bottom: 1px solid #111; width: 62mm; }
"""


def report_pdf(stats: Statistics, tables: list[DataTable], words: Words, site: str,
               tz: tzinfo, generated_at: float) -> bytes:
    """The PDF of `stats`, printing `tables`."""
    pdf: bytes = HTML(string=report_html(stats, tables, words, site, tz, generated_at)).write_pdf()
    return pdf


def report_html(stats: Statistics, tables: list[DataTable], words: Words, site: str,
                tz: tzinfo, generated_at: float) -> str:
    w = words
    period = stats.period
    parts = [f"<h1>{escape(site)} · {escape(w(period.kind))}</h1>",
             f"<p>{w('period')}: {period.first.isoformat()} – {period.last.isoformat()}"
             f" ({escape(period.name)}) · {w('generated')}: {_local(generated_at, tz)}</p>"]
    if not stats.complete:
        parts.append(f"<p class='notice'>{escape(w('incomplete', as_of=_local(stats.as_of, tz)))}"
                     "</p>")
    missing = stats.drills.missing
    if missing:
        parts.append("<p class='warning'>" + escape(w("missing_drills") + "; ".join(
            f"{r.term} {w.drill_kind(r.kind)} ({r.due_from}–{r.due_until})"
            for r in missing)) + "</p>")
    h = stats.hazards
    summary = [(w("alerts"), stats.alerts), (w("opened"), h.opened), (w("fixed"), h.fixed),
               (w("overdue"), h.overdue), (w("major_not_closed"), h.major_not_closed),
               (w("held"), stats.drills.held)]
    parts.append(f"<h2>{w('summary')}</h2><table>" + "".join(
        f"<tr><th>{escape(label)}</th><td class='n'>{value}</td></tr>"
        for label, value in summary) + "</table>")
    for table in tables:
        parts.append(_section(table, w))
    parts.append(
        f"<div class='signatures'><h2>{w('signatures')}</h2><p>{w('reviewed')}</p>"
        + "".join(f"<p class='line'>{w(who)}：<span></span> &nbsp; {w('date')}："
                  "<span style='width:40mm'></span></p>" for who in ("principal",
                                                                     "safety_chief"))
        + "</div>")
    return (f"<!DOCTYPE html><html lang='{w.language}'><head><meta charset='utf-8'>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


def _section(table: DataTable, w: Words) -> str:
    png = chart_png(table)
    chart = "" if png is None else (
        "<img class='chart' alt='' src='data:image/png;base64,"
        f"{base64.b64encode(png).decode()}'>")
    if not table.rows:
        body = f"<p>{w('none')}</p>"
    else:
        head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
        rows = "".join("<tr>" + "".join(_cell(v, i in table.percent_columns)
                                        for i, v in enumerate(row)) + "</tr>"
                       for row in table.rows)
        body = f"<table><tr>{head}</tr>{rows}</table>"
    return f"<section><h2>{escape(table.title)}</h2>{chart}{body}</section>"


def _cell(value: Cell, share: bool) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"<td class='n'>{percent(value) if share else number(value)}</td>"
    return f"<td>{escape(number(value) if value is None else str(value))}</td>"


def _local(ts: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")
