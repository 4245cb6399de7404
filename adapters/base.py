"""The adapter seam: what every protocol adapter receives and provides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.core.bus import EventBus
from gateway.core.clock import Clock
from gateway.core.config import DeviceBase


@dataclass(frozen=True)
class AdapterContext:
    """What the gateway hands an adapter: where to send events, and the time."""

    site: str
    clock: Clock
    bus: EventBus


class Adapter(Protocol):
    """A running protocol connection. `run()` works until cancelled and cleans up then."""

    name: str

    async def run(self) -> None: ...

    def counters(self) -> dict[str, int]:
        """Counters for /health (messages, malformed, reconnects, ...)."""
        ...


AdapterFactory = Callable[[Sequence[DeviceBase], AdapterContext], list[Adapter]]
