"""Opening the configured store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.core.repositories import Store
from gateway.store.config import StoreConfig
from gateway.store.held import SqliteHeld
from gateway.store.modes import SqliteModes
from gateway.store.sqlite import AlertStore, SqliteAlerts, SqliteOutbox


def open_store(config: StoreConfig) -> Store:
    """The store the config names (not yet opened)."""
    return SqliteStore(config.path)


class SqliteStore:
    """The embedded store: one SQLite file (WAL), all work on one store thread."""

    def __init__(self, path: Path) -> None:
        self.database = AlertStore(path)
        self.alerts = SqliteAlerts(self.database)
        self.outbox = SqliteOutbox(self.database)
        self.modes = SqliteModes(self.database)
        self.held = SqliteHeld(self.database)

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()

    async def flush(self) -> None:
        await self.database.run(lambda: None)

    def describe(self) -> dict[str, Any]:
        return {"backend": "sqlite", "path": str(self.database.path)}
