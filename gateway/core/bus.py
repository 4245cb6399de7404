"""In-process event bus with a priority lane.

Panic and fire events (`Event.urgent`) never wait behind bulk telemetry: the dispatcher
always drains the urgent lane before taking the next bulk event. Handlers are plain
functions run on the event loop, in subscription order; one that raises is logged and
counted, and the others still run.

A device's availability is never reordered against its values: availability events ride
the urgent lane, and the events of that device still waiting in the bulk lane move there
ahead of them. An urgent value published after a `fault` therefore never overtakes it, and
a value published before an `offline` never arrives after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from gateway.core.events import Event

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], None]

BarrierHandler = Callable[[], None]
"""Called on the event loop when the dispatcher reaches a barrier."""

_YIELD_EVERY = 256


class Barrier:
    """A marker queued among events: its handler runs once every event published before it
    has been dispatched. It rides the bulk lane, in publish order: every earlier bulk event
    is ahead of it, and every earlier urgent event is dispatched before any bulk item."""

    __slots__ = ("reached",)
    urgent = False

    def __init__(self, reached: BarrierHandler) -> None:
        self.reached = reached


class EventBus:
    def __init__(self) -> None:
        self._urgent: deque[Event] = deque()
        self._bulk: deque[Event | Barrier] = deque()
        self._incoming: deque[Event | Barrier] = deque()  # from other threads
        self._waiting: dict[str, int] = {}
        """Device id -> its events in the bulk lane: an availability event of a device
        with none there (the usual case, even in a mass outage) costs no scan."""
        self._handlers: list[EventHandler] = []
        self._wakeup = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_pending = False
        self.dispatched = 0
        self.handler_errors = 0

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    def publish(self, event: Event) -> None:
        """Queue an event; call from the event loop thread."""
        self._queue(event)
        self._wakeup.set()

    def publish_threadsafe(self, event: Event | Barrier) -> None:
        """Queue an event (or a barrier) from another thread (e.g. a protocol client's
        network thread)."""
        self._incoming.append(event)
        if not self._wake_pending and self._loop is not None:
            self._wake_pending = True
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def barrier_threadsafe(self, reached: BarrierHandler) -> None:
        """Call `reached` on the event loop once every event published (from any thread)
        before this call has been dispatched to every handler. Thread-safe."""
        self.publish_threadsafe(Barrier(reached))

    @property
    def pending(self) -> int:
        return len(self._urgent) + len(self._bulk) + len(self._incoming)

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop that `publish_threadsafe` wakes (set by `run()` too; a producer thread
        that starts first binds it, so its first events are not left waiting)."""
        self._loop = loop

    async def run(self) -> None:
        """Dispatch until cancelled."""
        self._loop = asyncio.get_running_loop()
        since_yield = 0
        event: Event | Barrier
        while True:
            self._take_incoming()
            if self._urgent:
                event = self._urgent.popleft()
            elif self._bulk:
                event = self._bulk.popleft()
                if isinstance(event, Event):
                    self._left_bulk(event.device_id)
            else:
                self._wakeup.clear()
                self._take_incoming()
                if not (self._urgent or self._bulk):
                    await self._wakeup.wait()
                since_yield = 0
                continue
            if isinstance(event, Barrier):
                self._reach(event)
            else:
                self._dispatch(event)
            since_yield += 1
            if since_yield >= _YIELD_EVERY:
                since_yield = 0
                await asyncio.sleep(0)

    async def drain(self) -> None:
        """Wait until every queued event has been dispatched (for tests and shutdown)."""
        while self.pending:  # noqa: ASYNC110 - the dispatcher runs on this loop
            await asyncio.sleep(0)

    def _take_incoming(self) -> None:
        # Cleared before looking, not only when something is there: a producer that set it
        # after we last looked has a wake-up on its way, which must not leave it set for
        # good (no later `publish_threadsafe` would wake the loop again).
        self._wake_pending = False
        incoming = self._incoming
        while incoming:
            event = incoming.popleft()
            if isinstance(event, Event):
                self._queue(event)
            else:
                self._bulk.append(event)

    def _queue(self, event: Event) -> None:
        if event.is_availability:
            self._promote(event.device_id)
            self._urgent.append(event)
        elif event.urgent:
            self._urgent.append(event)
        else:
            self._bulk.append(event)
            self._waiting[event.device_id] = self._waiting.get(event.device_id, 0) + 1

    def _left_bulk(self, device_id: str) -> None:
        left = self._waiting[device_id] - 1
        if left:
            self._waiting[device_id] = left
        else:
            del self._waiting[device_id]

    def _promote(self, device_id: str) -> None:
        """Move the device's events waiting in the bulk lane to the urgent lane, in order."""
        if self._waiting.pop(device_id, 0) == 0:
            return
        staying: deque[Event | Barrier] = deque()
        for waiting in self._bulk:
            if isinstance(waiting, Event) and waiting.device_id == device_id:
                self._urgent.append(waiting)
            else:
                staying.append(waiting)
        self._bulk = staying

    def _reach(self, barrier: Barrier) -> None:
        try:
            barrier.reached()
        except Exception:
            self.handler_errors += 1
            log.exception("barrier handler %r failed", barrier.reached)

    def _dispatch(self, event: Event) -> None:
        self.dispatched += 1
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                self.handler_errors += 1
                log.exception("event handler %r failed on %s/%s", handler, event.device_id,
                              event.point)
