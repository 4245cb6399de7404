"""The event bus: the priority lane, handler isolation, events from other threads."""

import asyncio
from collections import deque
from collections.abc import Iterator

from gateway.core.bus import Barrier, EventBus
from gateway.core.events import AVAILABILITY, Availability, Event


async def test_urgent_events_overtake_bulk() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.point))
    for i in range(10):
        bus.publish(Event("s", "gate", f"bulk{i}", True, 0.0))
    bus.publish(Event("s", "pb", "pressed", True, 0.0, urgent=True))
    task = asyncio.create_task(bus.run())
    await bus.drain()
    task.cancel()
    assert seen[0] == "pressed"


async def test_a_failing_handler_is_counted_and_the_others_still_run() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("handler bug")

    bus.subscribe(broken)
    bus.subscribe(lambda e: seen.append(e.device_id))
    task = asyncio.create_task(bus.run())
    bus.publish(Event("s", "gate-1", "open", True, 0.0))
    bus.publish(Event("s", "gate-2", "open", True, 0.0))
    await bus.drain()
    task.cancel()
    assert seen == ["gate-1", "gate-2"]
    assert bus.handler_errors == 2


async def test_events_from_another_thread_arrive_in_order() -> None:
    import threading

    bus = EventBus()
    seen: list[int] = []
    bus.subscribe(lambda e: seen.append(int(e.value or 0)))
    bus.bind_loop(asyncio.get_running_loop())
    task = asyncio.create_task(bus.run())
    producer = threading.Thread(target=lambda: [
        bus.publish_threadsafe(Event("s", "gs", "count", n, 0.0)) for n in range(5000)])
    producer.start()
    await asyncio.to_thread(producer.join)
    for _ in range(1000):
        if len(seen) == 5000:
            break
        await asyncio.sleep(0.001)
    task.cancel()
    assert seen == list(range(5000))


async def test_a_wake_up_that_finds_nothing_does_not_silence_later_ones() -> None:
    """The loop may take a producer's event between its append and its wake-up flag;
    the wake-up then finds nothing, and must not leave the flag set for good."""
    from collections import deque

    bus = EventBus()
    seen: list[int] = []
    bus.subscribe(lambda e: seen.append(int(e.value or 0)))
    bus.bind_loop(asyncio.get_running_loop())

    class TakenAtOnce(deque[Event]):
        def append(self, event: Event) -> None:
            super().append(event)
            bus._take_incoming()  # the loop drains it before the producer sets the flag

    bus._incoming = TakenAtOnce()  # type: ignore[assignment]
    task = asyncio.create_task(bus.run())
    bus.publish_threadsafe(Event("s", "pb", "n", 1, 0.0))
    await asyncio.sleep(0.01)
    bus._incoming = deque()
    bus.publish_threadsafe(Event("s", "pb", "n", 2, 0.0))
    for _ in range(100):
        if seen == [1, 2]:
            break
        await asyncio.sleep(0.001)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert seen == [1, 2]


class _WalkedDeque(deque[Event | Barrier]):
    """A bulk lane that counts how often it is walked through."""

    walks = 0

    def __iter__(self) -> Iterator[Event | Barrier]:
        type(self).walks += 1
        return super().__iter__()


async def test_a_mass_outage_does_not_walk_the_bulk_lane_once_per_device() -> None:
    bus = EventBus()
    seen: list[tuple[str, str]] = []
    bus.subscribe(lambda e: seen.append((e.device_id, e.point)))
    bus._bulk = _WalkedDeque()
    for n in range(1000):
        bus.publish(Event("s", "gate-busy" if n % 2 else "gate-other", f"v{n}", n, 0.0))
    for n in range(1000):  # devices with nothing waiting: as in a mass outage
        bus.publish(Event("s", f"pb-{n}", AVAILABILITY, Availability.OFFLINE, 0.0))
    assert _WalkedDeque.walks == 0
    task = asyncio.create_task(bus.run())
    for _ in range(3):  # a few of gate-busy's values dispatched: the rest still wait
        await asyncio.sleep(0)
    bus.publish(Event("s", "gate-busy", AVAILABILITY, Availability.FAULT, 0.0))
    bus.publish(Event("s", "gate-busy", AVAILABILITY, Availability.ONLINE, 0.0))
    await bus.drain()
    task.cancel()
    busy = [point for device, point in seen if device == "gate-busy"]
    assert busy == [*(f"v{n}" for n in range(1, 1000, 2)), AVAILABILITY, AVAILABILITY]
    assert [p for d, p in seen if d == "gate-other"] == [f"v{n}" for n in range(0, 1000, 2)]
