"""Heartbeat supervision when adapters report availability themselves."""

from __future__ import annotations

import asyncio

from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from gateway.core.config import DeviceBase
from gateway.core.events import AVAILABILITY, Event
from gateway.devices.registry import DeviceRegistry


async def test_a_device_its_adapter_reports_back_is_watched_for_silence_again() -> None:
    clock = VirtualClock()
    bus = EventBus()
    device = DeviceBase(type="fire_panel", id="fp-1", name="Panel", zone="z", heartbeat_s=60)
    registry = DeviceRegistry("s", [device], clock, bus)
    bus.subscribe(registry.observe)
    tasks = [asyncio.create_task(bus.run()), asyncio.create_task(registry.supervise())]
    try:
        await clock.advance(121)  # silent: offline
        await bus.drain()
        assert registry.devices["fp-1"].availability.value == "offline"
        # Its adapter reconnects and says so, then the device falls silent again.
        bus.publish(Event("s", "fp-1", AVAILABILITY, "online", clock.now()))
        await bus.drain()
        assert registry.devices["fp-1"].availability.value == "online"
        await clock.advance(119)
        await bus.drain()
        assert registry.devices["fp-1"].availability.value == "online"
        await clock.advance(2)
        await bus.drain()
        assert registry.devices["fp-1"].availability.value == "offline"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
