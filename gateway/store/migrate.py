"""The schema's versions (Alembic): bring a database to the newest, or say where it is.

A database made before the schema had versions (its tables created by the old
`schema.sql`, with no `alembic_version` table) is the baseline revision: it is stamped
as such, then upgraded like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.engine import URL

from gateway.core.repositories import StoreUnavailable
from gateway.store.database import named, reached

BASELINE = "0001"
"""The schema as `schema.sql` created it before versions."""


@dataclass(frozen=True, slots=True)
class Version:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "gateway.store:migrations")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:
        raise RuntimeError("the store has no migrations")
    return found


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def version(url: URL) -> Version:
    """Where the database is (None: empty) and where the migrations go."""
    engine = create_engine(url)
    try:
        with reached(url), engine.connect() as connection:
            now = current(connection)
            if now is None and _unversioned(connection):
                now = BASELINE
    finally:
        engine.dispose()
    return Version(now, head())


def upgrade(url: URL) -> Version:
    """Apply every migration the database lacks; the version before and after."""
    engine = create_engine(url)
    try:
        with reached(url), engine.connect() as connection:
            before = current(connection)
            if before is None and _unversioned(connection):
                command.stamp(alembic_config(connection), BASELINE)
                connection.commit()
                before = BASELINE
            if before != head():
                known(url, before)
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
    finally:
        engine.dispose()
    return Version(before, head())


def known(url: URL, revision: str | None) -> None:
    """A schema version that this gateway's migrations know, or `StoreUnavailable`."""
    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise StoreUnavailable(
            f"{named(url)}: schema version {revision} is unknown to this gateway "
            f"(its newest is {head()}): "
            "the database was made by a newer version") from None


def _unversioned(connection: Connection) -> bool:
    """Tables of the store, made before versions."""
    tables = set(inspect(connection).get_table_names())
    return "alerts" in tables and "alembic_version" not in tables
