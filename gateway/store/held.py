"""Held rule conditions in the store, written behind the engine on the store thread.

The engine runs on the event loop and must not wait for the disk: its changes are
collected, newest per key, and written together in one transaction on the store thread
(one commit for a burst, not one per event). A change not yet written when the process
dies is lost, and the condition is then judged from the devices' next reports, as if it
were new.
"""

from __future__ import annotations

import json
import threading

from sqlalchemy import Connection, delete, select

from gateway.core.repositories import Held
from gateway.store.database import Database, transaction
from gateway.store.schema import rule_held


class SqlHeld:
    """`HeldRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._lock = threading.Lock()
        self._pending: dict[str, Held | None] = {}
        """The newest change per key not yet written (None: released)."""

    def hold(self, held: Held) -> None:
        self._queue(held.key, held)

    def release(self, key: str) -> None:
        self._queue(key, None)

    def _queue(self, key: str, change: Held | None) -> None:
        with self._lock:
            first = not self._pending
            self._pending[key] = change
        if first:
            self._db.submit(self._write)

    def _write(self, connection: Connection) -> None:
        with self._lock:
            changes, self._pending = self._pending, {}
        held = [{"key": h.key, "since": h.since, "active": int(h.active),
                 "vals": json.dumps(h.values, ensure_ascii=False)}
                for h in changes.values() if h is not None]
        released = [key for key, h in changes.items() if h is None]
        upsert = self._db.insert(rule_held)
        upsert = upsert.on_conflict_do_update(
            index_elements=[rule_held.c.key],
            set_={name: upsert.excluded[name] for name in ("since", "active", "vals")})
        with transaction(connection):
            if held:
                connection.execute(upsert, held)
            if released:
                connection.execute(delete(rule_held).where(rule_held.c.key.in_(released)))

    async def load(self) -> list[Held]:
        query = select(rule_held.c.key, rule_held.c.since, rule_held.c.active,
                       rule_held.c.vals)
        rows = await self._db.run(lambda c: c.execute(query).all())
        return [Held(key, since, bool(active),
                     tuple((device, point, value) for device, point, value in json.loads(vals)))
                for key, since, active, vals in rows]
