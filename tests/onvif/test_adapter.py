"""The ONVIF camera adapter against the camera simulator over real SOAP/HTTP."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from adapters.onvif.errors import CorruptSnapshot
from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY, Availability, Quality
from simulators.camera import CameraControl, CameraSimulator, InjectedEvent
from tests.onvif.harness import FAST, Harness, camera_config, running, silent_camera


async def test_connects_and_reads_device_info_profiles_and_uris(
        sim: CameraSimulator, harness: Harness) -> None:
    adapter = harness.start(camera_config(sim, 1))
    await harness.wait_event("cam-exit-1", AVAILABILITY, Availability.ONLINE.value)
    info = adapter.info
    assert info is not None
    assert (info.manufacturer, info.model, info.serial) == ("CampusGW", "SIM-CAM-2", "SIM00001")
    assert [p.token for p in info.profiles] == ["profile_main", "profile_sub"]
    assert (info.profiles[0].width, info.profiles[0].height) == (640, 360)
    assert info.profile == "profile_main"
    assert info.snapshot_uri == f"{sim.base_url}/cam/1/snapshot.jpg"
    assert info.stream_uri == "rtsp://127.0.0.1:554/cam1/main"
    assert info.events
    assert abs(info.clock_offset_s) < 2
    online = harness.of("cam-exit-1", AVAILABILITY)[0]
    assert online.site == "test-school" and "SIM-CAM-2" in (online.detail or "")


async def test_snapshot_is_a_decodable_jpeg_of_the_scene(
        sim: CameraSimulator, harness: Harness) -> None:
    adapter = harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "snapshot_ok", True)
    jpeg = await adapter.snapshot()
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None and frame.shape == (360, 640, 3)
    sim.control(0, CameraControl(cover_lens=True))
    covered = cv2.imdecode(np.frombuffer(await adapter.snapshot(), np.uint8), cv2.IMREAD_COLOR)
    assert covered is not None
    assert float(covered.std()) < float(frame.std()) / 2


async def test_motion_and_tamper_events_follow_the_scene(
        sim: CameraSimulator, harness: Harness) -> None:
    harness.start(camera_config(sim, 0))
    initial = await harness.wait_event("cam-exit-0", "motion", False)
    assert initial.detail == "onvif tns1:RuleEngine/CellMotionDetector/Motion"
    await harness.wait_event("cam-exit-0", "tampering", False)

    sim.control(0, CameraControl(people=2))
    await harness.wait_event("cam-exit-0", "motion", True)
    sim.control(0, CameraControl(people=0, cover_lens=True))
    await harness.wait_event("cam-exit-0", "tampering", True)
    assert [e.value for e in harness.of("cam-exit-0", "motion")] == [False, True, False]
    sim.control(0, CameraControl(clear=True))
    await harness.wait_for("tampering cleared",
                           lambda: harness.of("cam-exit-0", "tampering")[-1].value is False)


async def test_blocking_the_exit_is_seen_as_motion(sim: CameraSimulator,
                                                   harness: Harness) -> None:
    harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    sim.control(0, CameraControl(block_exit=0.7))
    await harness.wait_event("cam-exit-0", "motion", True)
    await harness.wait_for("motion over", lambda: len(harness.of("cam-exit-0", "motion")) >= 3)
    assert harness.of("cam-exit-0", "motion")[-1].value is False


async def test_topic_table_maps_inputs_field_detection_and_line_crossing(
        sim: CameraSimulator, harness: Harness) -> None:
    harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    sim.control(0, CameraControl(event=InjectedEvent(
        topic="tns1:Device/Trigger/DigitalInput", source={"InputToken": "door1"},
        data={"LogicalState": "true"})))
    sim.control(0, CameraControl(event=InjectedEvent(
        topic="tns1:RuleEngine/FieldDetector/ObjectsInside",
        source={"Rule": "RooftopDoor"}, data={"IsInside": "true"})))
    sim.control(0, CameraControl(event=InjectedEvent(
        topic="tns1:RuleEngine/LineDetector/Crossed", data={"ObjectId": "17"})))
    await harness.wait_event("cam-exit-0", "input_door1", True)
    await harness.wait_event("cam-exit-0", "intrusion", True)
    await harness.wait_event("cam-exit-0", "line_crossed", 17)


async def test_configured_topic_table_replaces_the_default(
        sim: CameraSimulator, harness: Harness) -> None:
    config = camera_config(sim, 0, topics=[
        {"topic": "RuleEngine/TamperDetector/Tamper", "point": "camera_tampered",
         "urgent": True}])
    harness.start(config)
    await harness.wait_event("cam-exit-0", "camera_tampered", False)
    sim.control(0, CameraControl(defocus=0.8))
    event = await harness.wait_event("cam-exit-0", "camera_tampered", True)
    assert event.urgent
    # motion is not in this table: it arrives raw, with uncertain quality
    raw = harness.of("cam-exit-0", "raw:RuleEngine/CellMotionDetector/Motion")
    assert raw and raw[0].quality is Quality.UNCERTAIN and raw[0].value is False


async def test_unknown_topic_is_logged_once_and_delivered_raw(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    for level in ("12", "13"):
        sim.control(0, CameraControl(event=InjectedEvent(
            topic="tns1:Monitoring/Vendor/FanSpeed", source={"Fan": "1"},
            data={"Level": level})))
    point = "raw:Monitoring/Vendor/FanSpeed"
    await harness.wait_event("cam-exit-0", point, 13)
    first = harness.of("cam-exit-0", point)[0]
    assert first.value == 12 and first.quality is Quality.UNCERTAIN
    assert "Fan=1" in (first.detail or "") and "Level=12" in (first.detail or "")
    told = [r for r in caplog.records if "Monitoring/Vendor/FanSpeed" in r.getMessage()]
    assert len(told) == 1


async def test_camera_reboot_leads_to_a_fresh_subscription(
        sim: CameraSimulator, harness: Harness) -> None:
    adapter = harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    assert len(sim.cameras[0].subscriptions) == 1
    sim.control(0, CameraControl(reboot=True))
    await harness.wait_for("re-subscription", lambda: adapter.counters()["resubscriptions"] >= 1)
    await harness.wait_for("new subscription", lambda: len(sim.cameras[0].subscriptions) == 1)
    sim.control(0, CameraControl(people=1))
    await harness.wait_event("cam-exit-0", "motion", True)
    assert harness.availability("cam-exit-0") == ["online"]


async def test_camera_down_during_reboot_goes_offline_and_comes_back(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    sim.control(0, CameraControl(reboot=True, reboot_down_s=1.0))
    await harness.wait_event("cam-exit-0", AVAILABILITY, Availability.OFFLINE.value)
    await harness.wait_for("back online",
                           lambda: harness.availability("cam-exit-0")[-1] == "online")
    assert harness.availability("cam-exit-0") == ["online", "offline", "online"]
    offline = [r for r in caplog.records if "is offline" in r.getMessage()]
    back = [r for r in caplog.records if "is back" in r.getMessage()]
    assert len(offline) == 1 and len(back) == 1


async def test_wrong_password_is_a_fault_logged_once_and_other_cameras_work(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    bad = harness.start(camera_config(sim, 0, password="not-the-password"))
    harness.start(camera_config(sim, 1))
    await harness.wait_event("cam-exit-0", AVAILABILITY, Availability.FAULT.value)
    await harness.wait_for("several retries", lambda: bad.counters()["connect_failures"] >= 3)
    fault = harness.of("cam-exit-0", AVAILABILITY)
    assert len(fault) == 1 and (fault[0].detail or "").startswith("auth_failed")
    assert "not authorized" in (fault[0].detail or "")
    assert len([r for r in caplog.records if "cam-exit-0 is in fault" in r.getMessage()]) == 1
    sim.control(1, CameraControl(people=3))
    await harness.wait_event("cam-exit-1", "motion", True)
    assert harness.availability("cam-exit-1") == ["online"]


async def test_camera_clock_an_hour_off_is_compensated(harness: Harness) -> None:
    async with CameraSimulator(cameras=1, password="s3cret-cam",
                               clock_offset_s=3600.0) as sim:
        adapter = harness.start(camera_config(sim, 0))
        await harness.wait_event("cam-exit-0", "motion", False)
        assert adapter.info is not None and abs(adapter.info.clock_offset_s - 3600) < 2
        sim.control(0, CameraControl(people=1))
        await harness.wait_event("cam-exit-0", "motion", True)
        await harness.close()


async def test_soap_faults_are_survived(sim: CameraSimulator, harness: Harness) -> None:
    sim.control(0, CameraControl(fault=2))  # the first two calls of the connection fail
    adapter = harness.start(camera_config(sim, 0))
    harness.start(camera_config(sim, 1))
    await harness.wait_event("cam-exit-0", "motion", False)
    offline = harness.of("cam-exit-0", AVAILABILITY)[0]
    assert offline.value == "offline" and (offline.detail or "").startswith("soap_fault")
    assert harness.availability("cam-exit-0") == ["offline", "online"]
    sim.control(0, CameraControl(fault=1))  # now a PullMessages fails
    await harness.wait_for("re-subscription", lambda: adapter.counters()["resubscriptions"] >= 1)
    sim.control(0, CameraControl(people=1))
    sim.control(1, CameraControl(people=1))
    await harness.wait_event("cam-exit-0", "motion", True)
    await harness.wait_event("cam-exit-1", "motion", True)
    assert harness.availability("cam-exit-1") == ["online"]


async def test_corrupt_jpeg_is_reported_without_harm(sim: CameraSimulator,
                                                     harness: Harness) -> None:
    adapter = harness.start(camera_config(sim, 0))
    other = harness.start(camera_config(sim, 1))
    await harness.wait_event("cam-exit-0", "snapshot_ok", True)
    sim.control(0, CameraControl(corrupt_snapshot=True))
    bad = await harness.wait_event("cam-exit-0", "snapshot_ok", False)
    assert bad.quality is Quality.BAD and (bad.detail or "").startswith("corrupt_snapshot")
    with pytest.raises(CorruptSnapshot, match="truncated or corrupt"):
        await adapter.snapshot()
    assert (await other.snapshot()).startswith(b"\xff\xd8")
    sim.control(0, CameraControl(corrupt_snapshot=False))
    await harness.wait_for("snapshots good again",
                           lambda: harness.of("cam-exit-0", "snapshot_ok")[-1].value is True)
    assert [e.value for e in harness.of("cam-exit-0", "snapshot_ok")] == [True, False, True]
    assert harness.availability("cam-exit-0") == ["online"]
    sim.control(0, CameraControl(people=1))
    await harness.wait_event("cam-exit-0", "motion", True)


async def test_a_hanging_camera_never_delays_another(sim: CameraSimulator,
                                                     harness: Harness) -> None:
    server, port = await silent_camera()
    try:
        patient = FAST.model_copy(update={"request_timeout_s": 4.0})
        hung = harness.start(camera_config(sim, 0, port=port), patient)
        harness.start(camera_config(sim, 1))
        await harness.wait_event("cam-exit-1", "motion", False)
        sim.control(1, CameraControl(people=1))
        started = time.monotonic()
        await harness.wait_event("cam-exit-1", "motion", True)
        assert time.monotonic() - started < 1.5  # the hung camera's request takes 4 s
        offline = await harness.wait_event("cam-exit-0", AVAILABILITY, "offline")
        assert (offline.detail or "").startswith("unreachable") and "no answer" in (
            offline.detail or "")
        assert hung.counters()["online"] == 0
        await harness.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_refused_connection_is_offline_logged_once(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    from tests.helpers import free_port

    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    adapter = harness.start(camera_config(sim, 0, port=free_port()))
    await harness.wait_for("retries", lambda: adapter.counters()["connect_failures"] >= 4)
    assert harness.availability("cam-exit-0") == ["offline"]
    assert len([r for r in caplog.records if "is offline" in r.getMessage()]) == 1


async def test_events_flow_through_renewals_on_the_gateway_clock() -> None:
    """Simulator and adapter share a virtual clock: the subscription (60 s) would expire
    at virtual t+60; the adapter renews it at 80 % of its lifetime and events still flow
    long after, without a new subscription."""
    clock = VirtualClock()
    async with CameraSimulator(cameras=1, password="s3cret-cam", clock=clock) as sim, \
            running(clock) as harness:
        settings = FAST.model_copy(update={"subscription_s": 60.0, "snapshot_check_s": None})
        adapter = harness.start(camera_config(sim, 0), settings)
        await harness.wait_event("cam-exit-0", "motion", False)
        subscription = next(iter(sim.cameras[0].subscriptions.values()))
        first_termination = subscription.termination

        def renewed(times: int) -> Callable[[], bool]:
            return lambda: adapter.counters()["renewals"] >= times

        for times in range(1, 5):  # four times 50 s: well past the first termination time
            await clock.advance(50.0)
            await harness.wait_for(f"renewal {times}", renewed(times))
        assert adapter.counters()["renewals"] == 4
        assert subscription.termination >= first_termination + 150
        assert adapter.counters()["resubscriptions"] == 0
        assert list(sim.cameras[0].subscriptions) == [subscription.id]
        sim.control(0, CameraControl(people=1))
        await harness.wait_event("cam-exit-0", "motion", True)
        await harness.close()


async def test_an_expired_subscription_is_replaced() -> None:
    """If the camera forgets a subscription (here: not renewed in time because the
    clock jumped), the next PullMessages faults and the adapter subscribes again."""
    clock = VirtualClock()
    async with CameraSimulator(cameras=1, password="s3cret-cam", clock=clock) as sim, \
            running(clock) as harness:
        settings = FAST.model_copy(update={"snapshot_check_s": None})
        adapter = harness.start(camera_config(sim, 0), settings)
        await harness.wait_event("cam-exit-0", "motion", False)
        old = set(sim.cameras[0].subscriptions)
        sim.cameras[0].clock_offset_s = 0.0
        for subscription in sim.cameras[0].subscriptions.values():
            subscription.termination = clock.now() - 1  # the camera lets it lapse
        await harness.wait_for("re-subscription",
                               lambda: adapter.counters()["resubscriptions"] >= 1)
        await harness.wait_for("fresh subscription",
                               lambda: bool(sim.cameras[0].subscriptions)
                               and not old & set(sim.cameras[0].subscriptions))
        sim.control(0, CameraControl(people=1))
        await harness.wait_event("cam-exit-0", "motion", True)
        await harness.close()


async def test_snapshot_state_is_published_on_change_only(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    sim.control(0, CameraControl(corrupt_snapshot=True))
    adapter = harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "snapshot_ok", False)
    await harness.wait_for("more checks", lambda: adapter.counters()["snapshot_failures"] >= 3)
    assert len(harness.of("cam-exit-0", "snapshot_ok")) == 1
    assert len([r for r in caplog.records if "snapshot failed" in r.getMessage()]) == 1
    sim.control(0, CameraControl(corrupt_snapshot=False))
    await harness.wait_event("cam-exit-0", "snapshot_ok", True)
    checks = adapter.counters()["snapshot_checks"]
    await harness.wait_for("two more checks",
                           lambda: adapter.counters()["snapshot_checks"] >= checks + 2)
    assert [e.value for e in harness.of("cam-exit-0", "snapshot_ok")] == [False, True]
    assert len([r for r in caplog.records if "good again" in r.getMessage()]) == 1


async def test_a_camera_clock_set_while_connected_is_followed(
        sim: CameraSimulator, harness: Harness) -> None:
    adapter = harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    sim.control(0, CameraControl(clock_offset_s=-900))  # someone sets the camera clock
    await harness.wait_for("reconnection", lambda: adapter.counters()["connects"] >= 2)
    assert adapter.info is not None and abs(adapter.info.clock_offset_s + 900) < 2
    sim.control(0, CameraControl(people=1))
    await harness.wait_event("cam-exit-0", "motion", True)
    assert harness.availability("cam-exit-0") == ["online"]


async def test_a_camera_refusing_events_is_a_fault_not_a_silent_loop(
        sim: CameraSimulator, harness: Harness) -> None:
    """The user may read the device but not subscribe: reconnecting at once would loop
    forever without a word; the adapter reports a fault after one quick retry."""
    harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    sim.control(0, CameraControl(refuse_operations=["CreatePullPointSubscription"],
                                 reboot=True))
    fault = await harness.wait_event("cam-exit-0", AVAILABILITY, Availability.FAULT.value)
    assert "CreatePullPointSubscription" in (fault.detail or "")
    assert harness.availability("cam-exit-0") == ["online", "fault"]


async def test_many_cameras_each_with_its_own_task(harness: Harness) -> None:
    async with CameraSimulator(cameras=6, password="s3cret-cam") as sim:
        adapters = [harness.start(camera_config(sim, i)) for i in range(6)]
        for i in range(6):
            await harness.wait_event(f"cam-exit-{i}", "motion", False)
        sim.control(2, CameraControl(reboot=True, reboot_down_s=1.0))
        for i in range(6):
            sim.control(i, CameraControl(people=1))
        for i in (0, 1, 3, 4, 5):
            await harness.wait_event(f"cam-exit-{i}", "motion", True, within_s=3)
        await harness.wait_event("cam-exit-2", AVAILABILITY, "offline")
        assert [a.counters()["online"] for a in adapters] == [1, 1, 0, 1, 1, 1]
        await harness.wait_event("cam-exit-2", "motion", True)
        await harness.close()


async def test_an_unreadable_snapshot_uri_answer_does_not_take_the_camera_offline(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """GetSnapshotUri answers with an undeclared namespace prefix: device information and
    profiles were read, so the camera is online, without snapshots, said once."""
    caplog.set_level(logging.WARNING, logger="adapters.onvif")
    sim.control(0, CameraControl(malformed_operations=["GetSnapshotUri"]))
    adapter = harness.start(camera_config(sim, 0))
    online = await harness.wait_event("cam-exit-0", AVAILABILITY, Availability.ONLINE.value)
    assert "degraded: bad_answer: GetSnapshotUri" in (online.detail or "")
    no_snapshot = await harness.wait_event("cam-exit-0", "snapshot_ok", False)
    assert no_snapshot.quality is Quality.BAD
    assert (no_snapshot.detail or "").startswith("bad_answer: GetSnapshotUri")
    assert adapter.info is not None and adapter.info.snapshot_uri is None
    assert adapter.info.stream_uri == "rtsp://127.0.0.1:554/cam0/main"
    sim.control(0, CameraControl(people=1))
    await harness.wait_event("cam-exit-0", "motion", True)
    sim.control(0, CameraControl(reboot=True, reboot_down_s=0.5))  # a reconnection
    await harness.wait_for("reconnected", lambda: adapter.counters()["connects"] >= 2)
    await harness.wait_for("online again",
                           lambda: harness.availability("cam-exit-0")[-1] == "online")
    assert len(harness.of("cam-exit-0", "snapshot_ok")) == 1
    told = [r for r in caplog.records if "without snapshots" in r.getMessage()]
    assert len(told) == 1
    assert all(e.value == "online" or (e.detail or "").startswith("unreachable")
               for e in harness.of("cam-exit-0", AVAILABILITY))


async def test_a_camera_answering_pulls_at_once_is_paced_by_the_timeout() -> None:
    """A camera that answers PullMessages at once with nothing is asked again only when
    the timeout asked for (1 s here) is over on the gateway clock, not in a tight loop."""
    clock = VirtualClock()
    async with CameraSimulator(cameras=1, password="s3cret-cam", clock=clock) as sim, \
            running(clock) as harness:
        sim.control(0, CameraControl(pull_wait_s=0))
        settings = FAST.model_copy(update={"snapshot_check_s": None, "pull_timeout_s": 1.0})
        harness.start(camera_config(sim, 0), settings)
        await harness.wait_event("cam-exit-0", "motion", False)  # the Initialized messages
        operations = sim.cameras[0].operations

        def pulls() -> int:
            return operations["PullMessages"]

        await harness.wait_for("an empty pull", lambda: pulls() >= 2)
        await asyncio.sleep(0.3)  # real time: a tight loop would pull hundreds of times
        assert pulls() == 2
        for expected in range(3, 8):
            await clock.advance(1.0)
            await harness.wait_for(f"pull {expected}", lambda n=expected: pulls() >= n)
        await asyncio.sleep(0.1)
        assert pulls() == 7
        sim.control(0, CameraControl(people=1))
        await clock.advance(1.0)
        await harness.wait_event("cam-exit-0", "motion", True)
        await harness.close()


async def test_resubscribing_logs_one_short_line_with_the_fault_at_debug(
        sim: CameraSimulator, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters.onvif")
    adapter = harness.start(camera_config(sim, 0))
    await harness.wait_event("cam-exit-0", "motion", False)
    sim.control(0, CameraControl(fault=1))  # the next PullMessages faults
    await harness.wait_for("re-subscription", lambda: adapter.counters()["resubscriptions"] >= 1)
    lost = [r for r in caplog.records if "subscribing again" in r.getMessage()]
    assert len(lost) == 1 and lost[0].levelno == logging.INFO
    line = lost[0].getMessage()
    assert "\n" not in line and len(line) < 120 and "injected fault" not in line
    said = [r for r in caplog.records if r.levelno == logging.DEBUG
            and "injected fault" in r.getMessage()]
    assert said
