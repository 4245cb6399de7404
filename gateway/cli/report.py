"""`campusgw report monthly|quarterly|term`: a report on demand, written as PDF, XLSX and
CSV files (the gateway also writes the monthly one on schedule)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from gateway.app.config import GatewayConfig, load_config
from gateway.app.problems import problems_exit
from gateway.app.reporting import site_reporting
from gateway.core.clock import SystemClock
from gateway.core.feed import AlertFeed
from gateway.core.modes import ModeBook
from gateway.core.repositories import StoreUnavailable
from gateway.core.statistics import PeriodError
from gateway.modes.service import ModeService
from gateway.reports.labels import Language
from gateway.store.open import open_store

report_app = typer.Typer(help="Monthly, quarterly and term reports (PDF, XLSX, CSV).",
                         no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Gateway config.")]
LanguageOption = Annotated[str, typer.Option("--language", "-l", help="zh-CN or en.")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Directory for the files (default: the config's reports.directory).")]


async def _write(config: GatewayConfig, kind: str, text: str, language: Language,
                 out: Path | None) -> list[Path]:
    store = open_store(config.store)
    clock = SystemClock()
    modes = ModeService(ModeBook(), store.modes, clock, AlertFeed(), config.site.tz,
                        (zone.id for zone in config.zones), ())
    _, reporting = site_reporting(config, store, clock, modes)
    period = reporting.period(kind, text)  # bad input is said before the store is opened
    await store.open()
    try:
        return await reporting.write(period, language, out or config.reports.directory)
    finally:
        await store.close()


def _report(kind: str, text: str, config: Path, language: str, out: Path | None) -> None:
    if language not in ("zh-CN", "en"):
        typer.echo(f"error: --language: {language!r} is not zh-CN or en", err=True)
        raise typer.Exit(2)
    with problems_exit(1, f"{config}: {{count}} problem(s)."):
        loaded = load_config(config)
    try:
        paths = asyncio.run(_write(loaded, kind, text, "en" if language == "en" else "zh-CN",
                                   out))
    except PeriodError as exc:
        typer.echo(f"error: --{exc}", err=True)
        raise typer.Exit(2) from None
    except StoreUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for path in paths:
        typer.echo(str(path))


@report_app.command("monthly")
def monthly(month: Annotated[str, typer.Option("--month", help="YYYY-MM, e.g. 2026-11.")],
            config: ConfigOption, language: LanguageOption = "zh-CN",
            out: OutOption = None) -> None:
    """The report of a month (a month not over says so on its first page)."""
    _report("monthly", month, config, language, out)


@report_app.command("quarterly")
def quarterly(quarter: Annotated[str, typer.Option("--quarter", help="YYYY-Qn, e.g. 2026-Q4.")],
              config: ConfigOption, language: LanguageOption = "zh-CN",
              out: OutOption = None) -> None:
    """The report of a quarter."""
    _report("quarterly", quarter, config, language, out)


@report_app.command("term")
def term(term: Annotated[str, typer.Option("--term", help="A term of calendar.terms.")],
         config: ConfigOption, language: LanguageOption = "zh-CN",
         out: OutOption = None) -> None:
    """The report of a school term."""
    _report("term", term, config, language, out)
