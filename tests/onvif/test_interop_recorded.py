"""The camera adapter against the real-camera replies recorded in npm `onvif` 0.8.1's
server mock-up, one of which (GetSnapshotUri) uses an envelope prefix it never declares."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from adapters.onvif.config import CameraConfig
from gateway.core.events import AVAILABILITY, Availability
from tests.onvif.harness import Harness
from tests.onvif.recorded import (
    PASSWORD,
    SNAPSHOT_PATH,
    USER,
    RecordedCamera,
    declared_envelope,
    recorded_reply,
)

pytestmark = pytest.mark.interop


def recorded_config(camera: RecordedCamera) -> CameraConfig:
    return CameraConfig(type="camera", id="cam-recorded", name="Recorded camera",
                        zone="main-gate", host="127.0.0.1", port=camera.port,
                        username=USER, password=SecretStr(PASSWORD))


async def test_the_broken_snapshot_answer_leaves_the_camera_online_without_snapshots(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    async with RecordedCamera() as camera:
        adapter = harness.start(recorded_config(camera))
        online = await harness.wait_event("cam-recorded", AVAILABILITY,
                                          Availability.ONLINE.value)
        no_snapshot = await harness.wait_event("cam-recorded", "snapshot_ok", False)
        motion = await harness.wait_event("cam-recorded", "motion", True)
    assert camera.operations["GetSnapshotUri"] == 1
    assert "degraded: bad_answer: GetSnapshotUri" in (online.detail or "")
    assert (no_snapshot.detail or "").startswith("bad_answer: GetSnapshotUri")
    info = adapter.info
    assert info is not None
    assert (info.manufacturer, info.model, info.firmware) == (
        "Mockup Manufacturer", "Mockup Model", "Mockup_15_14_13")
    assert info.snapshot_uri is None and info.stream_uri == "rtsp://192.168.68.111/h264main"
    assert info.profiles and info.events
    assert motion.detail == "onvif tns1:RuleEngine/CellMotionDetector/Motion"
    assert harness.availability("cam-recorded") == ["online"]
    said = [r for r in caplog.records if "GetSnapshotUri" in r.getMessage()]
    assert len(said) == 1


async def test_with_the_prefix_declared_the_rest_of_the_recording_reads(
        harness: Harness) -> None:
    fixed = declared_envelope(recorded_reply("GetSnapshotUri.xml"))
    async with RecordedCamera({"GetSnapshotUri.xml": fixed}) as camera:
        adapter = harness.start(recorded_config(camera))
        online = await harness.wait_event("cam-recorded", AVAILABILITY,
                                          Availability.ONLINE.value)
        await harness.wait_event("cam-recorded", "snapshot_ok", True)
        await harness.wait_event("cam-recorded", "motion", True)
        jpeg = await adapter.snapshot()
    info = adapter.info
    assert info is not None and not info.missing
    assert "degraded" not in (online.detail or "")
    assert info.snapshot_uri == (f"{camera.base_url}{SNAPSHOT_PATH}"
                                 "?resolution=800x600&compression=20&camera=1")
    assert jpeg.startswith(b"\xff\xd8")
    assert [e.value for e in harness.of("cam-recorded", "snapshot_ok")] == [True]
    assert info.clock_offset_s < -365 * 86400  # the recording's clock says 2014
