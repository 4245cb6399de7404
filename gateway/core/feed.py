"""Live feed of alert changes for the API's stream and the dashboard."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)


class AlertFeed:
    """Fan-out to any number of listeners; a listener that falls behind loses its
    oldest messages (it can always re-read `GET /alerts`), never slows the gateway."""

    def __init__(self, backlog: int = 1000) -> None:
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._backlog = backlog

    def publish(self, message: dict[str, Any]) -> None:
        for queue in self._listeners:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._backlog)
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)
