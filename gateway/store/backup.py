"""Online backup of the store to one file, and restore into an empty database, on SQLite
and PostgreSQL alike (a backup of one restores into the other).

The backup reads every table in one read-only snapshot while the gateway keeps working,
and writes gzip-compressed JSON lines: a header (format, schema version, tables and their
columns), the rows, and a last line with the SHA-256 of everything before it, so that a
truncated or altered file is refused. A restore brings the empty database to the backup's
schema version, inserts the rows, then applies the newer migrations: a backup made by an
older gateway restores into a newer one.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Connection, column, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL

from gateway.store import migrate
from gateway.store.database import named, reached
from gateway.store.schema import metadata

FORMAT = "campusgw-backup"
FORMAT_VERSION = 1
_BATCH = 1000


class BackupError(Exception):
    """A backup file that cannot be restored, or a database that cannot take it."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    schema: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def backup(url: URL, path: Path) -> BackupSummary:
    """Write the whole store at `url` to `path` (replaced only once complete)."""
    engine = create_engine(url)
    temporary = path.with_name(path.name + ".partial")
    try:
        with reached(url), engine.connect() as connection:
            schema = migrate.current(connection)
            if schema is None:
                raise BackupError(f"{named(url)} holds no gateway store")
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ "
                                        "READ ONLY"))
            else:
                connection.exec_driver_sql("BEGIN")  # one snapshot (WAL readers see one)
            present = set(inspect(connection).get_table_names())
            tables = [t for t in metadata.sorted_tables if t.name in present]
            columns = {t.name: [c["name"] for c in inspect(connection).get_columns(t.name)]
                       for t in tables}
            rows: dict[str, int] = {}
            digest = hashlib.sha256()
            with gzip.open(temporary, "wt", encoding="utf-8") as out:
                def line(record: object) -> None:
                    encoded = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                    digest.update(encoded.encode())
                    out.write(encoded + "\n")
                line({"format": FORMAT, "version": FORMAT_VERSION, "schema": schema,
                      "made_at": time.time(), "backend": connection.dialect.name,
                      "tables": columns})
                for each in tables:
                    names = columns[each.name]
                    rows[each.name] = 0
                    query = select(*(column(n) for n in names)).select_from(table(each.name))
                    for row in connection.execute(query):
                        line([each.name, [_encoded(value) for value in row]])
                        rows[each.name] += 1
                out.write(json.dumps({"end": True, "rows": rows,
                                      "sha256": digest.hexdigest()}) + "\n")
            connection.rollback()
        os.replace(temporary, path)
    finally:
        engine.dispose()
        temporary.unlink(missing_ok=True)
    return BackupSummary(schema, rows)


def restore(path: Path, url: URL) -> BackupSummary:
    """Fill the empty database at `url` from the backup at `path`, then bring it to the
    newest schema."""
    header, records, end = _read(path)
    schema = str(header["schema"])
    migrate.known(url, schema)
    engine = create_engine(url)
    try:
        with reached(url), engine.connect() as connection:
            if migrate.current(connection) is not None or inspect(connection).get_table_names():
                raise BackupError(f"{named(url)} is not empty: restore into a new database")
            command.upgrade(migrate.alembic_config(connection), schema)
            tables: dict[str, list[str]] = header["tables"]
            counted = dict.fromkeys(tables, 0)
            for name, batch in _batches(records):
                target = table(name, *(column(n) for n in tables[name]))
                connection.execute(target.insert(), [
                    dict(zip(tables[name], map(_decoded, row), strict=True)) for row in batch])
                counted[name] += len(batch)
            if counted != end["rows"]:
                raise BackupError(f"{path}: the rows do not add up to what the backup says")
            _continue_sequences(connection, tables)
            connection.commit()
        migrate.upgrade(url)
    finally:
        engine.dispose()
    return BackupSummary(schema, counted)


def _encoded(value: object) -> object:
    """A row's value for JSON: bytes (photos) as `{"b64": ...}`."""
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decoded(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    return value


def _read(path: Path) -> tuple[dict[str, Any], list[tuple[str, list[Any]]], dict[str, Any]]:
    """The header, the rows and the end line, once the checksum matched."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as source:
            lines = source.read().splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: not a readable backup ({exc})") from None
    if len(lines) < 2:
        raise BackupError(f"{path}: not a backup of the gateway's store")
    try:
        header, end = json.loads(lines[0]), json.loads(lines[-1])
    except ValueError:
        raise BackupError(f"{path}: not a backup of the gateway's store") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path}: not a backup of the gateway's store")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format {header.get('version')} is unknown here")
    for line in lines[:-1]:
        digest.update(line.encode())
    if not isinstance(end, dict) or end.get("sha256") != digest.hexdigest():
        raise BackupError(f"{path}: the backup is incomplete or was altered (checksum)")
    return header, [(str(name), list(row)) for name, row in map(json.loads, lines[1:-1])], end


def _batches(records: list[tuple[str, list[Any]]]) -> Iterator[tuple[str, list[list[Any]]]]:
    name, batch = "", list[list[Any]]()
    for table_name, row in records:
        if (table_name != name or len(batch) >= _BATCH) and batch:
            yield name, batch
            batch = []
        name = table_name
        batch.append(row)
    if batch:
        yield name, batch


def _continue_sequences(connection: Connection, tables: dict[str, list[str]]) -> None:
    """PostgreSQL's id sequences go on after the restored ids (SQLite's do by themselves)."""
    if connection.dialect.name != "postgresql":
        return
    for each in metadata.sorted_tables:
        if each.name not in tables or "id" not in tables[each.name]:
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                      {"t": each.name}).scalar()
        if sequence is None:
            continue
        highest = connection.execute(select(func.max(column("id"))).select_from(
            table(each.name))).scalar()
        if highest is not None:
            connection.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})
