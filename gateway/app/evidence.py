"""Camera evidence for alerts: when an alert is raised, the frames before it and the frame
at it from every analysed camera in the alert's zone are stored with their SHA-256 and
linked to the alert (police platforms ask for pre-alarm video, DB15/T 3968)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from adapters.onvif.config import CameraConfig
from adapters.video.adapter import VideoAnalyticsAdapter
from gateway.alerts.manager import AlertManager
from gateway.core.alerts import Alert
from gateway.core.config import DeviceBase

log = logging.getLogger(__name__)

EVIDENCE_PATH = "evidence"
"""Where the API serves the evidence folder; alert evidence links start with it."""


class EvidenceLinker:
    def __init__(self, video: VideoAnalyticsAdapter, devices: Sequence[DeviceBase],
                 manager: AlertManager) -> None:
        self._video = video
        self._manager = manager
        self._cameras_by_zone: dict[str, list[str]] = {}
        for device in devices:
            if isinstance(device, CameraConfig) and device.analytics is not None:
                self._cameras_by_zone.setdefault(device.zone, []).append(device.id)
        self._analysed = {camera for found in self._cameras_by_zone.values()
                          for camera in found}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def alert_raised(self, alert: Alert, cameras: Sequence[str] | None = None) -> None:
        """Called on the loop for each new alert, with the cameras its rule names (None:
        the analysed cameras in its zone)."""
        if self._stopped:  # the gateway is shutting down: no new captures
            return
        if cameras is None:
            cameras = self._cameras_by_zone.get(alert.zone, [])
        else:
            cameras = [camera for camera in cameras if camera in self._analysed]
        if not cameras:
            return
        task = asyncio.create_task(self._capture(alert, cameras), name=f"evidence {alert.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _capture(self, alert: Alert, cameras: Sequence[str]) -> None:
        links: list[str] = []
        for camera_id in cameras:
            try:
                items = await self._video.capture_evidence(camera_id, alert.id,
                                                           at=alert.raised_at)
            except Exception as exc:  # one camera's trouble never costs another's frames
                log.warning("no evidence from %s for alert %s: %s", camera_id, alert.id, exc)
                continue
            links += [f"{EVIDENCE_PATH}/{item.link}" for item in items]
        if links:
            await self._manager.attach_evidence(alert.id, links)

    async def stop(self) -> None:
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
