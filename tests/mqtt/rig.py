"""A gateway-config-free test setup: device models built directly, an EventBus running in
a task, the MQTT adapter on a real broker, and the events it delivered."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from adapters.base import AdapterContext
from adapters.mqtt import (
    ChargingMonitorConfig,
    GasDetectorConfig,
    GateSensorConfig,
    MqttAdapter,
    MqttSettings,
    PanicButtonConfig,
)
from adapters.mqtt.config import MqttDeviceBase
from gateway.core.bus import EventBus
from gateway.core.clock import Clock, VirtualClock
from gateway.core.events import Event
from simulators.mqtt_devices import MqttDeviceFleet
from simulators.mqtt_devices.control import ControlServer

SITE = "test-school"
PREFIX = "campus/test"


def panic_button(device_id: str, **fields: Any) -> PanicButtonConfig:
    values: dict[str, Any] = {"type": "panic_button", "id": device_id, "heartbeat_s": 60,
                              "name": f"alarm {device_id}", "zone": "bldg-a-3f"}
    return PanicButtonConfig(**{**values, **fields})


def gate_sensor(device_id: str, **fields: Any) -> GateSensorConfig:
    values: dict[str, Any] = {"type": "gate_sensor", "id": device_id, "heartbeat_s": 60,
                              "name": f"gate {device_id}", "zone": "main-gate"}
    return GateSensorConfig(**{**values, **fields})


def gas_detector(device_id: str, **fields: Any) -> GasDetectorConfig:
    values: dict[str, Any] = {"type": "gas_detector", "id": device_id, "heartbeat_s": 60,
                              "name": f"gas detector {device_id}", "zone": "canteen"}
    return GasDetectorConfig(**{**values, **fields})


def charging_monitor(device_id: str, **fields: Any) -> ChargingMonitorConfig:
    values: dict[str, Any] = {"type": "charging_monitor", "id": device_id, "heartbeat_s": 60,
                              "name": f"charging monitor {device_id}", "zone": "dorm-ebike"}
    return ChargingMonitorConfig(**{**values, **fields})


def settings_for(port: int, **fields: Any) -> MqttSettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "topic_prefix": PREFIX,
                              "client_id": "campusgw-test", "reconnect_initial_s": 0.05,
                              "reconnect_max_s": 0.4, "connect_timeout_s": 2.0}
    values.update(fields)
    return MqttSettings(**values)


@dataclass
class EventLog:
    """Every event the bus dispatched, with a way to wait for one."""

    events: list[Event] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, device_id: str, point: str | None = None) -> list[Event]:
        return [e for e in self.events
                if e.device_id == device_id and (point is None or e.point == point)]

    async def wait_for(self, predicate: Callable[[Event], bool], within_s: float = 5.0) -> Event:
        async with asyncio.timeout(within_s):
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

    async def wait_point(self, device_id: str, point: str, value: object,
                         within_s: float = 5.0) -> Event:
        return await self.wait_for(
            lambda e: e.device_id == device_id and e.point == point and e.value == value,
            within_s)


@dataclass
class Rig:
    adapter: MqttAdapter
    log: EventLog
    clock: Clock
    bus: EventBus


@asynccontextmanager
async def running_bus() -> AsyncIterator[tuple[EventBus, EventLog]]:
    bus = EventBus()
    log = EventLog()
    bus.subscribe(log.record)
    task = asyncio.create_task(bus.run(), name="bus")
    try:
        yield bus, log
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def running_adapter(settings: MqttSettings, devices: Sequence[MqttDeviceBase],
                          bus: EventBus, clock: Clock | None = None,
                          wait_connected: bool = True) -> AsyncIterator[MqttAdapter]:
    ctx = AdapterContext(site=SITE, clock=clock or VirtualClock(), bus=bus)
    adapter = MqttAdapter(settings, devices, ctx, rng=random.Random(7))
    task = asyncio.create_task(adapter.run(), name="mqtt adapter")
    try:
        if wait_connected:
            async with asyncio.timeout(5):
                await adapter.wait_connected()
        yield adapter
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def rig(settings: MqttSettings, devices: Sequence[MqttDeviceBase],
              clock: Clock | None = None) -> AsyncIterator[Rig]:
    clock = clock or VirtualClock()
    async with running_bus() as (bus, log), running_adapter(settings, devices, bus,
                                                             clock) as adapter:
        yield Rig(adapter, log, clock, bus)


@asynccontextmanager
async def running_fleet(broker_host: str, broker_port: int, devices: Sequence[MqttDeviceBase],
                        **fleet_options: Any) -> AsyncIterator[MqttDeviceFleet]:
    """A started simulated fleet of `devices` on the broker, publishing under PREFIX;
    heartbeats are off unless `heartbeats=True`."""
    fleet_options.setdefault("heartbeats", False)
    fleet = MqttDeviceFleet(devices, broker_host, broker_port, PREFIX, **fleet_options)
    await fleet.start()
    try:
        yield fleet
    finally:
        await fleet.stop()


@asynccontextmanager
async def fleet_rig(broker_host: str, broker_port: int, devices: Sequence[MqttDeviceBase],
                    clock: Clock | None = None, settings: MqttSettings | None = None,
                    **fleet_options: Any) -> AsyncIterator[tuple[Rig, MqttDeviceFleet]]:
    """An adapter rig and a started simulated fleet of the same devices, both connected
    with `settings` (default: `settings_for(broker_port)`) and both on `clock` when one is
    given; the fleet stops before the adapter does."""
    settings = settings or settings_for(broker_port)
    async with (rig(settings, devices, clock) as r,
                running_fleet(broker_host, broker_port, devices, clock=clock,
                              settings=settings, **fleet_options) as fleet):
        yield r, fleet


@asynccontextmanager
async def controlled_fleet(host: str, port: int, devices: Sequence[MqttDeviceBase]
                           ) -> AsyncIterator[tuple[Rig, MqttDeviceFleet, str]]:
    """An adapter rig, and a simulated fleet of the same devices with its HTTP control
    (its URL), on the broker at host:port."""
    async with fleet_rig(host, port, devices) as (r, fleet):
        control = ControlServer(fleet, "127.0.0.1", 0)
        await control.start()
        try:
            yield r, fleet, control.url
        finally:
            await control.stop()
