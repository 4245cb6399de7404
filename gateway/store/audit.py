"""The audit log in the store: append-only, each line chained to the one before."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select

from gateway.core.accounts import GENESIS, AuditEntry, audit_hash
from gateway.store.database import Database, lock_key, transaction
from gateway.store.schema import audit_log

_ENTRY = [audit_log.c[n] for n in ("seq", "at", "actor", "action", "target", "detail",
                                   "address", "prev_hash", "hash")]


def _entry(row: Any) -> AuditEntry:
    seq, at, actor, action, target, detail, address, prev_hash, digest = row
    return AuditEntry(seq, at, actor, action, target, json.loads(detail), address, prev_hash,
                      digest)


class SqlAudit:
    """`AuditRepository`. The last line is read and the new one written in one
    transaction, so concurrent writers (two gateways on one database) still chain."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def append(self, at: float, actor: str, action: str, target: str,
                     detail: dict[str, Any], address: str) -> AuditEntry:
        last = select(audit_log.c.seq, audit_log.c.hash).order_by(
            audit_log.c.seq.desc()).limit(1)

        def append(c: Connection) -> AuditEntry:
            with transaction(c):
                lock_key(c, "audit_log")
                row = c.execute(last).first()
                seq, prev = (1, GENESIS) if row is None else (row[0] + 1, row[1])
                digest = audit_hash(seq, at, actor, action, target, detail, address, prev)
                c.execute(insert(audit_log).values(
                    seq=seq, at=at, actor=actor, action=action, target=target,
                    detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
                    address=address, prev_hash=prev, hash=digest))
            return AuditEntry(seq, at, actor, action, target, detail, address, prev, digest)
        return await self._db.run(append)

    async def entries(self, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        query = select(*_ENTRY).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
        if limit is not None:
            query = query.limit(limit)
        return await self._db.run(lambda c: [_entry(r) for r in c.execute(query)])

    async def newest(self, limit: int) -> list[AuditEntry]:
        query = select(*_ENTRY).order_by(audit_log.c.seq.desc()).limit(limit)
        return await self._db.run(lambda c: [_entry(r) for r in c.execute(query)])
