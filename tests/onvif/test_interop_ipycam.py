"""The camera adapter, the video analytics and `campusgw discover` against PyPI `ipycam`,
an independent ONVIF camera (no events; snapshots with HTTP basic authentication only;
its own WS-Discovery server)."""

from __future__ import annotations

import contextlib
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from adapters.onvif.config import CameraConfig
from adapters.video.camera import AnalyticsCamera
from adapters.video.config import VideoAnalyticsConfig
from adapters.video.snapshot import SnapshotCredentials
from gateway.cli.main import app
from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY, Availability
from tests.helpers import free_port, wait_for_port
from tests.onvif.harness import Harness, free_udp_port
from tests.onvif.peers import PEERS, ROOT, require_ipycam
from tests.video.harness import exit_region, running_adapter

pytestmark = pytest.mark.interop

USER, PASSWORD = "operator", "ipycam-pass"


@contextlib.contextmanager
def ipycam(discovery_port: int | None = None) -> Iterator[int]:
    """ipycam on a free port (with its WS-Discovery server on `discovery_port`); its port."""
    python = require_ipycam()
    port = free_port()
    extra = [str(discovery_port)] if discovery_port is not None else []
    process = subprocess.Popen([python, str(PEERS / "ipycam_camera.py"), str(port), USER,
                                PASSWORD, *extra], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=30)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def ipycam_port() -> Iterator[int]:
    with ipycam() as port:
        yield port


def ipycam_config(port: int, password: str = PASSWORD,
                  snapshot_auth: str = "basic") -> CameraConfig:
    return CameraConfig.model_validate({
        "type": "camera", "id": "cam-gate", "name": "Main gate camera", "zone": "main-gate",
        "host": "127.0.0.1", "port": port, "username": USER,
        "password": SecretStr(password), "snapshot_auth": snapshot_auth})


async def test_adapter_reads_ipycam_and_carries_on_without_events(
        ipycam_port: int, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adapters.onvif")
    adapter = harness.start(ipycam_config(ipycam_port))
    online = await harness.wait_event("cam-gate", AVAILABILITY, Availability.ONLINE.value,
                                      within_s=20)
    assert "no events service" in (online.detail or "")
    info = adapter.info
    assert info is not None and not info.events
    assert info.manufacturer and info.model and info.profiles
    assert info.snapshot_uri and info.snapshot_uri.startswith(f"http://127.0.0.1:{ipycam_port}/")
    jpeg = await adapter.snapshot()
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None and frame.shape[0] > 100
    await harness.wait_event("cam-gate", "snapshot_ok", True)
    said = [r for r in caplog.records if "has no events service" in r.getMessage()]
    assert len(said) == 1
    await harness.wait_for("three checks", lambda: adapter.counters()["checks"] >= 3)
    assert adapter.counters()["connects"] == 1  # checked, never reconnected
    assert harness.availability("cam-gate") == ["online"]


async def test_wrong_password_on_ipycam_is_a_fault(ipycam_port: int, harness: Harness) -> None:
    harness.start(ipycam_config(ipycam_port, password="wrong"))
    fault = await harness.wait_event("cam-gate", AVAILABILITY, Availability.FAULT.value,
                                     within_s=20)
    assert (fault.detail or "").startswith("auth_failed")


async def test_digest_snapshots_refused_by_ipycam_are_said_and_the_camera_stays_online(
        ipycam_port: int, harness: Harness) -> None:
    """ipycam takes basic authentication only: digest is refused with HTTP 401."""
    harness.start(ipycam_config(ipycam_port, snapshot_auth="digest"))
    refused = await harness.wait_event("cam-gate", "snapshot_ok", False, within_s=20)
    assert (refused.detail or "").startswith("auth_failed: snapshot")
    assert harness.availability("cam-gate") == ["online"]


def ipycam_analytics(port: int, scheme: Literal["digest", "basic"]) -> AnalyticsCamera:
    config = VideoAnalyticsConfig.model_validate({
        "snapshot_url": f"http://127.0.0.1:{port}/snapshot.jpg",
        "regions": [exit_region().model_dump()]})
    return AnalyticsCamera("cam-gate", config,
                           SnapshotCredentials(USER, PASSWORD, scheme))


async def test_video_analytics_get_ipycam_frames_with_basic_authentication(
        ipycam_port: int, tmp_path: Path) -> None:
    async with running_adapter([ipycam_analytics(ipycam_port, "basic")], tmp_path,
                               VirtualClock()) as run:
        await run.step("cam-gate", 2)
        assert run.adapter.camera("cam-gate").counters.frames_analysed == 2
        assert run.points("cam-gate", AVAILABILITY) == []


async def test_video_snapshots_refused_by_ipycam_make_the_camera_a_fault_with_its_reason(
        ipycam_port: int, tmp_path: Path) -> None:
    async with running_adapter([ipycam_analytics(ipycam_port, "digest")], tmp_path,
                               VirtualClock()) as run:
        await run.step("cam-gate", 3)
        availability = run.points("cam-gate", AVAILABILITY)
        assert [e.value for e in availability] == ["fault"]
        assert "HTTP 401" in str(availability[0].detail)
        assert "refused the credentials" in str(availability[0].detail)
        assert run.adapter.camera("cam-gate").counters.frames_analysed == 0


def test_discover_finds_ipycam_by_its_own_ws_discovery_and_prints_its_config() -> None:
    """ipycam answers a Probe with a bare ProbeMatch (no ProbeMatches around it) and a name
    scope with an unescaped space; its snapshots take basic authentication only."""
    discovery_port = free_udp_port()
    with ipycam(discovery_port) as port:
        result = CliRunner().invoke(app, [
            "discover", "--interface", "127.0.0.1", "--port", str(discovery_port),
            "--seconds", "10", "--expect", "1", "--username", USER],
            env={"CAMPUSGW_CAMERA_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"XAddrs: http://127.0.0.1:{port}/onvif/device_service" in out
    assert "scope:  onvif://www.onvif.org/name/ipycam interop" in out
    assert "model:  PythonCam VirtualCam-1" in out
    assert "snapshots with basic authentication" in out
    assert "snapshot_auth: basic" in out and f"port: {port}" in out
    assert PASSWORD not in out
