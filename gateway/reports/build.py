"""A report of some statistics: its tables, PDF, XLSX and CSV."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from gateway.core.statistics import Statistics
from gateway.reports.document import report_pdf
from gateway.reports.files import ReportFiles, table_csv, workbook
from gateway.reports.labels import Language, Words
from gateway.reports.tables import report_tables


def build_report(stats: Statistics, language: Language, site: str, tz: tzinfo,
                 generated_at: float, zones: Mapping[str, str] | None = None) -> ReportFiles:
    """Every file of the report of `stats` in `language` (zh-CN or en); `zones` names
    the zones by id."""
    words = Words(language, zones)
    tables = report_tables(stats, words)
    name = f"report-{stats.period.kind}-{stats.period.name}-{language}".replace("..", "_")
    return ReportFiles(name, report_pdf(stats, tables, words, site, tz, generated_at),
                       workbook(tables), {t.name: table_csv(t) for t in tables})
