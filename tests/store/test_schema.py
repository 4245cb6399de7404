"""The one schema declaration against the alert fields, the migrations and the old
`schema.sql` that databases made before versions were created by."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from gateway.core.alerts import ALERT_FIELDS
from gateway.store import migrate, schema
from gateway.store.database import engine_url

BEFORE = Path(__file__).with_name("schema_before.sql")


def test_alert_columns_are_the_alert_fields_then_updated_at() -> None:
    assert [c.name for c in schema.alerts.columns] == [*ALERT_FIELDS, "updated_at"]


def test_the_migrations_make_exactly_the_declared_schema(store_url: str) -> None:
    url = engine_url(store_url)
    assert migrate.upgrade(url) == migrate.Version(None, migrate.head())
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           schema.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _columns(url: str) -> dict[str, list[tuple[str, bool]]]:
    """Each table's columns and whether they are nullable (but a primary key, which old
    SQLite tables declared nullable by SQLite's leave)."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        tables = {}
        for table in sorted(set(found.get_table_names()) - {"alembic_version"}):
            key = set(found.get_pk_constraint(table)["constrained_columns"])
            tables[table] = [(c["name"], bool(c["nullable"]) and c["name"] not in key)
                             for c in found.get_columns(table)]
        return tables
    finally:
        engine.dispose()


def test_the_baseline_migration_is_the_schema_before_versions(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:
        db.executescript(BEFORE.read_text())
    db.close()
    new = tmp_path / "new.db"
    engine = create_engine(f"sqlite:///{new}")
    try:
        with engine.connect() as connection:
            command.upgrade(migrate.alembic_config(connection), migrate.BASELINE)
            connection.commit()
    finally:
        engine.dispose()
    assert _columns(f"sqlite:///{new}") == _columns(f"sqlite:///{old}")
