"""The store a benchmark runs on: an SQLite file (the default), or a fresh database on a
PostgreSQL server given by `--store URL`, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from gateway.store.config import StoreConfig

HELP = ("store to run on: a PostgreSQL server URL (postgresql://user@host:5432; a fresh "
        "database is made on it and dropped) or sqlite (the default)")


@contextmanager
def bench_store(server: str | None, path: Path) -> Iterator[StoreConfig]:
    """A store of its own for one run: the SQLite file `path`, or a new database."""
    if server is None or server == "sqlite":
        yield StoreConfig(path=path)
        return
    url = make_url(server).set(drivername="postgresql")
    name = f"campusgw_bench_{secrets.token_hex(6)}"
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield StoreConfig(url=url.set(database=name).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def backend(server: str | None) -> str:
    return "sqlite" if server is None or server == "sqlite" else "postgresql"
