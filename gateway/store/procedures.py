"""Versioned procedures (`SopRepository`), shift handovers (`HandoverRepository`) and the
keys of the statuses linkage platforms sent (`LinkageInbox`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from gateway.core.handover import Handover
from gateway.core.sops import Sop
from gateway.store.database import Database, lock_key, transaction
from gateway.store.schema import handovers, linkage_inbox, sops

_SOP = [sops.c[name] for name in ("id", "version", "body", "edited_by", "edited_at")]
_HANDOVER = [handovers.c[name] for name in (
    "id", "from_user", "note", "at", "open", "claimed", "snoozed", "accepted_by",
    "accepted_at", "accept_note")]


def _sop(row: Any) -> Sop:
    sop_id, version, body, edited_by, edited_at = row
    return Sop.from_body(sop_id, version, json.loads(body), edited_by, edited_at)


class SqlSops:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def newest(self) -> list[Sop]:
        latest = (select(sops.c.id, func.max(sops.c.version).label("version"))
                  .group_by(sops.c.id).subquery())
        query = (select(*_SOP).join(latest, (sops.c.id == latest.c.id)
                                    & (sops.c.version == latest.c.version))
                 .order_by(sops.c.id))
        return await self._db.run(lambda c: [_sop(row) for row in c.execute(query)])

    async def versions(self, sop_id: str) -> list[Sop]:
        query = select(*_SOP).where(sops.c.id == sop_id).order_by(sops.c.version.desc())
        return await self._db.run(lambda c: [_sop(row) for row in c.execute(query)])

    async def add(self, sop: Sop, by: str, at: float) -> Sop:
        body = json.dumps(sop.body(), ensure_ascii=False, sort_keys=True)
        last = select(func.max(sops.c.version)).where(sops.c.id == sop.id)

        def add(c: Connection) -> Sop:
            with transaction(c):
                lock_key(c, f"sop:{sop.id}")
                version = (c.execute(last).scalar() or 0) + 1
                c.execute(insert(sops).values(id=sop.id, version=version, body=body,
                                              edited_by=by, edited_at=at))
            return Sop.from_body(sop.id, version, sop.body(), by, at)
        return await self._db.run(add)


def _handover(row: Any) -> Handover:
    (handover_id, from_user, note, at, open_, claimed, snoozed, accepted_by, accepted_at,
     accept_note) = row
    return Handover(handover_id, from_user, note, at, tuple(json.loads(open_)),
                    tuple(json.loads(claimed)), tuple(json.loads(snoozed)), accepted_by,
                    accepted_at, accept_note)


class SqlHandovers:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, handover: Handover) -> None:
        statement = insert(handovers).values(
            id=handover.id, from_user=handover.from_user, note=handover.note,
            at=handover.at, open=json.dumps(handover.open),
            claimed=json.dumps(handover.claimed), snoozed=json.dumps(handover.snoozed))

        def add(c: Connection) -> None:
            with transaction(c):
                c.execute(statement)
        await self._db.run(add)

    async def accept(self, handover_id: str, by: str, at: float,
                     note: str) -> Handover | None:
        statement = (update(handovers)
                     .where(handovers.c.id == handover_id, handovers.c.accepted_by.is_(None))
                     .values(accepted_by=by, accepted_at=at, accept_note=note))
        query = select(*_HANDOVER).where(handovers.c.id == handover_id)

        def accept(c: Connection) -> Handover | None:
            with transaction(c):
                if not c.execute(statement).rowcount:
                    return None
                row = c.execute(query).first()
            return None if row is None else _handover(row)
        return await self._db.run(accept)

    async def recent(self, limit: int) -> list[Handover]:
        query = select(*_HANDOVER).order_by(handovers.c.at.desc()).limit(limit)
        return await self._db.run(lambda c: [_handover(row) for row in c.execute(query)])


class SqlLinkageInbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim(self, channel: str, key: str, alert_id: str, at: float) -> bool:
        statement = (self._db.insert(linkage_inbox)
                     .values(channel=channel, key=key, alert_id=alert_id, received_at=at)
                     .on_conflict_do_nothing().returning(linkage_inbox.c.key))

        def claim(c: Connection) -> bool:
            with transaction(c):
                return c.execute(statement).first() is not None
        return await self._db.run(claim)

    async def release(self, channel: str, key: str) -> None:
        statement = delete(linkage_inbox).where(linkage_inbox.c.channel == channel,
                                                linkage_inbox.c.key == key)

        def release(c: Connection) -> None:
            with transaction(c):
                c.execute(statement)
        await self._db.run(release)
