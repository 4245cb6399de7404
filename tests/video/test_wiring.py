"""`build_adapters` from camera device configs: the snapshot URL asked over ONVIF."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.base import AdapterContext
from adapters.onvif.config import CameraConfig
from adapters.video import build_adapters, find_video_adapter
from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.config import VideoSettings
from adapters.video.evidence import UnknownCamera
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from tests.video.harness import PASSWORD, USER, exit_region, simulator, wait_for


def camera(port: int, path: str, camera_id: str, analytics: bool = True) -> CameraConfig:
    return CameraConfig.model_validate({
        "type": "camera", "id": camera_id, "name": "Exit camera", "zone": "building-a-1f",
        "host": "127.0.0.1", "port": port, "device_service_path": path, "username": USER,
        "password": SecretStr(PASSWORD),
        "analytics": {"regions": [exit_region().model_dump()]} if analytics else None})


async def test_cameras_without_analytics_get_no_adapter(tmp_path: Path) -> None:
    ctx = AdapterContext("school", VirtualClock(), EventBus())
    plain = camera(80, "/onvif/device_service", "cam-plain", analytics=False)
    assert build_adapters(VideoSettings(), [plain], ctx) == []


async def test_snapshot_url_comes_from_onvif_get_snapshot_uri(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with simulator(clock, cameras=2) as sim:
        devices = [camera(sim.port, sim.device_service_path(1), "cam-b"),
                   camera(sim.port, sim.device_service_path(0), "cam-plain", analytics=False)]
        ctx = AdapterContext("school", clock, EventBus())
        settings = VideoSettings(evidence_dir=tmp_path / "e", references_dir=tmp_path / "r")
        adapters = build_adapters(settings, devices, ctx)
        assert len(adapters) == 1
        adapter = find_video_adapter(adapters)
        assert isinstance(adapter, VideoAnalyticsAdapter)
        assert adapter.camera_ids == ["cam-b"]
        with pytest.raises(UnknownCamera):
            adapter.camera("cam-plain")
        task = asyncio.create_task(adapter.run())
        try:
            for _ in range(200):
                await clock.advance(0.25)
                if await wait_for(lambda: adapter.counters()["frames_analysed"] > 0, 0.05,
                                  fail=False):
                    break
            assert adapter.counters()["frames_analysed"] > 0
            assert adapter.counters()["snapshot_failures"] == 0
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
