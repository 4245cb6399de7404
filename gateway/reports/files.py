"""The data behind every chart as CSV (one file per table, UTF-8 with BOM so that Excel
reads the Chinese) and as one XLSX workbook (a sheet per table), and the whole report
as one zip."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from gateway.reports.tables import DataTable

SHEET_NAME_MAX = 31


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """A built report: its base name (e.g. `report-monthly-2026-11-zh-CN`) and files."""

    name: str
    pdf: bytes
    xlsx: bytes
    csv: dict[str, bytes]

    def files(self) -> dict[str, bytes]:
        """Every file by its name."""
        return {f"{self.name}.pdf": self.pdf, f"{self.name}.xlsx": self.xlsx,
                **{f"{self.name}-{table}.csv": data for table, data in self.csv.items()}}

    def write(self, directory: Path) -> list[Path]:
        """Write every file into `directory` (made if missing); their paths, PDF first."""
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in self.files().items():
            path = directory / name
            path.write_bytes(data)
            written.append(path)
        return written

    def zip(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, data in self.files().items():
                bundle.writestr(name, data)
        return out.getvalue()


def table_csv(table: DataTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode()


def workbook(tables: list[DataTable]) -> bytes:
    """One sheet per table, named by the table's file name; shares as percentages."""
    book = Workbook()
    book.remove(book.worksheets[0])
    for table in tables:
        sheet = book.create_sheet(table.name[:SHEET_NAME_MAX])
        sheet.append([table.title])
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append(list(row))
        for column in table.percent_columns:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=column + 1,
                                           max_col=column + 1):
                cell.number_format = "0.0%"
        for index, width in enumerate((24, 12, 12, 12, 12, 12), start=1):
            sheet.column_dimensions[chr(64 + index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
