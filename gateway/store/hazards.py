"""The hazard register in the store (`HazardRepository`): hazards with their steps, their
photos and the quarterly self-inspections. A hazard is changed under its own lock, read and
written in one transaction, so two people acting at once are decided one after the other."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, select, update

from gateway.core.hazards import (
    Hazard,
    HazardCategory,
    HazardFile,
    HazardFilter,
    HazardLevel,
    HazardSource,
    HazardState,
    HazardStep,
    Inspection,
)
from gateway.store.database import Database, lock_key, transaction
from gateway.store.schema import hazard_files, hazard_steps, hazards, inspections

_FIELDS = [c.name for c in hazards.columns]
_ENUMS: dict[str, Callable[[Any], Any]] = {
    "source": HazardSource, "category": HazardCategory, "level": HazardLevel,
    "state": HazardState}


def _hazard(row: Any, steps: Sequence[HazardStep] = ()) -> Hazard:
    values = dict(zip(_FIELDS, row, strict=True))
    for name, kind in _ENUMS.items():
        values[name] = kind(values[name])
    return Hazard(**values, steps=tuple(steps))


def _row(hazard: Hazard) -> dict[str, Any]:
    row = {name: getattr(hazard, name) for name in _FIELDS}
    for name in _ENUMS:
        row[name] = row[name].value
    return row


def _steps(c: Connection, hazard_id: str) -> list[HazardStep]:
    query = (select(hazard_steps.c.at, hazard_steps.c.actor, hazard_steps.c.action,
                    hazard_steps.c.state, hazard_steps.c.note)
             .where(hazard_steps.c.hazard_id == hazard_id).order_by(hazard_steps.c.id))
    return [HazardStep(at, actor, action, HazardState(state), note)
            for at, actor, action, state, note in c.execute(query)]


def _add_steps(c: Connection, hazard_id: str, steps: Sequence[HazardStep]) -> None:
    if steps:
        c.execute(insert(hazard_steps), [
            {"hazard_id": hazard_id, "at": s.at, "actor": s.actor, "action": s.action,
             "state": s.state.value, "note": s.note} for s in steps])


def _where(which: HazardFilter) -> ColumnElement[bool]:
    terms: list[ColumnElement[bool]] = []
    if which.states is not None:
        terms.append(hazards.c.state.in_([s.value for s in which.states]))
    for name in ("level", "category"):
        value = getattr(which, name)
        if value is not None:
            terms.append(hazards.c[name] == value.value)
    for name in ("zone", "responsible", "alert_id"):
        value = getattr(which, name)
        if value is not None:
            terms.append(hazards.c[name] == value)
    if which.overdue_at is not None:
        terms.append(and_(hazards.c.state == HazardState.OPEN.value,
                          hazards.c.deadline < which.overdue_at))
    return and_(True, *terms)


_FILE_META = [hazard_files.c[n] for n in ("id", "hazard_id", "stage", "name", "content_type",
                                          "sha256")]


class SqlHazards:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, hazard: Hazard) -> Hazard:
        """Store a new hazard under its year's next number; the hazard as stored."""
        def add(c: Connection) -> Hazard:
            with transaction(c):
                lock_key(c, "hazards:number")
                return _insert_new(c, hazard)
        return await self._db.run(add)

    async def get(self, hazard_id: str) -> Hazard | None:
        def get(c: Connection) -> Hazard | None:
            row = c.execute(select(hazards).where(hazards.c.id == hazard_id)).first()
            return None if row is None else _hazard(row, _steps(c, hazard_id))
        return await self._db.run(get)

    async def change(self, hazard_id: str,
                     decide: Callable[[Hazard], Hazard]) -> Hazard | None:
        """`decide` the stored hazard's next value and store it, with its new steps, in one
        transaction; `None` if there is no such hazard. What `decide` raises is raised."""
        def change(c: Connection) -> Hazard | None:
            with transaction(c):
                lock_key(c, f"hazard:{hazard_id}")
                row = c.execute(select(hazards).where(hazards.c.id == hazard_id)).first()
                if row is None:
                    return None
                before = _hazard(row, _steps(c, hazard_id))
                after = decide(before)
                c.execute(update(hazards).where(hazards.c.id == hazard_id)
                          .values(**_row(after)))
                _add_steps(c, hazard_id, after.steps[len(before.steps):])
            return after
        return await self._db.run(change)

    async def find(self, which: HazardFilter, limit: int = 1000) -> list[Hazard]:
        """Newest first, without their steps."""
        query = (select(hazards).where(_where(which))
                 .order_by(hazards.c.found_at.desc(), hazards.c.id.desc()).limit(limit))
        return await self._db.run(lambda c: [_hazard(row) for row in c.execute(query)])

    async def add_file(self, hazard_id: str, stage: str, name: str, content_type: str,
                       data: bytes, by: str, at: float) -> HazardFile:
        digest = hashlib.sha256(data).hexdigest()
        file_id = secrets.token_hex(8)
        statement = insert(hazard_files).values(
            id=file_id, hazard_id=hazard_id, stage=stage, name=name,
            content_type=content_type, sha256=digest, data=data, added_by=by, added_at=at)

        def add(c: Connection) -> None:
            with transaction(c):
                c.execute(statement)
        await self._db.run(add)
        return HazardFile(file_id, hazard_id, stage, name, content_type, digest, len(data),
                          by, at)

    async def files(self, hazard_id: str) -> list[HazardFile]:
        query = (select(*_FILE_META, func.length(hazard_files.c.data),
                        hazard_files.c.added_by, hazard_files.c.added_at)
                 .where(hazard_files.c.hazard_id == hazard_id)
                 .order_by(hazard_files.c.added_at))
        return await self._db.run(lambda c: [HazardFile(*row) for row in c.execute(query)])

    async def file(self, hazard_id: str, file_id: str) -> tuple[HazardFile, bytes] | None:
        query = (select(*_FILE_META, hazard_files.c.data, hazard_files.c.added_by,
                        hazard_files.c.added_at)
                 .where(hazard_files.c.hazard_id == hazard_id, hazard_files.c.id == file_id))

        def read(c: Connection) -> tuple[HazardFile, bytes] | None:
            row = c.execute(query).first()
            if row is None:
                return None
            file_id, hazard, stage, name, content_type, digest, data, by, at = row
            return (HazardFile(file_id, hazard, stage, name, content_type, digest, len(data),
                               by, at), bytes(data))
        return await self._db.run(read)

    async def inspections(self) -> list[Inspection]:
        query = select(inspections).order_by(inspections.c.id.desc())
        return await self._db.run(lambda c: [_inspection(row) for row in c.execute(query)])

    async def schedule_inspection(self, inspection_id: str, due: float) -> None:
        """Keep the quarter's inspection, once."""
        def schedule(c: Connection) -> None:
            with transaction(c):
                lock_key(c, f"inspection:{inspection_id}")
                known = c.execute(select(inspections.c.id)
                                  .where(inspections.c.id == inspection_id)).first()
                if known is None:
                    c.execute(insert(inspections).values(id=inspection_id, due=due,
                                                         checklist="{}"))
        await self._db.run(schedule)

    async def complete_inspection(
            self, inspection_id: str, checklist: dict[str, str], by: str, at: float,
            findings: Sequence[Hazard] = (),
    ) -> tuple[Inspection, list[Hazard]] | None:
        """Record the inspection as done with its checklist, and its findings as hazards, all
        in one transaction; `None` if there is no such inspection or it is done already."""
        def complete(c: Connection) -> tuple[Inspection, list[Hazard]] | None:
            with transaction(c):
                lock_key(c, f"inspection:{inspection_id}")
                row = c.execute(select(inspections)
                                .where(inspections.c.id == inspection_id)).first()
                if row is None or row.completed_at is not None:
                    return None
                c.execute(update(inspections).where(inspections.c.id == inspection_id)
                          .values(checklist=json.dumps(checklist, ensure_ascii=False),
                                  completed_by=by, completed_at=at))
                lock_key(c, "hazards:number")
                made = [_insert_new(c, finding) for finding in findings]
            return Inspection(row.id, row.due, checklist, by, at), made
        return await self._db.run(complete)


def _inspection(row: Any) -> Inspection:
    return Inspection(row.id, row.due, json.loads(row.checklist), row.completed_by,
                      row.completed_at)


def _insert_new(c: Connection, new: Hazard) -> Hazard:
    """Insert `new` with the next number of its year (`HZ-2026-0007`); the caller holds
    the numbering lock."""
    prefix = f"HZ-{time.gmtime(new.found_at).tm_year}-"
    last = c.execute(select(func.max(hazards.c.id))
                     .where(hazards.c.id.like(prefix + "%"))).scalar()
    hazard = replace(new, id=f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:04d}")
    c.execute(insert(hazards).values(**_row(hazard)))
    _add_steps(c, hazard.id, hazard.steps)
    return hazard
