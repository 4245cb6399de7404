"""The camera adapter against PyPI `ipycam`, an independent ONVIF camera (no events)."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from pydantic import SecretStr

from adapters.onvif.config import CameraConfig
from gateway.core.events import AVAILABILITY, Availability
from tests.helpers import free_port, wait_for_port
from tests.onvif.harness import Harness
from tests.onvif.peers import PEERS, ROOT, require_ipycam

pytestmark = pytest.mark.interop

USER, PASSWORD = "operator", "ipycam-pass"


@pytest.fixture
def ipycam_port() -> Iterator[int]:
    python = require_ipycam()
    port = free_port()
    process = subprocess.Popen([python, str(PEERS / "ipycam_camera.py"), str(port), USER,
                                PASSWORD], cwd=ROOT, stdout=subprocess.PIPE,
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


def ipycam_config(port: int, password: str = PASSWORD) -> CameraConfig:
    return CameraConfig(type="camera", id="cam-gate", name="Main gate camera", zone="main-gate",
                        host="127.0.0.1", port=port, username=USER,
                        password=SecretStr(password), snapshot_auth="basic")


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
