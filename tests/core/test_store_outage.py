"""The alert manager while the store cannot be written: outcomes are held in order and
retried, nothing is dropped, and nothing queued behind them is reported stored."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.alerts.manager import AlertManager
from gateway.core.alerts import Alert, AlertSpec, Category, Place, Severity
from gateway.core.clock import VirtualClock
from gateway.core.feed import AlertFeed
from gateway.core.repositories import (
    AlertChange,
    AlertChanger,
    AlertRepository,
    Store,
    StoreUnavailable,
)
from gateway.store.config import StoreConfig
from gateway.store.open import open_store
from tests.core.support import school_config


class FlakyAlerts:
    """The store's real repository, refusing writes while `down` is set."""

    def __init__(self, alerts: AlertRepository) -> None:
        self._alerts = alerts
        self.down = True
        self.refused = 0

    async def change_active(self, key: str, decide: AlertChanger) -> AlertChange | None:
        if self.down:
            self.refused += 1
            raise StoreUnavailable("database is locked")
        return await self._alerts.change_active(key, decide)

    async def change_active_many(self, changes: Sequence[tuple[str, AlertChanger]]
                                 ) -> list[AlertChange | Exception | None]:
        if self.down:
            self.refused += 1
            raise StoreUnavailable("database is locked")
        return await self._alerts.change_active_many(changes)

    async def active_keys(self) -> set[str]:
        return await self._alerts.active_keys()


def panic(device: str, ts: float) -> AlertSpec:
    return AlertSpec(key=f"panic:{device}", rule_id="panic", site="s1", device_id=device,
                     zone="gate", category=Category.PANIC, severity=Severity.CRITICAL,
                     title=f"Panic {device}", latching=True, ts=ts)


def place(alert: Alert) -> Place:
    return Place("School", alert.zone, "", "", alert.device_id, "panic_button")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = open_store(StoreConfig(path=tmp_path / "alerts.db"))
    await store.open()
    yield store
    await store.close()


async def test_outcomes_wait_for_the_store_and_are_stored_once_in_order(
        store: Store) -> None:
    clock = VirtualClock()
    alerts = FlakyAlerts(store.alerts)
    manager = AlertManager(alerts, clock, ZoneInfo("Asia/Shanghai"),  # type: ignore[arg-type]
                           place, {}, AlertFeed(), lambda: None)
    acknowledged: list[str] = []
    runner = asyncio.create_task(manager.run())
    try:
        for device in ("pb-1", "pb-2"):
            manager.submit(panic(device, clock.now()))
            manager.after_stored(lambda device=device: acknowledged.append(device))
        for _ in range(5):
            await asyncio.sleep(0)
            await clock.advance(10)
        assert alerts.refused >= 2
        assert acknowledged == []
        assert manager.store_problem == "database is locked"
        alerts.down = False
        await clock.advance(10)
        await manager.drain()
        assert acknowledged == ["pb-1", "pb-2"]
        assert manager.store_problem is None
        stored = await store.alerts.newest()
        assert sorted(alert.device_id for alert in stored) == ["pb-1", "pb-2"]
        assert all(alert.revision == 1 for alert in stored)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


def test_a_store_that_cannot_be_opened_stops_start_up_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    config = school_config(tmp_path).model_copy(
        update={"store": StoreConfig(path=blocker / "gw.db")})
    config_file = tmp_path / "broken-store.yaml"
    config_file.write_text((tmp_path / "gateway.yaml").read_text().replace(
        str(tmp_path / "gw.db"), str(config.store.path)))
    result = subprocess.run([sys.executable, "-m", "gateway.cli.main", "run", "--config",
                             str(config_file)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: alert store: {blocker / 'gw.db'}")
    assert "Traceback" not in result.stderr
