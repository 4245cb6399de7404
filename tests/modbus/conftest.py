"""Fixtures of the Modbus tests: an event recorder on a running bus, device configs, and
the pollers of those devices."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.base import AdapterContext
from adapters.modbus import (
    FirePanelConfig,
    GateControllerConfig,
    ModbusSettings,
    build_endpoint_adapters,
)
from adapters.modbus.poller import DevicePoller
from gateway.core.bus import EventBus
from gateway.core.clock import Clock, VirtualClock
from gateway.core.config import DeviceBase
from gateway.core.events import AVAILABILITY, Event, PointValue


class Recorder:
    """A bus that runs, and every event it dispatched."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.events: list[Event] = []
        bus.subscribe(self.events.append)

    async def settle(self) -> list[Event]:
        await self.bus.drain()
        await asyncio.sleep(0)
        return self.events

    def take(self) -> list[Event]:
        taken, self.events[:] = list(self.events), []
        return taken

    async def take_settled(self) -> list[Event]:
        await self.settle()
        return self.take()

    def points(self, device_id: str | None = None) -> dict[str, PointValue]:
        return {e.point: e.value for e in self.events
                if device_id is None or e.device_id == device_id}

    def availability(self, device_id: str) -> list[PointValue]:
        return [e.value for e in self.events
                if e.device_id == device_id and e.point == AVAILABILITY]

    def context(self, clock: Clock) -> AdapterContext:
        return AdapterContext(site="school-1", clock=clock, bus=self.bus)


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    bus = EventBus()
    task = asyncio.create_task(bus.run())
    yield Recorder(bus)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def fire_panel(device_id: str, port: int, **extra: Any) -> FirePanelConfig:
    return FirePanelConfig.model_validate({
        "type": "fire_panel", "id": device_id, "name": f"Fire panel {device_id}",
        "zone": "building-a", "connection": {"host": "127.0.0.1", "port": port}, **extra})


def gate_controller(device_id: str, port: int, **extra: Any) -> GateControllerConfig:
    return GateControllerConfig.model_validate({
        "type": "gate_controller", "id": device_id, "name": f"Gate {device_id}",
        "zone": "main-gate", "connection": {"host": "127.0.0.1", "port": port}, **extra})


@asynccontextmanager
async def pollers(devices: Sequence[DeviceBase], recorder: Recorder, clock: Clock,
                  settings: ModbusSettings | None = None) -> AsyncIterator[list[DevicePoller]]:
    """The pollers of `devices`, in order, publishing to `recorder`; their connections are
    closed on the way out."""
    adapters = build_endpoint_adapters(settings or ModbusSettings(), devices,
                                       recorder.context(clock))
    try:
        yield [p for a in adapters for p in a.pollers]
    finally:
        for adapter in adapters:
            adapter.connection.close()
