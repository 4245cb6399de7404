"""The alert store failing under a running gateway: the SQLite file may not grow (the disk
is full: `PRAGMA max_page_count` at the file's current size makes every write that needs a
page fail with SQLITE_FULL), or another process holds the database's write lock. Alarms
keep coming meanwhile; once the store takes writes again, each is stored once, in order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.core.clock import Clock, SystemClock, VirtualClock
from gateway.core.events import Event
from tests.faults.school import buttons, panic_school
from tests.faults.tally import Tally


def store_config(folder: Path, alarms: int) -> GatewayConfig:
    return load_config(panic_school(
        folder / "store-faults.yaml", buttons(alarms),
        f"{{type: file, id: out, path: {folder / 'forwarded.jsonl'}}}",
        folder / "store-faults.db"))


@contextmanager
def sqlite_connections() -> Iterator[list[Any]]:
    """The DB-API connections of every SQLAlchemy engine opened meanwhile."""
    opened: list[Any] = []

    def connected(dbapi: Any, _record: object) -> None:
        opened.append(dbapi)

    event.listen(Engine, "connect", connected)
    try:
        yield opened
    finally:
        event.remove(Engine, "connect", connected)


@contextmanager
def disk_full(connections: list[Any]) -> Iterator[None]:
    """No page more for the store's file while inside."""
    limited = []
    for connection in connections:
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed since (migrations)
            (pages,) = connection.execute("PRAGMA page_count").fetchone()
            connection.execute(f"PRAGMA max_page_count = {pages}")
            limited.append(connection)
    if not limited:
        raise RuntimeError("no open connection to the store")
    try:
        yield
    finally:
        for connection in limited:
            connection.execute("PRAGMA max_page_count = 1073741823")


LOCKER = """\
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


@contextmanager
def locked_by_another_process(database: Path) -> Iterator[None]:
    """Another process holds the write lock (`BEGIN IMMEDIATE`) while inside."""
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(database)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert locker.stdout is not None
        if locker.stdout.readline().strip() != b"locked":
            raise RuntimeError("the locking process did not take the lock")
        yield
    finally:
        assert locker.stdin is not None
        locker.stdin.close()
        locker.wait(30)


async def alarms_while(fault: str, folder: Path, alarms: int, hold_s: float,
                       clock: Clock | None = None) -> tuple[Tally, str | None]:
    """Raise `alarms` alarms while `fault` (`disk_full` or `locked`) lasts `hold_s` (on
    `clock`), then wait for the store. Returns the tally and the store problem the
    gateway reported meanwhile."""
    clock = clock or SystemClock()
    config = store_config(folder, alarms)
    database = folder / "store-faults.db"
    with sqlite_connections() as connections:
        gateway = Gateway(config, clock=clock, run_adapters=False)
        await gateway.start()
    try:
        sent = buttons(alarms)
        with (disk_full(connections) if fault == "disk_full"
              else locked_by_another_process(database)):
            for device in sent:
                gateway.bus.publish(Event(config.site.id, device, "pressed", True, clock.now(),
                                          urgent=True))
            await _pass(clock, hold_s)
            problem = gateway.manager.store_problem
        forwarded = folder / "forwarded.jsonl"
        async with asyncio.timeout(60):
            while len(_forwarded(forwarded)) < alarms:
                await _pass(clock, 1.0)
            await gateway.manager.drain()
        stored = await gateway.store.alerts.newest(None, alarms * 2)
    finally:
        await gateway.stop()
    with sqlite3.connect(database) as check:
        (integrity,) = check.execute("PRAGMA integrity_check").fetchone()
    if integrity != "ok":
        raise AssertionError(f"{database}: integrity check says {integrity}")
    if sorted(alert.device_id for alert in stored) != sent:
        raise AssertionError(f"stored alerts: {len(stored)} for {alarms} alarms")
    return Tally.of(sent, _forwarded(forwarded)), problem


def _forwarded(path: Path) -> list[str]:
    """The device of each alert revision the file channel wrote, in its order."""
    if not path.exists():
        return []
    return [json.loads(line)["document"]["device"]["id"]
            for line in path.read_text().splitlines() if line.endswith("}")]


async def _pass(clock: Clock, seconds: float) -> None:
    if isinstance(clock, VirtualClock):
        steps = max(1, round(seconds / 0.5))
        for _ in range(steps):  # the store's thread works in real time meanwhile
            await clock.advance(seconds / steps)
            await asyncio.sleep(0.01)
    else:
        await asyncio.sleep(seconds)
