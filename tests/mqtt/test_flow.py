"""The MQTT network thread hands the bus at most a window of undispatched batches."""

from __future__ import annotations

import asyncio

from adapters.mqtt.flow import DispatchWindow
from gateway.core.bus import EventBus


async def test_a_full_window_lets_a_batch_in_only_once_the_bus_reached_an_earlier_one(
        ) -> None:
    bus = EventBus()
    bus.bind_loop(asyncio.get_running_loop())
    window = DispatchWindow(window=2, wait_s=0.0)
    assert window.wait_for_room(bus)
    assert window.wait_for_room(bus)
    assert not window.wait_for_room(bus)  # two ahead, none dispatched: goes on uncounted
    assert bus.pending == 2
    task = asyncio.create_task(bus.run())
    try:
        async with asyncio.timeout(5):
            await bus.drain()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert window.wait_for_room(bus)
    assert window.wait_for_room(bus)
    assert not window.wait_for_room(bus)
