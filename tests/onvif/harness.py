"""Running camera adapters against the simulator in tests: a bus whose events are kept,
adapter tasks that are always cancelled, and waiting for what the adapter publishes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from pydantic import SecretStr

from adapters.base import AdapterContext
from adapters.onvif.adapter import CameraAdapter
from adapters.onvif.config import CameraConfig, OnvifSettings
from gateway.core.bus import EventBus
from gateway.core.clock import Clock, SystemClock
from gateway.core.events import AVAILABILITY, Event
from simulators.camera import CameraSimulator

PASSWORD = "s3cret-cam"
SITE = "test-school"

FAST = OnvifSettings(request_timeout_s=2.0, snapshot_timeout_s=2.0, pull_timeout_s=1.0,
                     retry_initial_s=0.05, retry_max_s=0.2, check_s=0.2,
                     snapshot_check_s=0.2)


def free_udp_port() -> int:
    """A UDP port nothing is bound to on loopback right now (for WS-Discovery)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def silent_camera() -> tuple[asyncio.Server, int]:
    """A 'camera' that accepts connections and never answers: the server and its port."""
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(-1)
        finally:
            writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


def camera_config(sim: CameraSimulator, index: int, *, password: str = PASSWORD,
                  port: int | None = None, **extra: object) -> CameraConfig:
    return CameraConfig.model_validate({
        "type": "camera", "id": f"cam-exit-{index}", "name": f"Exit camera {index}",
        "zone": "building-a-1f", "host": "127.0.0.1",
        "port": sim.port if port is None else port,
        "device_service_path": sim.device_service_path(index), "username": "admin",
        "password": SecretStr(password), **extra})


@dataclass
class Harness:
    """Adapters under test, with every event they publish kept in `events`."""

    clock: Clock = field(default_factory=SystemClock)
    bus: EventBus = field(default_factory=EventBus)
    events: list[Event] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bus.subscribe(self.events.append)
        self.ctx = AdapterContext(site=SITE, clock=self.clock, bus=self.bus)

    def start(self, config: CameraConfig, settings: OnvifSettings = FAST) -> CameraAdapter:
        adapter = CameraAdapter(config, settings, self.ctx)
        self.tasks.append(asyncio.create_task(adapter.run(), name=adapter.name))
        return adapter

    def of(self, device_id: str, point: str | None = None) -> list[Event]:
        return [e for e in self.events
                if e.device_id == device_id and (point is None or e.point == point)]

    def availability(self, device_id: str) -> list[str | None]:
        return [str(e.value) for e in self.of(device_id, AVAILABILITY)]

    async def wait_for(self, what: str, condition: Callable[[], object],
                       within_s: float = 10.0) -> None:
        """Wait (real time: network round trips) until `condition()` is true."""
        deadline = time.monotonic() + within_s
        while not condition():
            if time.monotonic() > deadline:
                summary = [(e.device_id, e.point, e.value, e.detail) for e in self.events[-15:]]
                raise AssertionError(f"timed out waiting for {what}; last events: {summary}")
            await asyncio.sleep(0.02)

    async def wait_event(self, device_id: str, point: str, value: object,
                         within_s: float = 10.0) -> Event:
        def found() -> Event | None:
            return next((e for e in self.of(device_id, point) if e.value == value), None)

        await self.wait_for(f"{device_id} {point}={value!r}", found, within_s)
        event = found()
        assert event is not None
        return event

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def running(clock: Clock | None = None) -> AsyncIterator[Harness]:
    harness = Harness(clock=clock or SystemClock())
    bus_task = asyncio.create_task(harness.bus.run())
    try:
        yield harness
    finally:
        await harness.close()
        bus_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bus_task
