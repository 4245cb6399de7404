"""Opening the configured store: migrations first, then the repositories."""

from __future__ import annotations

from collections.abc import Callable

from gateway.store import migrate
from gateway.store.accounts import SqlSessions, SqlTokens, SqlUsers
from gateway.store.alerts import SqlAlerts, SqlOutbox
from gateway.store.audit import SqlAudit
from gateway.store.config import StoreConfig
from gateway.store.database import Database
from gateway.store.drills import SqlDrills
from gateway.store.hazards import SqlHazards
from gateway.store.held import SqlHeld
from gateway.store.modes import SqlModes
from gateway.store.procedures import SqlHandovers, SqlLinkageInbox, SqlSops
from gateway.store.statistics import SqlStatistics


def open_store(config: StoreConfig) -> SqlStore:
    """The store the config names (not yet opened)."""
    return SqlStore(config.database_url)


class SqlStore:
    """The store on one database (SQLite or PostgreSQL), worked on one store thread."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        self.alerts = SqlAlerts(self.database)
        self.outbox = SqlOutbox(self.database)
        self.modes = SqlModes(self.database)
        self.held = SqlHeld(self.database)
        self.users = SqlUsers(self.database)
        self.sessions = SqlSessions(self.database)
        self.tokens = SqlTokens(self.database)
        self.audit = SqlAudit(self.database)
        self.sops = SqlSops(self.database)
        self.handovers = SqlHandovers(self.database)
        self.linkage_inbox = SqlLinkageInbox(self.database)
        self.hazards = SqlHazards(self.database)
        self.drills = SqlDrills(self.database)
        self.statistics = SqlStatistics(self.database)
        self.version: migrate.Version | None = None

    def time_work(self, observe: Callable[[float], None]) -> None:
        self.database.on_timed = observe

    async def open(self) -> None:
        """Apply the migrations the database lacks, then connect; `StoreUnavailable` with
        one line if it cannot be done."""
        def prepare() -> None:
            self.version = migrate.upgrade(self.database.url)
        await self.database.open(prepare)

    async def close(self) -> None:
        await self.database.close()

    async def flush(self) -> None:
        await self.database.run_bare(lambda: None)
