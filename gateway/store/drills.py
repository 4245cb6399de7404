"""Drills in the store: what was planned and what its lead entered; the start and end are
read from the drill's mode, so they are never kept twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from gateway.core.drills import Drill
from gateway.store.database import Database, transaction
from gateway.store.schema import drills, modes

_PLANNED = ("id", "kind", "title", "zone", "planned_start", "duration_s",
            "expected_participants", "lead", "source", "planned_by", "mode_id")
_SELECT = (select(*(drills.c[name] for name in _PLANNED), modes.c.starts,
                  func.coalesce(modes.c.ended_at, modes.c.until), drills.c.evacuation_s,
                  drills.c.participants, drills.c.notes)
           .outerjoin(modes, modes.c.id == drills.c.mode_id))


def _drill(row: Any) -> Drill:
    return Drill(*row)


class SqlDrills:
    """The drills: planned, run, reported."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def plan(self, drill: Drill, at: float) -> bool:
        """Store a planned drill; False (and nothing written) if its id is stored."""
        values = {name: getattr(drill, name) for name in _PLANNED}
        statement = (self._db.insert(drills).values(**values, updated_at=at)
                     .on_conflict_do_nothing().returning(drills.c.id))

        def plan(c: Connection) -> bool:
            with transaction(c):
                return c.execute(statement).first() is not None
        return await self._db.run(plan)

    async def get(self, drill_id: str) -> Drill | None:
        query = _SELECT.where(drills.c.id == drill_id)

        def get(c: Connection) -> Drill | None:
            row = c.execute(query).first()
            return None if row is None else _drill(row)
        return await self._db.run(get)

    async def between(self, start: float, end: float) -> list[Drill]:
        """Drills planned or run from `start` to `end`, in planned order."""
        begun = func.coalesce(modes.c.starts, drills.c.planned_start)
        query = (_SELECT.where(begun >= start, begun < end)
                 .order_by(drills.c.planned_start, drills.c.id))
        return await self._db.run(lambda c: [_drill(r) for r in c.execute(query)])

    async def started(self, drill_id: str, mode_id: str, at: float) -> bool:
        """Record the drill mode a drill runs in; False if it has one already."""
        statement = (update(drills).where(drills.c.id == drill_id, drills.c.mode_id == "")
                     .values(mode_id=mode_id, updated_at=at))
        return await self._update(statement)

    async def record(self, drill_id: str, at: float, evacuation_s: float | None,
                     participants: int | None, notes: str | None) -> bool:
        """What the drill lead entered (None: unchanged); False for an unknown drill."""
        changes: dict[str, Any] = {"updated_at": at}
        if evacuation_s is not None:
            changes["evacuation_s"] = evacuation_s
        if participants is not None:
            changes["participants"] = participants
        if notes is not None:
            changes["notes"] = notes
        return await self._update(update(drills).where(drills.c.id == drill_id)
                                  .values(**changes))

    async def _update(self, statement: Any) -> bool:
        def change(c: Connection) -> bool:
            with transaction(c):
                return bool(c.execute(statement).rowcount)
        return await self._db.run(change)
