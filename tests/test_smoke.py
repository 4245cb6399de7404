import asyncio

from gateway.bus import EventBus
from gateway.events import Event


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
