"""Drill and maintenance modes in the store, with their audit trail.

A change to a mode and its audit row are written in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from gateway.core.modes import Mode, ModeChange
from gateway.core.repositories import ModeAuditEntry
from gateway.store.database import Database, transaction
from gateway.store.schema import mode_audit, modes

SYSTEM = "system"
"""The actor of expiries in the audit."""

_MODE = [modes.c[name] for name in (
    "id", "kind", "zone", "device_id", "starts", "until", "actor", "note", "action",
    "ended_at", "ended_by")]
_OVER_AT = func.coalesce(modes.c.ended_at, modes.c.until)


def _mode(row: Any) -> Mode:
    return Mode(*row)


def _values(mode: Mode) -> dict[str, Any]:
    return {column.name: getattr(mode, column.name) for column in _MODE}


def _audit(connection: Connection, mode_id: str, at: float, change: ModeChange, actor: str,
           note: str) -> None:
    connection.execute(insert(mode_audit).values(mode_id=mode_id, at=at, change=change,
                                                 actor=actor, note=note))


class SqlModes:
    """`ModeRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def insert(self, mode: Mode, change: ModeChange, at: float) -> bool:
        """Store a new mode and audit it; False (and nothing written) if its id is stored."""
        statement = (self._db.insert(modes).values(_values(mode)).on_conflict_do_nothing()
                     .returning(modes.c.id))

        def add(c: Connection) -> bool:
            with transaction(c):
                inserted = c.execute(statement).first() is not None
                if inserted:
                    _audit(c, mode.id, at, change, mode.actor, mode.note)
            return inserted
        return await self._db.run(add)

    async def end(self, ended: Mode, note: str) -> bool:
        """Record that `ended` was ended early; False if the mode was already over."""
        if ended.ended_at is None or ended.ended_by is None:
            raise ValueError(f"mode {ended.id} has not ended")
        at, by = ended.ended_at, ended.ended_by
        statement = (update(modes).where(modes.c.id == ended.id, modes.c.closed == 0)
                     .values(ended_at=at, ended_by=by, closed=1))

        def end(c: Connection) -> bool:
            with transaction(c):
                done = c.execute(statement).rowcount
                if done:
                    _audit(c, ended.id, at, "ended", by, note)
            return bool(done)
        return await self._db.run(end)

    async def expire(self, mode: Mode) -> bool:
        """Record that `mode` reached its expiry; False if that is recorded already."""
        statement = (update(modes).where(modes.c.id == mode.id, modes.c.closed == 0,
                                         modes.c.ended_at.is_(None)).values(closed=1))

        def expire(c: Connection) -> bool:
            with transaction(c):
                done = c.execute(statement).rowcount
                if done:
                    _audit(c, mode.id, mode.until, "expired", SYSTEM, "")
            return bool(done)
        return await self._db.run(expire)

    async def open_modes(self) -> list[Mode]:
        """Modes not ended and whose expiry is not recorded yet (maybe due)."""
        query = select(*_MODE).where(modes.c.closed == 0).order_by(modes.c.starts, modes.c.id)
        return await self._db.run(lambda c: [_mode(r) for r in c.execute(query)])

    async def recent(self, since: float, limit: int) -> list[Mode]:
        """Modes over since `since`, the latest first."""
        query = (select(*_MODE).where(modes.c.closed == 1, since <= _OVER_AT)
                 .order_by(_OVER_AT.desc()).limit(limit))
        return await self._db.run(lambda c: [_mode(r) for r in c.execute(query)])

    async def get(self, mode_id: str) -> Mode | None:
        query = select(*_MODE).where(modes.c.id == mode_id)

        def get(c: Connection) -> Mode | None:
            row = c.execute(query).first()
            return None if row is None else _mode(row)
        return await self._db.run(get)

    async def audit(self, limit: int, mode_id: str | None = None) -> list[ModeAuditEntry]:
        """The audit, newest first; of one mode if `mode_id` is given."""
        query = (select(mode_audit.c.id, mode_audit.c.mode_id, mode_audit.c.at,
                        mode_audit.c.change, mode_audit.c.actor, mode_audit.c.note,
                        modes.c.kind, modes.c.zone, modes.c.device_id)
                 .join(modes, modes.c.id == mode_audit.c.mode_id))
        if mode_id is not None:
            query = query.where(mode_audit.c.mode_id == mode_id)
        query = query.order_by(mode_audit.c.id.desc()).limit(limit)
        return await self._db.run(lambda c: [ModeAuditEntry(*r) for r in c.execute(query)])
