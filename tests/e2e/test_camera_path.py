"""A blocked exit seen by a camera becomes an alert with its evidence frames linked,
served by the API and named in the forwarded document; references over the API."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.app.config import load_config
from gateway.app.runner import Serving, serving
from simulators.camera.control import CameraControl
from simulators.camera.scene import SceneRenderer
from simulators.camera.server import CameraSimulator
from tests.helpers import eventually, free_port

TOKEN = {"Authorization": "Bearer e2e-token-0001"}


def camera_yaml(tmp_path: Path, camera_port: int, api_port: int) -> Path:
    polygon = [list(p) for p in SceneRenderer(seed=1).exit_region()]
    path = tmp_path / "gateway.yaml"
    path.write_text(f"""\
site: {{id: s1, name: School One, timezone: Asia/Shanghai}}
zones: [{{id: a1, name: Building A 1F}}]
adapters:
  video: {{evidence_dir: {tmp_path / "evidence"}, references_dir: {tmp_path / "refs"}}}
devices:
  - id: cam-exit
    type: camera
    name: East exit camera
    zone: a1
    location: Building A, east exit
    host: 127.0.0.1
    port: {camera_port}
    device_service_path: /onvif/cam0/device_service
    username: admin
    password: campus-cam
    analytics:
      interval_s: 0.25
      regions: [{{name: east_exit, kind: exit, polygon: {json.dumps(polygon)}}}]
channels:
  - {{type: file, id: log, path: {tmp_path / "alerts.jsonl"}}}
rules:
  - {{id: exit-blocked, select: {{type: camera}}, when: {{point: region.*.blocked}},
     severity: high,
     category: hazard, title: "Exit blocked: {{location}}", channels: [log]}}
store: {{path: {tmp_path / "gateway.db"}}}
api: {{port: {api_port}, token: e2e-token-0001, public_url: "https://gw.school.example"}}
""")
    return path


@pytest.fixture
async def cameras() -> AsyncIterator[CameraSimulator]:
    simulator = CameraSimulator(cameras=1)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def running(tmp_path: Path, cameras: CameraSimulator) -> AsyncIterator[Serving]:
    config = load_config(camera_yaml(tmp_path, cameras.port, free_port()))
    async with serving(config) as running:
        yield running


async def test_reference_over_the_api_needs_the_token(running: Serving) -> None:
    async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
        assert (await client.post("/cameras/cam-exit/reference")).status_code == 401
        missing = await client.post("/cameras/cam-nowhere/reference", headers=TOKEN)
        assert missing.status_code == 404
        assert (await client.get("/cameras/cam-exit/reference")).status_code == 401
        assert (await client.get("/cameras/cam-exit/reference",
                                 headers=TOKEN)).status_code == 404
        taken = await client.post("/cameras/cam-exit/reference", headers=TOKEN)
        assert taken.status_code == 200, taken.text
        shown = (await client.get("/cameras/cam-exit/reference", headers=TOKEN)).json()
        assert shown["camera_id"] == "cam-exit" and shown["captured_at"] > 0
        assert "path" not in shown  # where the server keeps files is not told


async def test_blocked_exit_alert_carries_evidence_frames(
        tmp_path: Path, running: Serving, cameras: CameraSimulator) -> None:
    gateway = running.gateway
    async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
        await eventually(lambda: gateway.registry.devices["cam-exit"].points.get(
            "reference.missing") is True, what="the first analysed frame")
        assert (await client.post("/cameras/cam-exit/reference", headers=TOKEN)).is_success
        cameras.control(0, CameraControl(block_exit=0.8))
        alerts: list[dict[str, object]] = []
        for _ in range(300):
            alerts = (await client.get("/alerts", headers=TOKEN)).json()
            if alerts and alerts[0]["evidence"]:
                break
            await asyncio.sleep(0.05)
        [alert] = alerts
        assert alert["rule_id"] == "exit-blocked"
        evidence = alert["evidence"]
        assert isinstance(evidence, list) and evidence
        assert (await client.get("/" + evidence[-1])).status_code == 401
        outside = await client.get("/evidence/..%2F..%2Fgateway.yaml", headers=TOKEN)
        assert outside.status_code == 404
        frame = await client.get("/" + evidence[-1], headers=TOKEN)
        assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
        manifest = (tmp_path / "evidence" / "cam-exit" / str(alert["id"]) / "manifest.json")
        assert hashlib.sha256(frame.content).hexdigest() in manifest.read_text()
    await eventually(lambda: len((tmp_path / "alerts.jsonl").read_text().splitlines()) >= 2)
    documents = [json.loads(line)["document"]
                 for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert documents[0]["evidence"] == []
    assert documents[-1]["evidence"][-1] == f"https://gw.school.example/{evidence[-1]}"
