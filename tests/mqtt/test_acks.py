"""A message is acknowledged to the broker only once what it caused is stored, and a
broker that lost the gateway's session is noticed."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import pytest

from adapters.base import AdapterContext, StoredCallback
from adapters.mqtt import MqttAdapter, MqttSettings
from adapters.mqtt.config import MqttDeviceBase
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from tests.conftest import Broker
from tests.helpers import eventually
from tests.mqtt.rig import (
    SITE,
    gate_sensor,
    panic_button,
    rig,
    running_bus,
    running_fleet,
    settings_for,
)


@asynccontextmanager
async def adapter_with(settings: MqttSettings, devices: Sequence[MqttDeviceBase],
                       bus: EventBus,
                       after_dispatch: Callable[[StoredCallback], None] | None
                       ) -> AsyncIterator[MqttAdapter]:
    """The adapter on a context whose store is `after_dispatch`, connected."""
    ctx = AdapterContext(SITE, VirtualClock(), bus, after_dispatch=after_dispatch)
    adapter = MqttAdapter(settings, devices, ctx, rng=random.Random(7))
    task = asyncio.create_task(adapter.run(), name="mqtt adapter")
    try:
        async with asyncio.timeout(5):
            await adapter.wait_connected()
        yield adapter
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_press_not_yet_stored_is_not_acknowledged_and_comes_again(
        mosquitto: Broker) -> None:
    devices = [panic_button("pb-1"), gate_sensor("gs-1")]
    settings = settings_for(mosquitto.port, client_id="campusgw-acks")
    never_stored: list[StoredCallback] = []
    async with running_bus() as (bus, log), \
            running_fleet(mosquitto.host, mosquitto.port, devices) as fleet:
        async with adapter_with(settings, devices, bus, never_stored.append):
            await fleet.press("pb-1")
            await log.wait_point("pb-1", "pressed", True)
            async with asyncio.timeout(5):
                while not never_stored:  # noqa: ASYNC110 - the barrier is reached on this loop
                    await asyncio.sleep(0)
        # The store never confirmed it: the broker still holds the press for us.
        async with adapter_with(settings, devices, bus, None):
            await eventually(lambda: len(log.of("pb-1", "pressed")) == 2,
                             what="the press delivered again")
        # Stored (and so acknowledged) this time: a marker published after it comes alone.
        async with adapter_with(settings, devices, bus, None):
            await fleet.open_gate("gs-1")
            await log.wait_point("gs-1", "open", True)
    assert len(log.of("pb-1", "pressed")) == 2


async def test_a_broker_that_lost_the_session_is_a_warning_counted_and_resubscribed(
        mosquitto: Broker, caplog: pytest.LogCaptureFixture) -> None:
    devices = [panic_button("pb-1")]
    caplog.set_level(logging.INFO, logger="adapters.mqtt")
    async with rig(settings_for(mosquitto.port, client_id="campusgw-lost"), devices) as r, \
            running_fleet(mosquitto.host, mosquitto.port, devices) as fleet:
        mosquitto.stop()
        (mosquitto.workdir / "data" / "mosquitto.db").unlink()  # as if it had crashed
        mosquitto.start()
        await eventually(lambda: r.adapter.counters()["reconnects"] == 1
                         and r.adapter.connected, what="the adapter back")
        await fleet.press("pb-1")
        await r.log.wait_point("pb-1", "pressed", True)  # subscribed again
        counters = r.adapter.counters()
    assert counters["sessions_lost"] == 1
    warnings = [rec for rec in caplog.records if "kept no session" in rec.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


async def test_a_barrier_is_reached_after_every_event_published_before_it() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda event: seen.append(event.point))
    reached = asyncio.Event()

    def at_barrier() -> None:
        seen.append("barrier")
        reached.set()

    bus.bind_loop(asyncio.get_running_loop())
    bus.publish_threadsafe(Event(SITE, "gs-1", "open", True, 0.0))
    bus.publish_threadsafe(Event(SITE, "pb-1", "pressed", True, 0.0, urgent=True))
    bus.barrier_threadsafe(at_barrier)
    bus.publish_threadsafe(Event(SITE, "pb-2", "tamper", True, 0.0, urgent=True))
    task = asyncio.create_task(bus.run())
    try:
        async with asyncio.timeout(5):
            await reached.wait()
            await bus.drain()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # A later urgent event may overtake the barrier; nothing published before it may.
    assert seen.index("open") < seen.index("barrier")
    assert seen.index("pressed") < seen.index("barrier")
    assert sorted(seen) == ["barrier", "open", "pressed", "tamper"]
