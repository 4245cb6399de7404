"""One camera's analytics loop: fetch a snapshot on schedule, decode and analyse it on a
worker thread, keep it for evidence, publish what changed. Failures are counted, logged
once when they start and once when they end, and retried with the common backoff; while
they last the camera is in fault (availability `fault`, the reason in its detail), so a
camera whose snapshots are refused never looks online without points."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from adapters.video.analysis import CameraAnalyser, FrameAnalysis, Reference
from adapters.video.autocapture import QuietWatch
from adapters.video.config import VideoAnalyticsConfig
from adapters.video.evidence import FrameRing
from adapters.video.frames import CorruptFrame, Image, decode_jpeg
from adapters.video.points import PointPublisher, PointReading, readings
from adapters.video.references import ReferenceInfo, ReferenceStore, median_view
from adapters.video.snapshot import (
    SessionProvider,
    SnapshotCredentials,
    SnapshotError,
    SnapshotSource,
)
from gateway.core.backoff import Backoff
from gateway.core.bus import EventBus
from gateway.core.clock import Clock
from gateway.core.events import Availability, Quality

log = logging.getLogger(__name__)

UrlResolver = Callable[[], Awaitable[str]]
REFERENCE_FRAMES = 5
"""Frames whose per-pixel median becomes a reference (people walking through drop out)."""


@dataclass(frozen=True)
class AnalyticsCamera:
    """A camera to analyse: its id, analytics config, and how to reach its snapshots."""

    camera_id: str
    config: VideoAnalyticsConfig
    credentials: SnapshotCredentials | None
    resolve_url: UrlResolver | None = field(default=None, compare=False)
    """Asks the camera for its snapshot URL when the config gives none."""


@dataclass
class CameraCounters:
    snapshots: int = 0
    snapshot_failures: int = 0
    corrupt_frames: int = 0
    frames_analysed: int = 0
    references_captured: int = 0
    references_automatic: int = 0


class NoFrame(RuntimeError):
    """No snapshot is at hand to take a reference from."""


class CameraAnalytics:
    """Runs one camera until cancelled."""

    def __init__(self, camera: AnalyticsCamera, site: str, clock: Clock, bus: EventBus,
                 executor: Executor, http: SessionProvider, references: ReferenceStore,
                 ring: FrameRing, start_delay_s: float | None = None) -> None:
        self.camera = camera
        self.camera_id = camera.camera_id
        self.config = camera.config
        self.clock = clock
        self.executor = executor
        self.http = http
        self.references = references
        self.ring = ring
        self.analyser = CameraAnalyser(camera.config)
        self.publisher = PointPublisher(site, camera.camera_id, bus,
                                        camera.config.republish_s)
        self.counters = CameraCounters()
        self.reference_info: ReferenceInfo | None = None
        self.quiet = QuietWatch(camera.config.references)
        self._source: SnapshotSource | None = None
        self.polling = False
        """True while a snapshot is being fetched and analysed."""
        self._failing: str | None = None
        self._failures_in_row = 0
        self._backoff = Backoff(initial=camera.config.interval_s,
                                maximum=max(30.0, camera.config.interval_s))
        self._start_delay = (start_delay_s if start_delay_s is not None
                             else _spread(camera.camera_id, camera.config.interval_s))

    async def run(self) -> None:
        await self._load_reference()
        await self.clock.sleep(self._start_delay)
        due = self.clock.now()
        while True:
            if await self.poll_once():
                self._backoff.reset()
                due += self.config.interval_s
                now = self.clock.now()
                if due < now:  # fell behind: skip what was missed, keep the cadence
                    due = now
                await self.clock.sleep(due - now)
            else:
                await self.clock.sleep(self._backoff.next_delay())
                due = self.clock.now()

    async def poll_once(self) -> bool:
        """One snapshot through the whole chain; False if it failed."""
        self.polling = True
        try:
            return await self._poll()
        finally:
            self.polling = False

    async def _poll(self) -> bool:
        try:
            source = await self._snapshot_source()
            data = await source.fetch()
        except SnapshotError as err:
            self._failed(str(err))
            return False
        ts = self.clock.now()
        self.counters.snapshots += 1
        loop = asyncio.get_running_loop()
        try:
            analysis = await loop.run_in_executor(self.executor, self._analyse, data)
        except CorruptFrame as err:
            self.counters.corrupt_frames += 1
            self._failed(f"corrupt snapshot: {err}")
            return False
        self.ring.add(ts, data)
        self.counters.frames_analysed += 1
        self._recovered(ts)
        self.publisher.publish(readings(analysis), ts)
        self.quiet.observe(analysis)
        if self.quiet.due(ts):
            self.quiet.captured(ts)
            await self.capture_reference(automatic=True)
        return True

    async def capture_reference(self, automatic: bool = False) -> ReferenceInfo:
        """Add the current view to the reference bank (the newest reference): the
        per-pixel median of the last few frames (a fresh snapshot if none is buffered),
        stored with its time and light. When the bank is full, the oldest reference in
        the most alike light makes room."""
        frames = [f.jpeg for f in self.ring.latest(REFERENCE_FRAMES)]
        if not frames:
            try:
                frames = [await (await self._snapshot_source()).fetch()]
            except SnapshotError as err:
                raise NoFrame(f"camera {self.camera_id}: no snapshot to take a reference "
                              f"from ({err})") from None
        captured_at = self.clock.now()
        loop = asyncio.get_running_loop()
        try:
            info = await loop.run_in_executor(self.executor, self._store_reference, frames,
                                              captured_at, automatic)
        except CorruptFrame as err:
            raise NoFrame(f"camera {self.camera_id}: {err}") from None
        self.reference_info = info
        self.counters.references_captured += 1
        self.counters.references_automatic += automatic
        self.publisher.publish([PointReading("reference.missing", False)], captured_at)
        log.info("camera %s: new %sreference view (%s light) from %d frames", self.camera_id,
                 "automatic " if automatic else "", info.light, info.frames_used)
        return info

    def _analyse(self, data: bytes) -> FrameAnalysis:
        return self.analyser.analyse_jpeg(data)

    def _store_reference(self, frames: list[bytes], captured_at: float,
                         automatic: bool) -> ReferenceInfo:
        images: list[Image] = [decode_jpeg(jpeg) for jpeg in frames]
        size = images[-1].shape
        view = median_view([image for image in images if image.shape == size])
        reference = self.analyser.add_reference(Reference(view, captured_at))
        return self.references.save(self.camera_id, reference, len(images), automatic,
                                    self.analyser.references)

    async def _load_reference(self) -> None:
        loaded = await asyncio.to_thread(self.references.load, self.camera_id)
        if loaded is None:
            return
        _, info = loaded
        bank = await asyncio.to_thread(self.references.load_bank, self.camera_id)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.analyser.set_bank, bank)
        self.reference_info = info

    async def _snapshot_source(self) -> SnapshotSource:
        if self._source is None:
            url = self.config.snapshot_url
            if url is None:
                if self.camera.resolve_url is None:
                    raise SnapshotError("no snapshot URL configured or offered by the camera")
                try:
                    url = await self.camera.resolve_url()
                except Exception as err:
                    raise SnapshotError(f"asking the camera for its snapshot URL: "
                                        f"{err}") from None
            self._source = SnapshotSource(self.http, url, self.camera.credentials,
                                          self.config.timeout_s)
        return self._source

    @property
    def failing(self) -> str | None:
        """Why snapshots fail now (None while they come)."""
        return self._failing

    def _failed(self, reason: str) -> None:
        self.counters.snapshot_failures += 1
        self._failures_in_row += 1
        if self._failing is None:
            log.warning("camera %s: snapshot analytics failing: %s", self.camera_id, reason)
            now = self.clock.now()
            self.publisher.availability(Availability.FAULT, now, f"snapshots failing: {reason}")
            self.publisher.publish([PointReading("analytics.ok", False, Quality.GOOD, reason)],
                                   now)
        self._failing = reason

    def _recovered(self, ts: float) -> None:
        if self._failing is not None:
            log.info("camera %s: snapshot analytics working again after %d failures",
                     self.camera_id, self._failures_in_row)
            self.publisher.availability(Availability.ONLINE, ts, "snapshots working again")
        self._failing = None
        self._failures_in_row = 0
        self.publisher.publish([PointReading("analytics.ok", True)], ts)


def _spread(camera_id: str, interval_s: float) -> float:
    """A stable start offset within one interval, so cameras do not all fetch at once."""
    return (zlib.crc32(camera_id.encode()) % 1000) / 1000 * interval_s
