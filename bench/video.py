"""Camera analytics throughput at 640×360, beside the raw limit measured in the same run.

- raw: `cv2.imdecode` and every analytic of one exit region (tampering, light
  compensation, obstruction) on in-memory JPEGs, on as many threads as the adapter uses;
- end to end: the analytics adapter fetching snapshots over HTTP (digest auth) from the
  camera simulator serving pre-rendered JPEGs (`CameraSimulator(prerendered=True)`, in a
  process of its own on the same machine), decoding and analysing them;
- capacity: how many cameras at one frame a second the adapter sustains with the event
  loop's latency p99 under 10 ms.

    python -m bench.video [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.synchronize
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from adapters.base import AdapterContext
from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.analysis import CameraAnalyser, Reference
from adapters.video.camera import AnalyticsCamera
from adapters.video.config import RegionConfig, VideoAnalyticsConfig, VideoSettings
from adapters.video.frames import decode_jpeg
from adapters.video.references import ReferenceStore
from adapters.video.snapshot import SnapshotCredentials
from gateway.core.bus import EventBus
from gateway.core.clock import SystemClock
from simulators.camera.scene import SceneRenderer, SceneState

WIDTH, HEIGHT = 640, 360
SIM_CAMERAS = 8
"""Distinct camera streams the simulator serves; analysed cameras share them round-robin."""
USER, PASSWORD = "admin", "bench-camera"
LOOP_P99_LIMIT_MS = 10.0
WORKERS = VideoSettings().workers


@dataclass
class VideoBenchResult:
    frame_size: str
    workers: int
    raw_frames_per_s: float
    raw_ms_per_frame_one_thread: float
    frames_per_s: float
    ratio: float
    e2e_loop_p99_ms: float
    cameras_at_1fps: int
    loop_p99_ms: float
    stages: list[dict[str, float]]


# -- raw limit -------------------------------------------------------------------------


def _scene_frames(seed: int, count: int = 12) -> tuple[list[bytes], bytes]:
    renderer = SceneRenderer(seed, WIDTH, HEIGHT)
    state = SceneState()
    return ([renderer.render_jpeg(i * 0.5, state) for i in range(count)],
            renderer.render_jpeg(1000.0, state))


def _analytics_config() -> VideoAnalyticsConfig:
    region = RegionConfig(name="exit", polygon=tuple(SceneRenderer(1, WIDTH, HEIGHT).exit_region()))
    return VideoAnalyticsConfig(regions=(region,))


def measure_raw(seconds: float) -> tuple[float, float]:
    """(frames per second on WORKERS threads, ms per frame on one thread)."""
    frames, reference = _scene_frames(1)

    def analyser() -> CameraAnalyser:
        result = CameraAnalyser(_analytics_config())
        result.set_reference(Reference(decode_jpeg(reference), 0.0))
        return result

    single = analyser()
    for jpeg in frames:
        single.analyse_jpeg(jpeg)
    started = time.perf_counter()
    for i in range(60):
        single.analyse_jpeg(frames[i % len(frames)])
    one_thread_ms = (time.perf_counter() - started) / 60 * 1000

    deadline = time.perf_counter() + seconds

    def work() -> int:
        mine, done = analyser(), 0
        while time.perf_counter() < deadline:
            mine.analyse_jpeg(frames[done % len(frames)])
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        total = sum(pool.map(lambda _: work(), range(WORKERS)))
    return total / (time.perf_counter() - started), one_thread_ms


# -- the camera simulator, in a process of its own ----------------------------------


def _serve(port: int, ready: multiprocessing.synchronize.Event) -> None:
    from simulators.camera import CameraSimulator

    async def serve() -> None:
        simulator = CameraSimulator(cameras=SIM_CAMERAS, port=port, username=USER,
                                    password=PASSWORD, prerendered=True)
        await simulator.start()
        for camera in simulator.cameras:
            await camera.snapshot()  # renders its cycle of frames once
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


class SimulatorProcess:
    def __init__(self) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        context = multiprocessing.get_context("spawn")
        self._ready = context.Event()
        self._process = context.Process(target=_serve, args=(self.port, self._ready),
                                        daemon=True)

    def __enter__(self) -> SimulatorProcess:
        self._process.start()
        if not self._ready.wait(120):
            self._process.terminate()
            raise RuntimeError("the camera simulator did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(10)

    def snapshot_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.port}/cam/{index % SIM_CAMERAS}/snapshot.jpg"


# -- end to end ----------------------------------------------------------------------


def _prepare_references(folder: Path, count: int) -> None:
    """Every analysed camera starts with the reference of the stream it fetches."""
    store = ReferenceStore(folder)
    for index in range(min(count, SIM_CAMERAS)):
        _, reference = _scene_frames(index + 1, count=0)
        store.save(f"cam-{index:04d}", Reference(decode_jpeg(reference), 0.0), 1)
    for index in range(SIM_CAMERAS, count):
        source = f"cam-{index % SIM_CAMERAS:04d}"
        for suffix in (".png", ".json"):
            shutil.copyfile(folder / f"{source}{suffix}", folder / f"cam-{index:04d}{suffix}")


def _cameras(sim: SimulatorProcess, count: int, interval_s: float) -> list[AnalyticsCamera]:
    config = _analytics_config().model_copy(update={"interval_s": interval_s})
    credentials = SnapshotCredentials(USER, PASSWORD)
    return [AnalyticsCamera(f"cam-{i:04d}",
                            config.model_copy(update={"snapshot_url": sim.snapshot_url(i)}),
                            credentials) for i in range(count)]


async def _loop_lag(lags: list[float], period: float = 0.005) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(period)
        lags.append(max(0.0, time.perf_counter() - started - period))


def _p99_ms(lags: list[float]) -> float:
    if len(lags) < 2:
        return 0.0
    return statistics.quantiles(lags, n=100)[98] * 1000


async def run_cameras(sim: SimulatorProcess, count: int, interval_s: float, warmup_s: float,
                      seconds: float, folder: Path,
                      switch_interval_ms: float | None) -> tuple[float, float, dict[str, int]]:
    """(frames analysed per second, loop latency p99 in ms, counters) over `seconds`."""
    references = folder / f"references-{count}"
    await asyncio.to_thread(_prepare_references, references, count)
    bus = EventBus()
    ctx = AdapterContext(site="bench", clock=SystemClock(), bus=bus)
    settings = VideoSettings(evidence_dir=folder / "evidence", references_dir=references,
                             workers=WORKERS, switch_interval_ms=switch_interval_ms)
    adapter = VideoAnalyticsAdapter(_cameras(sim, count, interval_s), settings, ctx)
    lags: list[float] = []
    tasks = [asyncio.create_task(bus.run()), asyncio.create_task(adapter.run()),
             asyncio.create_task(_loop_lag(lags))]
    try:
        cameras = [adapter.camera(camera_id) for camera_id in adapter.camera_ids]
        for _ in range(600):  # until every camera has its reference and a first frame
            if all(c.counters.frames_analysed for c in cameras):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(warmup_s)
        lags.clear()
        before = adapter.counters()["frames_analysed"]
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        frames = adapter.counters()["frames_analysed"] - before
        rate = frames / (time.perf_counter() - started)
        p99 = _p99_ms(lags)
        counters = adapter.counters()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return rate, p99, counters


async def capacity(sim: SimulatorProcess, stages: list[int], seconds: float, folder: Path,
                   switch_interval_ms: float | None) -> tuple[int, float, list[dict[str, float]]]:
    """Largest camera count at one frame a second that keeps up with loop p99 < 10 ms."""
    best, best_p99, report = 0, 0.0, []
    for count in stages:
        rate, p99, counters = await run_cameras(sim, count, 1.0, 3.0, seconds, folder,
                                                switch_interval_ms)
        # more than `count` frames a second means a backlog was still draining
        kept_up = abs(rate - count) <= 0.03 * count and counters["snapshot_failures"] == 0
        sustained = kept_up and p99 < LOOP_P99_LIMIT_MS
        report.append({"cameras": count, "frames_per_s": round(rate, 1),
                       "loop_p99_ms": round(p99, 2), "failures": counters["snapshot_failures"],
                       "sustained": float(sustained)})
        print(f"  {count:4d} cameras at 1 fps: {rate:7.1f} frames/s analysed, "
              f"loop p99 {p99:5.2f} ms, {counters['snapshot_failures']} failures"
              f" -> {'sustained' if sustained else 'not sustained'}")
        if not sustained:
            break
        best, best_p99 = count, p99
    return best, best_p99, report


async def run(args: argparse.Namespace) -> VideoBenchResult:
    raw, one_thread_ms = await asyncio.to_thread(measure_raw, args.seconds)
    print(f"raw decode + analytics, {WORKERS} threads: {raw:.0f} frames/s "
          f"({one_thread_ms:.2f} ms per frame on one thread)")
    switch = None if args.switch_interval_ms <= 0 else args.switch_interval_ms
    folder = Path(tempfile.mkdtemp(prefix="campusgw-video-bench-"))
    try:
        with SimulatorProcess() as sim:
            e2e, e2e_p99, _ = await run_cameras(sim, args.saturating_cameras, 0.001, 1.0,
                                                args.seconds, folder, switch)
            print(f"end to end (HTTP + decode + analytics), {args.saturating_cameras} cameras "
                  f"as fast as they go: {e2e:.0f} frames/s, {e2e / raw:.2f} of raw, "
                  f"loop p99 {e2e_p99:.2f} ms")
            stages = [int(s) for s in args.stages.split(",")]
            cameras, p99, report = await capacity(sim, stages, args.seconds, folder, switch)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"cameras at 1 frame/s with loop p99 < {LOOP_P99_LIMIT_MS:g} ms: {cameras} "
          f"(target >= 200)")
    return VideoBenchResult(f"{WIDTH}x{HEIGHT}", WORKERS, round(raw, 1), round(one_thread_ms, 3),
                            round(e2e, 1), round(e2e / raw, 3), round(e2e_p99, 2), cameras,
                            round(p99, 2), report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Camera analytics throughput at 640x360.")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="measuring time of each step")
    parser.add_argument("--stages", default="200,300,400",
                        help="camera counts tried at 1 frame/s, ascending")
    parser.add_argument("--saturating-cameras", type=int, default=16,
                        help="cameras polling back to back for the end-to-end rate")
    parser.add_argument("--switch-interval-ms", type=float,
                        default=VideoSettings().switch_interval_ms or 0.0,
                        help="the adapter's thread switch interval; 0: Python's default")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; {WORKERS} analysis threads; frames {WIDTH}x{HEIGHT}; "
          f"switch interval {args.switch_interval_ms or 'default'} ms")
    result = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
