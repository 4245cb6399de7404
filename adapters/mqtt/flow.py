"""Keeping the MQTT network thread from running far ahead of the event bus.

The broker may send a persistent session's whole backlog at once, faster than the rules
take it. Events the bus has not dispatched yet are held in memory, and every device that
comes online meanwhile has its waiting events moved ahead of its availability (a scan of
the bulk lane each). So the network thread hands on at most `WINDOW` batches that the bus
has not reached yet; at the next one it waits, without the GIL, until the oldest is
dispatched. Meanwhile the broker keeps what was not read (it is not acknowledged either).
"""

from __future__ import annotations

import threading

from gateway.core.bus import EventBus

WINDOW = 32
"""Batches handed to the bus and not yet dispatched, at most (of up to `ACK_BATCH`
messages each: some 8,000 events). An alarm is put ahead of the waiting events only once
it is read, so a small window keeps a press at the broker behind a backlog: with 4, a press
just after a 10,000-device gateway started took 3.3 s to raise its alert, with 32 0.7 s
(`bench.soak`), and `bench.ingest` is the same with either."""

WAIT_S = 1.0
"""How long the network thread waits for the bus at most: a bus that does not move (not
running yet, or stuck) must not also stop the connection's keepalive."""


class DispatchWindow:
    """Counts the batches handed to a bus that it has not dispatched yet."""

    def __init__(self, window: int = WINDOW, wait_s: float = WAIT_S) -> None:
        self._room = threading.Semaphore(window)
        self._wait_s = wait_s

    def wait_for_room(self, bus: EventBus) -> bool:
        """Network thread, after handing a batch to `bus`: count it until the bus reaches
        it, waiting first while `WINDOW` batches are ahead of it. False: the bus had no
        room for it within `WAIT_S`, and it goes on uncounted."""
        if not self._room.acquire(timeout=self._wait_s):
            return False
        bus.barrier_threadsafe(self._room.release)
        return True
