"""Which cameras' frames become an alert's evidence: the rule's `snapshot` choice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.onvif.config import CameraConfig
from gateway.app.evidence import EvidenceLinker
from gateway.core.alerts import Alert, AlertState, Category, Severity


def camera(camera_id: str, zone: str, analysed: bool = True) -> CameraConfig:
    return CameraConfig.model_validate({
        "type": "camera", "id": camera_id, "name": camera_id, "zone": zone,
        "host": "127.0.0.1", "port": 80, "username": "u", "password": SecretStr("p"),
        "analytics": {"regions": [{"name": "exit", "polygon": [[0, 0], [9, 0], [9, 9]]}]}
        if analysed else None})


class Recorder:
    """Stands in for the video adapter and the alert manager: records what is asked."""

    def __init__(self) -> None:
        self.captured: list[str] = []
        self.attached: list[str] = []

    async def capture_evidence(self, camera_id: str, alert_id: str,
                               at: float | None = None) -> list[Any]:
        self.captured.append(camera_id)
        return [SimpleNamespace(link=f"{alert_id}/{camera_id}.jpg")]

    async def attach_evidence(self, alert_id: str, links: Sequence[str]) -> None:
        self.attached += links


def alert(zone: str) -> Alert:
    return Alert(id="a1", key="k", rule_id="r", site="s", device_id="d", zone=zone,
                 category=Category.HAZARD, severity=Severity.HIGH, title="t", message="",
                 location="", state=AlertState.OPEN, latching=False, drill=False,
                 raised_at=0.0, last_event_at=0.0, event_count=1, revision=1)


@pytest.mark.parametrize(("snapshot", "expected"), [
    (None, ["cam-1", "cam-2"]),          # default: the analysed cameras of the zone
    ((), []),                            # `snapshot: none`
    (("cam-3", "cam-plain"), ["cam-3"]),  # named cameras; one without analytics is skipped
])
async def test_the_rule_chooses_the_cameras(snapshot: tuple[str, ...] | None,
                                            expected: list[str]) -> None:
    devices = [camera("cam-1", "a1"), camera("cam-2", "a1"), camera("cam-3", "a2"),
               camera("cam-plain", "a1", analysed=False)]
    recorder = Recorder()
    linker = EvidenceLinker(recorder, devices, recorder)  # type: ignore[arg-type]
    linker.alert_raised(alert("a1"), snapshot)
    for _ in range(10):
        await asyncio.sleep(0)
    await linker.stop()
    assert recorder.captured == expected
    assert recorder.attached == [f"evidence/a1/{c}.jpg" for c in expected]


async def test_no_capture_starts_once_the_linker_has_stopped() -> None:
    recorder = Recorder()
    linker = EvidenceLinker(recorder, [camera("cam-1", "a1")], recorder)  # type: ignore[arg-type]
    await linker.stop()
    linker.alert_raised(alert("a1"))  # raised while the gateway drains on its way down
    for _ in range(10):
        await asyncio.sleep(0)
    assert recorder.captured == []
