"""The analytics adapter: every camera with analytics, each in its own task, sharing a
small pool of worker threads for decoding and OpenCV."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from adapters.base import AdapterContext
from adapters.video.camera import AnalyticsCamera, CameraAnalytics, CameraCounters
from adapters.video.config import VideoSettings
from adapters.video.evidence import EvidenceItem, EvidenceRecorder, FrameRing, UnknownCamera
from adapters.video.references import ReferenceInfo, ReferenceStore
from adapters.video.snapshot import SharedSession
from gateway.core.backoff import Backoff
from gateway.core.health import Health, Observed, unreachable

log = logging.getLogger(__name__)


class VideoAnalyticsAdapter:
    """Snapshot analytics (exit obstruction, tampering) of several cameras.

    Besides `run()`, the gateway calls `capture_reference(camera_id)` when an operator
    asks for a new reference view, and `evidence.capture(camera_id, alert_id)` when an
    alert needs the frames before it.
    """

    name = "video"

    def __init__(self, cameras: Sequence[AnalyticsCamera], settings: VideoSettings,
                 ctx: AdapterContext, start_delays: dict[str, float] | None = None) -> None:
        self.settings = settings
        self.ctx = ctx
        self.evidence = EvidenceRecorder(settings.evidence_dir)
        self.references = ReferenceStore(settings.references_dir)
        self._executor = ThreadPoolExecutor(max_workers=settings.workers,
                                            thread_name_prefix="ThreadPoolExecutor-video")
        self._http = SharedSession()
        self._cameras: dict[str, CameraAnalytics] = {}
        self._observed = Observed(ctx.clock.now())
        for camera in cameras:
            ring = FrameRing(camera.config.ring_buffer_s)
            self.evidence.register(camera.camera_id, ring)
            self._cameras[camera.camera_id] = CameraAnalytics(
                camera, ctx.site, ctx.clock, ctx.bus, self._executor, self._http,
                self.references, ring,
                (start_delays or {}).get(camera.camera_id))

    @property
    def camera_ids(self) -> list[str]:
        return sorted(self._cameras)

    def camera(self, camera_id: str) -> CameraAnalytics:
        try:
            return self._cameras[camera_id]
        except KeyError:
            raise UnknownCamera(camera_id) from None

    def health(self) -> Health:
        """Degraded while any camera's snapshots fail ("1 of 2 cameras unreachable: id
        (why)"), ok otherwise; `since` is when that was first seen."""
        failing = {camera_id: camera.failing for camera_id, camera in self._cameras.items()
                   if camera.failing is not None}
        reason = unreachable(failing, len(self._cameras), "cameras")
        if reason:
            reason += " (" + "; ".join(failing.values()) + ")"
        return self._observed.see(reason, self.ctx.clock.now())

    async def run(self) -> None:
        previous_switch = sys.getswitchinterval()
        if self.settings.switch_interval_ms is not None:
            sys.setswitchinterval(self.settings.switch_interval_ms / 1000)
        try:
            async with asyncio.TaskGroup() as group:
                for camera_id, camera in self._cameras.items():
                    group.create_task(self._supervise(camera), name=f"video:{camera_id}")
        finally:
            sys.setswitchinterval(previous_switch)
            await asyncio.shield(self._close())

    async def _close(self) -> None:
        await self._http.close()
        await asyncio.to_thread(self._executor.shutdown, True, cancel_futures=True)

    async def capture_reference(self, camera_id: str) -> ReferenceInfo:
        """Take the camera's current view as its reference (raises `UnknownCamera`, or
        `NoFrame` when the camera gives no snapshot)."""
        return await self.camera(camera_id).capture_reference()

    def reference(self, camera_id: str) -> ReferenceInfo | None:
        return self.camera(camera_id).reference_info

    async def capture_evidence(self, camera_id: str, alert_id: str,
                               at: float | None = None) -> list[EvidenceItem]:
        return await self.evidence.capture(camera_id, alert_id, at)

    def counters(self) -> dict[str, int]:
        totals = {"cameras": len(self._cameras), **dict.fromkeys(vars(CameraCounters()), 0),
                  "events": 0, "evidence_captures": self.evidence.captures}
        for camera in self._cameras.values():
            for key, value in vars(camera.counters).items():
                totals[key] += value
            totals["events"] += camera.publisher.published
        return totals

    async def _supervise(self, camera: CameraAnalytics) -> None:
        """Keep one camera running: a bug met on one camera never stops the others."""
        backoff = Backoff(initial=1.0, maximum=60.0)
        while True:
            try:
                await camera.run()
            except Exception:
                log.exception("camera %s: analytics stopped unexpectedly; restarting",
                              camera.camera_id)
                await self.ctx.clock.sleep(backoff.next_delay())
