"""Live feed of alert and mode changes for the API's stream and the console.

Every message gets the next sequence number (`seq`), which the stream sends as its event
id; the newest messages are kept, so a listener that reconnects with the last id it saw
gets what it missed. When that is no longer kept (or it fell behind), it is told to
re-read the state (`{"type": "reset"}`) instead of silently missing changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)

RESET: dict[str, Any] = {"type": "reset"}


class AlertFeed:
    """Fan-out to any number of listeners; one that falls behind is reset, never slows
    the gateway."""

    def __init__(self, backlog: int = 1000) -> None:
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._backlog = backlog
        self._kept: deque[dict[str, Any]] = deque(maxlen=backlog)
        self.seq = 0

    def publish(self, message: dict[str, Any]) -> None:
        self.seq += 1
        message = {**message, "seq": self.seq}
        self._kept.append(message)
        for queue in self._listeners:
            if queue.full():
                _drain(queue)
                queue.put_nowait({**RESET, "seq": self.seq - 1})
            queue.put_nowait(message)

    def since(self, seq: int) -> list[dict[str, Any]] | None:
        """The messages after `seq`, or None if some of them are no longer kept."""
        if seq >= self.seq:
            return [] if seq == self.seq else None
        missed = self.seq - seq
        if missed > len(self._kept):
            return None
        return list(self._kept)[-missed:]

    @asynccontextmanager
    async def listen(self, after: int | None = None
                     ) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of the messages from now on; with `after`, first those after it (or a
        reset when they are gone)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._backlog + 1)
        if after is not None:
            missed = self.since(after)
            for message in [{**RESET, "seq": self.seq}] if missed is None else missed:
                queue.put_nowait(message)
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)


def _drain(queue: asyncio.Queue[dict[str, Any]]) -> None:
    while not queue.empty():
        queue.get_nowait()
