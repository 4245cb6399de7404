"""`campusgw rules check` and `campusgw rules test`: rules under an integrator's CI."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from gateway.app.config import load_config, load_located
from gateway.app.problems import problems_exit
from gateway.core.configfile import load_model
from rules.lint import lint
from rules.scenario import Scenario

rules_app = typer.Typer(help="Check rules and replay scenarios against them.",
                        no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Gateway config (YAML).")]


@rules_app.command("check")
def check(config: ConfigOption,
          at: Annotated[str | None, typer.Option(
              help="Judge as of this site-local time (default: now).")] = None,
          strict: Annotated[bool, typer.Option(help="Warnings fail too.")] = False) -> None:
    """Report config errors, rules that can never fire, contradictory conditions, windows
    never or always open or overlapping, and calendar data about to run out. Exit 1 on
    errors (and on warnings with --strict)."""
    with problems_exit(1, f"{config}: {{count}} error(s)"):
        loaded, place = load_located(config)
    now = (datetime.fromisoformat(at).replace(tzinfo=loaded.site.tz).timestamp()
           if at else time.time())
    warnings = lint(loaded, now)
    for where, message in warnings:
        typer.echo(f"{place(where)}: warning: {message}")
    typer.echo(f"{config}: {len(loaded.rules)} rules, {len(warnings)} warning(s)")
    if warnings and strict:
        raise typer.Exit(1)


@rules_app.command("test")
def test(config: ConfigOption,
         scenarios: Annotated[list[Path], typer.Argument(help="Scenario files (YAML).")]
         ) -> None:
    """Replay each scenario on a virtual clock and print which alerts fire, escalate and
    resolve, and when. Exit 1 when an expectation is not met."""
    from gateway.app.replay import replay, report

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    with problems_exit(1):
        loaded = load_config(config)
    failed = 0
    for path in scenarios:
        with problems_exit(2):
            scenario, _ = load_model(path, Scenario)
        with problems_exit(2):
            result = asyncio.run(replay(loaded, scenario, path.parent))
        for line in report(scenario, result):
            typer.echo(line)
        failed += not result.passed
    typer.echo(f"{len(scenarios) - failed} of {len(scenarios)} scenario(s) passed")
    if failed:
        raise typer.Exit(1)

