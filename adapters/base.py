"""The adapter seam: what every protocol adapter receives and provides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.core.bus import EventBus
from gateway.core.clock import Clock
from gateway.core.config import DeviceBase
from gateway.core.health import Health

StoredCallback = Callable[[], None]
"""Called on the event loop once what an adapter published before asking is stored."""


@dataclass(frozen=True)
class AdapterContext:
    """What the gateway hands an adapter: where to send events, the time, and a way to
    learn when what it sent is safe."""

    site: str
    clock: Clock
    bus: EventBus
    after_dispatch: Callable[[StoredCallback], None] | None = None
    """Run on the loop once the bus has dispatched up to a `when_stored` barrier; it calls
    its argument once everything that dispatch submitted is committed (the gateway wires
    it to the alert manager). None (contexts without a gateway): call back at dispatch."""

    def when_stored(self, done: StoredCallback) -> None:
        """Call `done` on the event loop once every event this adapter published before
        this call has been through every bus handler (the rules) and whatever it raised
        (alert, history line, outbox jobs) has been committed. Thread-safe; callbacks run
        in the order they were asked for."""
        after = self.after_dispatch
        self.bus.barrier_threadsafe(done if after is None else lambda: after(done))


class Adapter(Protocol):
    """A running protocol connection. `run()` works until cancelled and cleans up then."""

    name: str

    async def run(self) -> None: ...

    def counters(self) -> dict[str, int]:
        """Counters for /health (messages, malformed, reconnects, ...)."""
        ...

    def health(self) -> Health:
        """The adapter's link state for /health: degraded while its broker or devices are
        unreachable (the reason says which, `since` when that began), ok otherwise. The
        gateway reports the adapter failed when its `run()` task ends, whatever this says."""
        ...


AdapterFactory = Callable[[Sequence[DeviceBase], AdapterContext], list[Adapter]]
