"""Memory of the ONVIF camera adapter: resident set size (RSS) per camera, beside the
process's RSS before any camera.

The cameras are `bench.video`'s camera simulator, in a process of its own. Each stage
(1, 10, ... `--cameras`) runs in a fresh process: it reads its RSS once its loop runs
(before any camera), starts that many camera adapters at once, as the gateway does when
it starts (connect, event subscription, PullMessages, snapshot checks), and reads its RSS
again once they are all online with their subscriptions up. The process has imported
what the gateway's does for its cameras (the adapters, OpenCV), so its RSS before any
camera is the base the cameras add to. `per_camera_mb` is what each camera beyond the
first adds (the first one also pays for the parsed ONVIF WSDLs, which every camera of
the process shares).

    python -m bench.onvif_memory [--cameras 50] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import SecretStr

from adapters.base import AdapterContext
from adapters.onvif.adapter import CameraAdapter
from adapters.onvif.config import CameraConfig, OnvifSettings
from bench.soak import rss_mb
from bench.video import PASSWORD, SIM_CAMERAS, USER, SimulatorProcess
from gateway.core.bus import EventBus
from gateway.core.clock import SystemClock
from gateway.core.events import Availability

SETTINGS = OnvifSettings(pull_timeout_s=2.0, snapshot_check_s=30.0)
SETTLE_S = 2.0
"""After the last camera is online: time for its subscription and first PullMessages."""
ONLINE_WITHIN_S = 120.0


@dataclass
class Stage:
    cameras: int
    rss_before_mb: float
    rss_mb: float

    @property
    def mb_per_camera(self) -> float:
        return (self.rss_mb - self.rss_before_mb) / self.cameras


@dataclass
class OnvifMemoryResult:
    cameras: int
    rss_before_mb: float
    rss_mb: float
    mb_per_camera: float
    """(RSS with all cameras - RSS before any) / cameras."""
    per_camera_mb: float
    """What each camera beyond the first adds."""
    stages: list[dict[str, float]] = field(default_factory=list)


def camera(port: int, index: int) -> CameraConfig:
    return CameraConfig.model_validate({
        "type": "camera", "id": f"cam-{index:04d}", "name": f"Camera {index}",
        "zone": "bench", "host": "127.0.0.1", "port": port,
        "device_service_path": f"/onvif/cam{index % SIM_CAMERAS}/device_service",
        "username": USER, "password": SecretStr(PASSWORD)})


def stages_up_to(cameras: int) -> list[int]:
    """1, 10, 50, 100, ... below `cameras`, then `cameras` itself."""
    return sorted({n for n in (1, 10, 50, 100, 200, 500) if n < cameras} | {cameras})


async def wait_online(adapters: list[CameraAdapter]) -> None:
    deadline = time.monotonic() + ONLINE_WITHIN_S
    while any(a.availability is not Availability.ONLINE for a in adapters):
        if time.monotonic() > deadline:
            down = [a.config.id for a in adapters if a.availability is not Availability.ONLINE]
            raise RuntimeError(f"cameras not online within {ONLINE_WITHIN_S:g} s: {down[:5]}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(SETTLE_S)


def settled_rss() -> float:
    gc.collect()
    return rss_mb()


async def measure(port: int, cameras: int) -> Stage:
    """RSS before any camera and with `cameras` adapters started at once and online."""
    bus = EventBus()
    bus_task = asyncio.create_task(bus.run())
    ctx = AdapterContext(site="bench", clock=SystemClock(), bus=bus)
    adapters = [CameraAdapter(camera(port, i), SETTINGS, ctx) for i in range(cameras)]
    tasks: list[asyncio.Task[None]] = []
    try:
        await asyncio.sleep(0.1)
        before = settled_rss()
        tasks = [asyncio.create_task(a.run(), name=a.name) for a in adapters]
        await wait_online(adapters)
        return Stage(cameras, round(before, 1), round(settled_rss(), 1))
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        bus_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bus_task


def _stage_process(port: int, cameras: int, results: multiprocessing.Queue[Stage]) -> None:
    results.put(asyncio.run(measure(port, cameras)))


def run_stage(port: int, cameras: int) -> Stage:
    """One stage in a fresh process, so that no stage finds what another one loaded."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[Stage] = context.Queue()
    process = context.Process(target=_stage_process, args=(port, cameras, results))
    process.start()
    try:
        return results.get(timeout=ONLINE_WITHIN_S + 60)
    finally:
        process.join(30)
        if process.is_alive():
            process.terminate()


def run(cameras: int) -> OnvifMemoryResult:
    stages: list[Stage] = []
    with SimulatorProcess() as sim:
        for count in stages_up_to(cameras):
            stage = run_stage(sim.port, count)
            stages.append(stage)
            print(f"{count:4d} cameras started at once: RSS {stage.rss_mb:.1f} MB, "
                  f"{stage.rss_before_mb:.1f} MB before any camera: "
                  f"{stage.mb_per_camera:.2f} MB per camera")
    first, last = stages[0], stages[-1]
    grown = (last.rss_mb - last.rss_before_mb) - (first.rss_mb - first.rss_before_mb)
    per_camera = grown / (last.cameras - first.cameras) if last.cameras > first.cameras else 0.0
    return OnvifMemoryResult(
        last.cameras, last.rss_before_mb, last.rss_mb, round(last.mb_per_camera, 3),
        round(per_camera, 3),
        [{**asdict(s), "mb_per_camera": round(s.mb_per_camera, 3)} for s in stages])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="RSS of the ONVIF adapter per camera.")
    parser.add_argument("--cameras", type=int, default=50, help="cameras at the last stage")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if args.cameras < 1:
        parser.error("--cameras must be at least 1")
    result = run(args.cameras)
    added = result.rss_mb - result.rss_before_mb
    print(f"{result.cameras} cameras: {result.mb_per_camera:.2f} MB per camera "
          f"({result.rss_mb:.1f} MB, {result.rss_before_mb:.1f} MB before any camera: the "
          f"cameras add {added / result.rss_before_mb:.2f} of it); each camera beyond the "
          f"first: {result.per_camera_mb:.3f} MB")
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
