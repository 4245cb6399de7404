"""Drill and maintenance modes in the alert database, with their audit trail.

The `*_sync` functions run on the store thread; `SqliteModes` is the repository over them.
A change to a mode and its audit row are written in one transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from gateway.core.modes import Mode, ModeChange
from gateway.core.repositories import ModeAuditEntry
from gateway.store.sqlite import AlertStore, transaction

SYSTEM = "system"
"""The actor of expiries in the audit."""

_MODE_COLUMNS = ("id, kind, zone, device_id, starts, until, actor, note, action, ended_at, "
                 "ended_by")


def insert_mode_sync(store: AlertStore, mode: Mode, change: ModeChange, at: float) -> bool:
    """Store a new mode and audit it; False (and nothing written) if its id is stored."""
    db = store.db
    with transaction(db):
        inserted = db.execute(
            f"INSERT OR IGNORE INTO modes ({_MODE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            _values(mode)).rowcount
        if inserted:
            _audit(db, mode.id, at, change, mode.actor, mode.note)
    return bool(inserted)


def end_mode_sync(store: AlertStore, ended: Mode, note: str) -> bool:
    """Record that `ended` was ended early (its `ended_at` and `ended_by`); False if the
    mode was already over."""
    if ended.ended_at is None or ended.ended_by is None:
        raise ValueError(f"mode {ended.id} has not ended")
    db = store.db
    with transaction(db):
        done = db.execute(
            "UPDATE modes SET ended_at = ?, ended_by = ?, closed = 1 WHERE id = ? AND closed = 0",
            (ended.ended_at, ended.ended_by, ended.id)).rowcount
        if done:
            _audit(db, ended.id, ended.ended_at, "ended", ended.ended_by, note)
    return bool(done)


def expire_mode_sync(store: AlertStore, mode: Mode) -> bool:
    """Record that `mode` reached its expiry; False if that is recorded already."""
    db = store.db
    with transaction(db):
        done = db.execute(
            "UPDATE modes SET closed = 1 WHERE id = ? AND closed = 0 AND ended_at IS NULL",
            (mode.id,)).rowcount
        if done:
            _audit(db, mode.id, mode.until, "expired", SYSTEM, "")
    return bool(done)


def open_modes_sync(store: AlertStore) -> list[Mode]:
    """Modes not ended and whose expiry is not recorded yet (maybe due)."""
    rows = store.db.execute(
        f"SELECT {_MODE_COLUMNS} FROM modes WHERE closed = 0 ORDER BY starts, id")
    return [_mode(row) for row in rows]


def recent_modes_sync(store: AlertStore, since: float, limit: int) -> list[Mode]:
    """Modes over since `since`, the latest first."""
    rows = store.db.execute(
        f"SELECT {_MODE_COLUMNS} FROM modes WHERE closed = 1 "
        "AND COALESCE(ended_at, until) >= ? ORDER BY COALESCE(ended_at, until) DESC LIMIT ?",
        (since, limit))
    return [_mode(row) for row in rows]


def get_mode_sync(store: AlertStore, mode_id: str) -> Mode | None:
    row = store.db.execute(f"SELECT {_MODE_COLUMNS} FROM modes WHERE id = ?",
                           (mode_id,)).fetchone()
    return _mode(row) if row else None


def audit_sync(store: AlertStore, limit: int, mode_id: str | None = None
               ) -> list[ModeAuditEntry]:
    """The audit, newest first; of one mode if `mode_id` is given."""
    query = ("SELECT a.id, a.mode_id, a.at, a.change, a.actor, a.note, m.kind, m.zone, "
             "m.device_id FROM mode_audit a JOIN modes m ON m.id = a.mode_id")
    args: tuple[Any, ...] = ()
    if mode_id is not None:
        query += " WHERE a.mode_id = ?"
        args = (mode_id,)
    rows = store.db.execute(query + " ORDER BY a.id DESC LIMIT ?", (*args, limit))
    return [ModeAuditEntry(*row) for row in rows]


def _audit(db: sqlite3.Connection, mode_id: str, at: float, change: ModeChange, actor: str,
           note: str) -> None:
    db.execute("INSERT INTO mode_audit (mode_id, at, change, actor, note) "
               "VALUES (?, ?, ?, ?, ?)", (mode_id, at, change, actor, note))


def _values(mode: Mode) -> tuple[Any, ...]:
    return (mode.id, mode.kind, mode.zone, mode.device_id, mode.starts, mode.until,
            mode.actor, mode.note, mode.action, mode.ended_at, mode.ended_by)


def _mode(row: tuple[Any, ...]) -> Mode:
    return Mode(*row)


class SqliteModes:
    """`ModeRepository` on the store thread."""

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    async def insert(self, mode: Mode, change: ModeChange, at: float) -> bool:
        return await self._store.run(lambda: insert_mode_sync(self._store, mode, change, at))

    async def end(self, ended: Mode, note: str) -> bool:
        return await self._store.run(lambda: end_mode_sync(self._store, ended, note))

    async def expire(self, mode: Mode) -> bool:
        return await self._store.run(lambda: expire_mode_sync(self._store, mode))

    async def open_modes(self) -> list[Mode]:
        return await self._store.run(lambda: open_modes_sync(self._store))

    async def recent(self, since: float, limit: int) -> list[Mode]:
        return await self._store.run(lambda: recent_modes_sync(self._store, since, limit))

    async def get(self, mode_id: str) -> Mode | None:
        return await self._store.run(lambda: get_mode_sync(self._store, mode_id))

    async def audit(self, limit: int, mode_id: str | None = None) -> list[ModeAuditEntry]:
        return await self._store.run(lambda: audit_sync(self._store, limit, mode_id))
