"""`campusgw report`: the files on demand, and a clear error naming the option."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gateway.cli.main import app
from tests.reports.support import boarding_school


def test_the_report_command_writes_the_files_or_names_the_bad_option(tmp_path: Path) -> None:
    boarding_school(tmp_path)
    config = str(tmp_path / "gateway.yaml")
    runner = CliRunner()
    for args, problem in [
            (["monthly", "--month", "2026-13"],
             "error: --month: '2026-13' is not a month: write YYYY-MM, e.g. 2026-11"),
            (["quarterly", "--quarter", "Q4-2026"], "error: --quarter: 'Q4-2026' is not a "
                                                    "quarter"),
            (["term", "--term", "spring-1999"], "error: --term: no term 'spring-1999' "
                                                "(known: autumn-2026)"),
            (["monthly", "--month", "2026-11", "--language", "fr"],
             "error: --language: 'fr' is not zh-CN or en")]:
        refused = runner.invoke(app, ["report", *args, "--config", config])
        assert refused.exit_code == 2, refused.output
        assert problem in refused.stderr, refused.stderr
    assert not (tmp_path / "gw.db").exists()  # refused before the store was opened
    done = runner.invoke(app, ["report", "quarterly", "--quarter", "2026-q4", "--config",
                               config, "--language", "en", "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    written = done.stdout.split()
    assert written[0] == str(tmp_path / "out" / "report-quarter-2026-Q4-en.pdf")
    assert (tmp_path / "out" / "report-quarter-2026-Q4-en-hazards.csv").read_bytes()
