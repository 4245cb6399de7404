"""Held rule conditions in the alert store, written behind the engine on the store thread.

The engine runs on the event loop and must not wait for the disk: each change is queued
to the store thread in order. A change still queued when the process dies is lost, and
the condition is then judged from the devices' next reports, as if it were new.
"""

from __future__ import annotations

import json
import logging

from gateway.core.repositories import Held
from gateway.store.sqlite import AlertStore

log = logging.getLogger(__name__)


class SqliteHeld:
    """`HeldRepository` on the store thread."""

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    def hold(self, held: Held) -> None:
        self._store.submit(lambda: self._store.db.execute(
            "INSERT INTO rule_held (key, since, active, vals) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET since = excluded.since, "
            "active = excluded.active, vals = excluded.vals",
            (held.key, held.since, int(held.active), json.dumps(held.values,
                                                                ensure_ascii=False))))

    def release(self, key: str) -> None:
        self._store.submit(lambda: self._store.db.execute(
            "DELETE FROM rule_held WHERE key = ?", (key,)))

    async def load(self) -> list[Held]:
        rows = await self._store.run(lambda: self._store.db.execute(
            "SELECT key, since, active, vals FROM rule_held").fetchall())
        return [Held(key, since, bool(active),
                     tuple((device, point, value) for device, point, value in json.loads(vals)))
                for key, since, active, vals in rows]
