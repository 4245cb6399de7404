"""What every command does with a config it cannot use: print each problem, then exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from gateway.core.configfile import ConfigError


@contextmanager
def problems_exit(code: int, summary: str = "") -> Iterator[None]:
    """Turn a `ConfigError` inside into its `file:line: key: message` lines on stderr,
    `summary` (`{count}` is the number of problems), and exit status `code`."""
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        if summary:
            typer.echo(summary.format(count=len(exc.problems)), err=True)
        raise typer.Exit(code) from None
