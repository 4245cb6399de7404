"""`campusgw db`: the store's schema version, and bringing it to the newest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from gateway.app.config import load_config
from gateway.app.problems import problems_exit
from gateway.core.repositories import StoreUnavailable
from gateway.store import migrate
from gateway.store.backup import BackupError, backup, restore
from gateway.store.database import engine_url, shown

db_app = typer.Typer(help="The store's database: its schema version and migrations.",
                     no_args_is_help=True)

T = TypeVar("T")
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Gateway config.")]


def _url(config: Path) -> str:
    with problems_exit(1, f"{config}: {{count}} problem(s)."):
        loaded = load_config(config)
    return loaded.store.database_url


def _or_exit(work: Callable[[], T]) -> T:
    try:
        return work()
    except (StoreUnavailable, BackupError) as exc:
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


@db_app.command("backup")
def backup_command(config: ConfigOption,
                   path: Annotated[Path, typer.Argument(help="The backup file to write.")]
                   ) -> None:
    """Back the store up to one file while the gateway runs (one consistent snapshot)."""
    url = engine_url(_url(config))
    made = _or_exit(lambda: backup(url, path))
    typer.echo(f"{shown(url)}: schema {made.schema}, {made.total} rows -> {path}")


@db_app.command("restore")
def restore_command(config: ConfigOption,
                    path: Annotated[Path, typer.Argument(help="A file of `db backup`.")]
                    ) -> None:
    """Restore a backup into the configured store, which must be empty (a new database),
    then bring it to the newest schema. SQLite and PostgreSQL restore into each other."""
    url = engine_url(_url(config))
    done = _or_exit(lambda: restore(path, url))
    typer.echo(f"{path} -> {shown(url)}: {done.total} rows (schema {done.schema}, now "
               f"{migrate.head()})")
