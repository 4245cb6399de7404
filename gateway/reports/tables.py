"""The data behind every chart and table of a report, as plain rows: what the PDF prints
and the CSV and XLSX files hold, one table each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from gateway.core.statistics import Count, FalseAlarms, Statistics, Times
from gateway.reports.labels import Words

Cell = str | int | float | None
Chart = Literal["bar", "hbar", "times", "none"]


@dataclass(frozen=True, slots=True)
class DataTable:
    """One table: its file name, title, column headings and rows; `chart` says how it is
    drawn (the first column labels, the next `values` columns are drawn)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart = "none"
    values: int = 1
    percent_columns: tuple[int, ...] = ()
    """Columns holding a share 0..1, printed as percentages."""


TOP = 15
"""The most rows a ranked chart (devices, rules, operators) draws; the files hold all."""


def report_tables(stats: Statistics, words: Words) -> list[DataTable]:
    """Every table of the report, in the order printed."""
    w = words

    def counts(name: str, heading: str, rows: Sequence[Count], label: Callable[[str], str],
               chart: Chart = "bar") -> DataTable:
        shown = tuple((label(c.key), c.count) for c in rows)
        return DataTable(name, w(name), (w(heading), w("count")), shown, chart)

    def times(name: str, heading: str, rows: Sequence[Times], targets: bool) -> DataTable:
        if targets:
            return DataTable(name, w(name), (w(heading), w("count"), w("p50_s"), w("p90_s"),
                                             w("target_s"), w("within_target")),
                             tuple((w.term(t.group), t.count, t.p50_s, t.p90_s, t.target_s,
                                    t.within_target) for t in rows), "times", 3)
        return DataTable(name, w(name), (w(heading), w("count"), w("p50_s"), w("p90_s")),
                         tuple((w.term(t.group), t.count, t.p50_s, t.p90_s) for t in rows),
                         "times", 3)

    def false(name: str, heading: str, rows: Sequence[FalseAlarms]) -> DataTable:
        return DataTable(name, w(name), (w(heading), w("alerts_n"), w("false_alarms"),
                                         w("rate")),
                         tuple((r.key, r.alerts, r.false_alarms, round(r.rate, 4))
                               for r in rows), "none", 1, (3,))

    h = stats.hazards
    police = [(w("accepted"), stats.police_accepted), (w("on_scene"), stats.police_on_scene)]
    return [
        counts("by_category", "category", stats.by_category, w.alert_category, "hbar"),
        counts("by_zone", "zone", stats.by_zone, w.zone, "hbar"),
        DataTable("by_hour", w("by_hour"), (w("hour"), w("count")),
                  tuple((f"{hour:02d}", n) for hour, n in enumerate(stats.by_hour)), "bar"),
        DataTable("by_weekday", w("by_weekday"), (w("weekday"), w("count")),
                  tuple((w.weekday(i), n) for i, n in enumerate(stats.by_weekday)), "bar"),
        times("ack_by_severity", "severity", stats.ack_by_severity, True),
        times("resolve_by_severity", "severity", stats.resolve_by_severity, False),
        times("ack_by_operator", "operator", stats.ack_by_operator, False),
        times("resolve_by_operator", "operator", stats.resolve_by_operator, False),
        false("false_by_device", "device", stats.false_by_device),
        false("false_by_rule", "rule", stats.false_by_rule),
        DataTable("availability", w("availability"),
                  (w("device_class"), w("devices"), w("offline_s"), w("availability_pct")),
                  tuple((a.device_class, a.devices, a.offline_s, round(a.availability, 6))
                        for a in stats.availability), "none", 1, (3,)),
        DataTable("police", w("police"), (w("measure"), w("count"), w("p50_s"), w("p90_s")),
                  tuple((label, t.count, t.p50_s, t.p90_s) for label, t in police), "times", 3),
        DataTable("hazards", w("hazards"), (w("figure"), w("value")), tuple(
            (w(key), getattr(h, key)) for key in (
                "opened", "fixed", "closed", "overdue", "not_closed", "major_not_closed",
                "age_p50_days", "age_max_days")), "none"),
        counts("hazards_by_category", "category", h.by_category, w.hazard_category, "hbar"),
        DataTable("drills", w("drills"), (w("term_name"), w("kind"), w("due_from"),
                                          w("due_until"), w("status"), w("met_by")),
                  tuple((r.term, w.drill_kind(r.kind), r.due_from.isoformat(),
                         r.due_until.isoformat(), w.term(r.status(stats.drills.as_of)),
                         r.met_by or "") for r in stats.drills.required)),
        counts("drills_by_kind", "kind", stats.drills.by_kind, w.drill_kind, "bar"),
    ]
