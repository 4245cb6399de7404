"""`campusgw db`: the store's schema version, and bringing it to the newest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gateway.app.config import load_config
from gateway.app.problems import problems_exit
from gateway.core.repositories import StoreUnavailable
from gateway.store import migrate
from gateway.store.database import engine_url, shown

db_app = typer.Typer(help="The store's database: its schema version and migrations.",
                     no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Gateway config.")]


def _url(config: Path) -> str:
    with problems_exit(1, f"{config}: {{count}} problem(s)."):
        loaded = load_config(config)
    return loaded.store.database_url


def _or_exit(work: Callable[[], migrate.Version]) -> migrate.Version:
    try:
        return work()
    except StoreUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def upgrade(config: ConfigOption) -> None:
    """Apply the migrations the database lacks (the gateway also does on start)."""
    url = engine_url(_url(config))
    version = _or_exit(lambda: migrate.upgrade(url))
    if version.current == version.head:
        typer.echo(f"{shown(url)}: schema {version.head}, already the newest")
    else:
        typer.echo(f"{shown(url)}: schema {version.current or '(empty)'} -> {version.head}")


@db_app.command("current")
def current(config: ConfigOption) -> None:
    """Say which schema version the database is at; exit 2 if it lacks migrations."""
    url = engine_url(_url(config))
    version = _or_exit(lambda: migrate.version(url))
    if version.up_to_date:
        typer.echo(f"{shown(url)}: schema {version.head} (the newest)")
        return
    typer.echo(f"{shown(url)}: schema {version.current or '(empty)'}, newest {version.head}: "
               "run `campusgw db upgrade` (the gateway also does on start)")
    raise typer.Exit(2)
