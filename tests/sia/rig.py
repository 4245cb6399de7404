"""The DC-09 receiver on a free loopback port with a running bus, and a panel's side of a
TCP connection to it. Frames come from my-dc09-spt, an independent transmitter."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from my_dc09_spt.msg.dc03_msg import dc03_msg
from my_dc09_spt.msg.dc05_msg import dc05_msg
from my_dc09_spt.msg.dc09_msg import dc09_msg

from adapters.base import AdapterContext, StoredCallback
from adapters.sia import SiaAdapter, SiaPanelConfig, SiaSettings
from gateway.core.bus import EventBus
from gateway.core.clock import Clock, VirtualClock
from gateway.core.events import AVAILABILITY, Event

SITE = "school-1"
KEY16 = b"0123456789abcdef"
KEY32 = b"0123456789abcdef0123456789ABCDEF"


def panel(device_id: str = "ap-a", account: str = "1234", key: bytes | str | None = None,
          **fields: Any) -> SiaPanelConfig:
    values: dict[str, Any] = {"type": "sia_panel", "id": device_id,
                              "name": f"Alarm panel {device_id}", "zone": "building-a",
                              "account": account, **fields}
    if key is not None:
        values["key"] = key if isinstance(key, str) else key.hex()
    return SiaPanelConfig.model_validate(values)


def sia(spt: dc09_msg, sequence: int, code: str, zone: int = 5, area: int = 1) -> bytes:
    data = dc03_msg.dc03event(spt.account, {"area": area, "zone": zone, "code": code})
    block: str = spt.dc09block(sequence, "SIA-DCS", data)
    return block.encode("ascii")


def cid(spt: dc09_msg, sequence: int, event: int, qualifier: int = 1, zone: int = 5,
        area: int = 1) -> bytes:
    data = dc05_msg.dc05event(spt.account, {"area": area, "zone": zone, "code": str(event),
                                            "q": qualifier})
    block: str = spt.dc09block(sequence, "ADM-CID", data)
    return block.encode("ascii")


@dataclass
class Rig:
    adapter: SiaAdapter
    bus: EventBus
    clock: Clock
    events: list[Event]

    @property
    def port(self) -> int:
        assert self.adapter.tcp_port is not None
        return self.adapter.tcp_port

    def values(self, device_id: str = "ap-a") -> list[tuple[str, object]]:
        return [(e.point, e.value) for e in self.events
                if e.device_id == device_id and e.point != AVAILABILITY]

    async def settled(self) -> list[Event]:
        await self.bus.drain()
        await asyncio.sleep(0)
        return self.events


@asynccontextmanager
async def receiving(panels: Sequence[SiaPanelConfig], clock: Clock | None = None,
                    after_dispatch: Callable[[StoredCallback], None] | None = None,
                    **settings: Any) -> AsyncIterator[Rig]:
    """The receiver with `panels`, on a clock reading real time unless given one;
    `after_dispatch` stands in for the gateway's store."""
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    bus_task = asyncio.create_task(bus.run())
    clock = clock or VirtualClock(time.time())
    config = SiaSettings.model_validate({"host": "127.0.0.1", "port": 0, **settings})
    adapter = SiaAdapter(config, panels, AdapterContext(SITE, clock, bus, after_dispatch))
    task = asyncio.create_task(adapter.run())
    try:
        async with asyncio.timeout(2):
            await adapter.wait_listening()
        yield Rig(adapter, bus, clock, events)
    finally:
        for running in (task, bus_task):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running


class Link:
    """A panel's TCP connection to the receiver."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, raw: bytes, within_s: float = 2.0) -> str:
        """Send `raw`, return the answer frame (text, with its LF and CR)."""
        self.writer.write(raw)
        await self.writer.drain()
        async with asyncio.timeout(within_s):
            return (await self.reader.readuntil(b"\r")).decode("ascii")

    async def silent(self, raw: bytes, for_s: float = 0.3) -> bool:
        """Send `raw`; True when no answer comes within `for_s`."""
        self.writer.write(raw)
        await self.writer.drain()
        try:
            async with asyncio.timeout(for_s):
                await self.reader.readuntil(b"\r")
        except TimeoutError:
            return True
        return False


@asynccontextmanager
async def link(port: int) -> AsyncIterator[Link]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield Link(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
