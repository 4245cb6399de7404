"""Alarms raised while the store's disk is full or another process locks the database:
held, reported, and stored once each, in order, when the store takes writes again."""

from __future__ import annotations

from pathlib import Path

from gateway.core.clock import VirtualClock
from tests.faults.store_faults import alarms_while

ALARMS = 200


async def test_a_full_disk_holds_the_alarms_until_there_is_room(tmp_path: Path) -> None:
    tally, problem = await alarms_while("disk_full", tmp_path, ALARMS, 30.0, VirtualClock())
    print(tally.describe("disk full for 30 s"), f"- reported: {problem}")
    assert problem is not None and "full" in problem
    assert tally.clean, tally.describe("disk full")


async def test_a_database_locked_by_another_process_holds_the_alarms(tmp_path: Path) -> None:
    # Real time: SQLite's busy timeout (5 s) is, and the lock outlasts it.
    tally, problem = await alarms_while("locked", tmp_path, ALARMS, 6.0)
    print(tally.describe("database locked for 6 s"), f"- reported: {problem}")
    assert problem is not None and "locked" in problem
    assert tally.clean, tally.describe("database locked")
