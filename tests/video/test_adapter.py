"""The analytics adapter against the camera simulator over real HTTP (digest auth)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters.video.evidence import verify
from gateway.core.clock import VirtualClock
from gateway.core.config import DeviceBase
from gateway.core.events import AVAILABILITY, Availability, Quality
from gateway.devices.registry import DeviceRegistry
from simulators.camera import CameraControl
from tests.video.harness import (
    analytics_camera,
    one_camera,
    running_adapter,
    simulator,
    wait_for,
)


async def test_a_region_without_reference_says_so_and_is_not_guessed(tmp_path: Path) -> None:
    async with one_camera(tmp_path) as (sim, _, run):
        sim.control(0, CameraControl(block_exit=0.8))
        await run.step("cam-a", 2)
        assert run.last("cam-a", "reference.missing").value is True
        blocked = run.last("cam-a", "region.exit.blocked")
        assert blocked.value is None and blocked.quality is Quality.BAD
        assert run.last("cam-a", "tamper.covered").value is False


async def test_blocked_exit_is_reported_and_cleared(tmp_path: Path) -> None:
    async with one_camera(tmp_path) as (sim, cam, run):
        await run.step("cam-a", 2)
        info = await run.adapter.capture_reference("cam-a")
        await run.settle()
        assert info.captured_at == run.clock.now()
        assert info.path.exists()
        assert run.last("cam-a", "reference.missing").value is False
        await run.step("cam-a", 1)
        single = run.last("cam-a", "region.exit.blocked")
        assert single.value is False and single.quality is Quality.UNCERTAIN
        assert "1 of 4 frames" in str(single.detail)
        await run.step("cam-a", cam.config.persistence_frames)
        assert run.last("cam-a", "region.exit.blocked").value is False
        sim.control(0, CameraControl(block_exit=0.7))
        await run.step("cam-a", cam.config.persistence_frames + 1)
        blocked = run.last("cam-a", "region.exit.blocked")
        assert blocked.value is True and blocked.quality is Quality.GOOD
        obstruction = run.last("cam-a", "region.exit.obstruction").value
        assert isinstance(obstruction, float) and obstruction > 0.55
        sim.control(0, CameraControl(block_exit=0.0))
        await run.step("cam-a", 1)
        assert run.last("cam-a", "region.exit.blocked").value is False


async def test_passers_by_do_not_block_the_exit(tmp_path: Path) -> None:
    async with one_camera(tmp_path) as (sim, _, run):
        await run.step("cam-a", 1)
        await run.adapter.capture_reference("cam-a")
        sim.control(0, CameraControl(people=4, lighting=0.8))
        await run.step("cam-a", 30)
        judged = [e for e in run.points("cam-a", "region.exit.blocked") if e.value is not None]
        trusted = [e.value for e in judged if e.quality is Quality.GOOD]
        assert trusted and not any(trusted)
        # a single frame cannot rule a passer-by out: whatever it says is uncertain
        assert all(e.quality is Quality.UNCERTAIN for e in judged if e.value)


async def test_tampering_is_reported_by_kind(tmp_path: Path) -> None:
    async with one_camera(tmp_path) as (sim, _, run):
        await run.step("cam-a", 1)
        await run.adapter.capture_reference("cam-a")
        await run.step("cam-a", 1)
        assert [run.last("cam-a", f"tamper.{k}").value
                for k in ("covered", "blurred", "moved")] == [False, False, False]

        sim.control(0, CameraControl(cover_lens=True))
        await run.step("cam-a", 1)
        assert run.last("cam-a", "tamper.covered").value is True
        region = run.last("cam-a", "region.exit.blocked")
        assert region.value is None and region.quality is Quality.UNCERTAIN

        sim.control(0, CameraControl(cover_lens=False, defocus=0.8))
        await run.step("cam-a", 1)
        assert run.last("cam-a", "tamper.covered").value is False
        assert run.last("cam-a", "tamper.blurred").value is True

        sim.control(0, CameraControl(defocus=0.0, shift_view=40))
        await run.step("cam-a", 1)
        assert run.last("cam-a", "tamper.blurred").value is False
        assert run.last("cam-a", "tamper.moved").value is True


async def test_corrupt_snapshots_are_counted_and_logged_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with one_camera(tmp_path) as (sim, _, run):
        await run.step("cam-a", 1)
        sim.control(0, CameraControl(corrupt_snapshot=True))
        with caplog.at_level(logging.INFO, logger="adapters.video"):
            await run.step("cam-a", 4)
            counters = run.adapter.counters()
            assert counters["corrupt_frames"] == 4
            assert run.last("cam-a", "analytics.ok").value is False
            sim.control(0, CameraControl(corrupt_snapshot=False))
            await run.step("cam-a", 2)
        assert run.last("cam-a", "analytics.ok").value is True
        failing = [r for r in caplog.records if "failing" in r.getMessage()]
        recovered = [r for r in caplog.records if "working again" in r.getMessage()]
        assert len(failing) == 1 and len(recovered) == 1
        assert "after 4 failures" in recovered[0].getMessage()


async def test_wrong_password_fails_without_leaking_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="adapters.video"):
        async with one_camera(tmp_path, password="not-the-password") as (_, _, run):
            await run.step("cam-a", 2)
            assert run.adapter.counters()["snapshot_failures"] == 2
            assert "refused the credentials" in str(run.last("cam-a", "analytics.ok").detail)
    assert "not-the-password" not in caplog.text


async def test_refused_snapshots_make_the_camera_a_fault_with_its_reason(
        tmp_path: Path) -> None:
    """HTTP 401 on every snapshot: the camera must not look online without points."""
    async with one_camera(tmp_path, password="not-the-password") as (_, _, run):
        registry = DeviceRegistry("school", [_camera_device("cam-a")], run.clock, run.bus)
        run.bus.subscribe(registry.observe)
        await run.step("cam-a", 3)
        availability = run.points("cam-a", AVAILABILITY)
        assert [e.value for e in availability] == ["fault"]
        assert "HTTP 401" in str(availability[0].detail)
        assert "refused the credentials" in str(availability[0].detail)
        state = registry.devices["cam-a"]
        assert state.availability is Availability.FAULT
        assert "HTTP 401" in str(state.availability_detail)


async def test_a_camera_in_fault_is_back_when_snapshots_come_again(tmp_path: Path) -> None:
    async with one_camera(tmp_path) as (sim, _, run):
        await run.step("cam-a", 1)
        assert run.points("cam-a", AVAILABILITY) == []  # online from its points
        sim.control(0, CameraControl(corrupt_snapshot=True))
        await run.step("cam-a", 2)
        sim.control(0, CameraControl(corrupt_snapshot=False))
        await run.step("cam-a", 1)
        availability = run.points("cam-a", AVAILABILITY)
        assert [e.value for e in availability] == ["fault", "online"]
        assert "corrupt snapshot" in str(availability[0].detail)


def _camera_device(camera_id: str) -> DeviceBase:
    return DeviceBase.model_validate({"type": "camera", "id": camera_id, "name": camera_id,
                                      "zone": "building-a-1f"})


async def test_basic_authentication_works_too(tmp_path: Path) -> None:
    async with one_camera(tmp_path, scheme="basic") as (_, _, run):
        await run.step("cam-a", 2)
        assert run.adapter.counters()["frames_analysed"] == 2
        assert run.last("cam-a", "analytics.ok").value is True


async def test_a_hanging_camera_does_not_delay_another(tmp_path: Path) -> None:
    hung: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clock = VirtualClock()
    try:
        async with simulator(clock) as sim:
            slow = analytics_camera("cam-hung", f"http://127.0.0.1:{port}/snapshot.jpg",
                                    timeout_s=2.0)
            fine = analytics_camera("cam-ok", sim.snapshot_url(0))
            async with running_adapter([slow, fine], tmp_path, clock) as run:
                await run.step("cam-ok", 5)
                assert run.adapter.camera("cam-hung").counters.snapshot_failures == 0
                assert run.adapter.camera("cam-ok").counters.frames_analysed == 5
                await wait_for(lambda: run.attempts("cam-hung") >= 1, limit_s=5)
                await run.settle()
                assert "within the timeout" in str(run.last("cam-hung", "analytics.ok").detail)
    finally:
        for writer in hung:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_evidence_holds_the_frames_before_the_alert(tmp_path: Path) -> None:
    async with one_camera(tmp_path, ring_buffer_s=3.0) as (_, _, run):
        await run.step("cam-a", 6)
        items = await run.adapter.evidence.capture("cam-a", "alert-42")
        assert 3 <= len(items) <= 5
        assert [i.role for i in items] == ["before"] * (len(items) - 1) + ["alert"]
        assert items[-1].captured_at - items[0].captured_at <= 3.0
        assert all(verify(i) for i in items)
        assert items[-1].link.startswith("cam-a/alert-42/")
        again = await run.adapter.evidence.capture("cam-a", "alert-42")
        assert [i.sha256 for i in again] == [i.sha256 for i in items]
        with pytest.raises(ValueError):
            await run.adapter.evidence.capture("cam-a", "../escape")


async def test_reference_survives_a_restart(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with simulator(clock) as sim:
        cam = analytics_camera("cam-a", sim.snapshot_url(0))
        async with running_adapter([cam], tmp_path, clock) as run:
            await run.step("cam-a", 1)
            taken = await run.adapter.capture_reference("cam-a")
        await clock.advance(3600)
        async with running_adapter([cam], tmp_path, clock) as run:
            await run.step("cam-a", cam.config.persistence_frames)
            reference = run.adapter.reference("cam-a")
            assert reference is not None and reference.captured_at == taken.captured_at
            assert run.last("cam-a", "reference.missing").value is False
            blocked = run.last("cam-a", "region.exit.blocked")
            assert blocked.value is False and blocked.quality is Quality.GOOD
