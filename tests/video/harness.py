"""A running analytics adapter against the camera simulator, stepped by a virtual clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adapters.base import AdapterContext
from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.camera import AnalyticsCamera
from adapters.video.config import RegionConfig, VideoAnalyticsConfig, VideoSettings
from adapters.video.snapshot import SnapshotCredentials
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from simulators.camera import CameraSimulator
from simulators.camera.scene import SceneRenderer

USER = "admin"
PASSWORD = "video-test-secret"


def exit_region(camera_index: int = 0) -> RegionConfig:
    """The exit region of the simulator's camera `camera_index` (its scene seed is i + 1)."""
    renderer = SceneRenderer(seed=camera_index + 1)
    return RegionConfig(name="exit", polygon=tuple(renderer.exit_region()))


def analytics_camera(camera_id: str, url: str, password: str = PASSWORD,
                     scheme: Literal["digest", "basic"] = "digest",
                     **config: object) -> AnalyticsCamera:
    settings = VideoAnalyticsConfig.model_validate(
        {"snapshot_url": url, "regions": [exit_region().model_dump()], **config})
    return AnalyticsCamera(camera_id, settings, SnapshotCredentials(USER, password, scheme))


@dataclass
class Running:
    clock: VirtualClock
    adapter: VideoAnalyticsAdapter
    bus: EventBus
    events: list[Event] = field(default_factory=list)

    async def settle(self) -> None:
        """Let the bus deliver what was published."""
        await self.bus.drain()
        await asyncio.sleep(0)

    def points(self, camera_id: str, point: str) -> list[Event]:
        return [e for e in self.events if e.device_id == camera_id and e.point == point]

    def last(self, camera_id: str, point: str) -> Event:
        found = self.points(camera_id, point)
        assert found, f"no {point} event from {camera_id}"
        return found[-1]

    def attempts(self, camera_id: str) -> int:
        counters = self.adapter.camera(camera_id).counters
        return counters.frames_analysed + counters.snapshot_failures

    async def step(self, camera_id: str, polls: int = 1, limit_s: float = 15.0) -> None:
        """Advance the virtual clock until the camera has made `polls` more attempts
        (each attempt is real HTTP and real decoding, so it also takes real time)."""
        camera = self.adapter.camera(camera_id)
        target = self.attempts(camera_id) + polls
        deadline = time.monotonic() + limit_s
        while True:
            await wait_for(lambda: not camera.polling, limit_s)
            if self.attempts(camera_id) >= target:
                break
            assert time.monotonic() < deadline, f"{camera_id} made no attempt in {limit_s} s"
            await self.clock.advance(0.25)
        await self.settle()


async def wait_for(condition: Callable[[], bool], limit_s: float = 10.0,
                   fail: bool = True) -> bool:
    """Wait (real time) for something that real I/O brings about."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            assert not fail, "condition not met in time"
            return False
        await asyncio.sleep(0.005)
    return True


@asynccontextmanager
async def running_adapter(cameras: Sequence[AnalyticsCamera], folder: Path,
                          clock: VirtualClock) -> AsyncIterator[Running]:
    bus = EventBus()
    ctx = AdapterContext(site="school", clock=clock, bus=bus)
    settings = VideoSettings(evidence_dir=folder / "evidence",
                             references_dir=folder / "references")
    adapter = VideoAnalyticsAdapter(cameras, settings, ctx,
                                    start_delays={c.camera_id: 0.0 for c in cameras})
    state = Running(clock, adapter, bus)
    bus.subscribe(state.events.append)
    bus_task = asyncio.create_task(bus.run())
    task = asyncio.create_task(adapter.run())
    try:
        yield state
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.drain()
        bus_task.cancel()
        await asyncio.gather(bus_task, return_exceptions=True)


@asynccontextmanager
async def simulator(clock: VirtualClock, cameras: int = 1) -> AsyncIterator[CameraSimulator]:
    sim = CameraSimulator(cameras=cameras, username=USER, password=PASSWORD, clock=clock)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@asynccontextmanager
async def one_camera(folder: Path, **options: Any
                     ) -> AsyncIterator[tuple[CameraSimulator, AnalyticsCamera, Running]]:
    """One simulated camera, "cam-a" analysing its snapshots (`options` as for
    `analytics_camera`), and the adapter running it, on a fresh virtual clock."""
    clock = VirtualClock()
    async with simulator(clock) as sim:
        cam = analytics_camera("cam-a", sim.snapshot_url(0), **options)
        async with running_adapter([cam], folder, clock) as run:
            yield sim, cam, run
