"""Every device config lists the points its adapter emits: the names for the devices of
config/school.yaml, checked against what the adapters publish when driven by the
simulators."""

from __future__ import annotations

import asyncio
import contextlib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
from pydantic import SecretStr, TypeAdapter

from adapters.base import AdapterContext
from adapters.modbus import build_endpoint_adapters
from adapters.modbus.config import (
    FirePanelConfig,
    GateControllerConfig,
    ModbusDeviceBase,
    ModbusSettings,
    TcpConnection,
)
from adapters.mqtt.config import MqttDeviceBase, PanicButtonConfig, PointMapping
from adapters.mqtt.ingest import MessageIngest
from adapters.mqtt.routing import TopicRouter
from adapters.onvif.config import CameraConfig
from adapters.registry import AdapterSettings, DeviceConfig, point_names
from adapters.video.camera import AnalyticsCamera
from adapters.video.snapshot import SnapshotCredentials
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from gateway.core.config import DeviceBase
from gateway.core.configfile import load_yaml
from gateway.core.events import AVAILABILITY, Event
from simulators.camera import CameraControl, CameraSimulator, InjectedEvent
from simulators.modbus import FirePanelSimulator, GateControllerSimulator
from simulators.mqtt_devices.messages import initial_state, messages_for
from tests.onvif import harness as onvif
from tests.video import harness as video

SCHOOL = Path(__file__).resolve().parents[2] / "config" / "school.yaml"

D = TypeVar("D", bound=DeviceBase)


def school() -> tuple[AdapterSettings, dict[str, DeviceBase]]:
    """The adapter settings and devices of config/school.yaml, validated on their own so
    that the other sections (rules above all) play no part here."""
    data, _ = load_yaml(SCHOOL)
    settings = AdapterSettings.model_validate(data.get("adapters") or {})
    devices: tuple[DeviceBase, ...] = TypeAdapter(
        tuple[DeviceConfig, ...]).validate_python(data["devices"])
    return settings, {device.id: device for device in devices}


def of_type(kind: type[D]) -> list[D]:
    return [device for device in school()[1].values() if isinstance(device, kind)]


ONVIF_POINTS = ("snapshot_ok", "motion", "tampering", "input_*", "intrusion", "line_crossed",
                "raw:*")
VIDEO_POINTS = ("analytics.ok", "reference.missing", "tamper.covered", "tamper.blurred",
                "tamper.moved", "tamper.hazed")

EXPECTED: dict[str, tuple[str, ...]] = {
    "pb-a-301": ("pressed", "tamper", "battery_low", "heartbeat"),
    "gs-east": ("open", "forced", "heartbeat"),
    "fp-bldg-b": ("fire", "pre_alarm", "fault", "supervisory", "silenced", "power_fault",
                  "battery_fault", "zones_in_fire", "event_count", "battery_voltage",
                  "cabinet_temperature", "zone.1.state", "zone.2.state", "zone.3.state",
                  "loop.1.devices", "loop.2.devices"),
    "gc-main": ("gate.1.open", "gate.2.open", "gate.1.forced", "gate.2.forced", "barrier.1.up",
                "bollard.1.raised", "bollard.2.raised", "bollard.3.raised", "bollard.4.raised",
                "vehicle.1.passages", "vehicle.1.plate"),
    "gc-east": ("gate.1.open", "gate.1.forced", "barrier.1.up", "bollard.1.raised",
                "bollard.2.raised", "vehicle.1.passages", "vehicle.1.plate"),
    "cam-a-stair-2": (*ONVIF_POINTS, *VIDEO_POINTS, "region.stair_exit.obstruction",
                      "region.stair_exit.blocked"),
}


@pytest.mark.parametrize("device_id", sorted(EXPECTED))
def test_school_devices_list_their_points(device_id: str) -> None:
    settings, devices = school()
    device = devices[device_id]
    assert device.point_names() == EXPECTED[device_id]
    assert point_names(settings, device) == EXPECTED[device_id]


def test_every_school_device_lists_points_and_never_availability() -> None:
    settings, devices = school()
    for device in devices.values():
        names = point_names(settings, device)
        assert names, device.id
        assert AVAILABILITY not in names
        assert len(set(names)) == len(names)


def test_a_device_of_no_adapter_lists_nothing_and_so_is_not_checked() -> None:
    device = DeviceBase(type="other", id="x-1", name="Other", zone="gate")
    assert device.point_names() == ()


# -- MQTT -----------------------------------------------------------------------------


def _mqtt_points(devices: list[MqttDeviceBase], prefix: str) -> list[Event]:
    """What the MQTT ingest makes of every message the simulated devices send at rest."""
    events: list[Event] = []
    ingest = MessageIngest(TopicRouter.for_devices(devices, prefix), "school", VirtualClock(),
                           events.append, max_payload_bytes=65_536)
    for device in devices:
        state = initial_state(device)
        for topic, payload in messages_for(device, prefix, list(state), state):
            ingest.handle(topic, payload)
    ingest.flush()
    return events


def test_mqtt_devices_emit_exactly_their_mapping_points() -> None:
    settings = school()[0]
    devices = of_type(MqttDeviceBase)
    assert {d.type for d in devices} >= {"panic_button", "gate_sensor"}
    events = _mqtt_points(devices, settings.mqtt.topic_prefix)
    for device in devices:
        emitted = {e.point for e in events if e.device_id == device.id}
        assert emitted == set(device.point_names()), device.id


def test_a_configured_mapping_replaces_the_default_and_repeats_count_once() -> None:
    device = PanicButtonConfig(
        type="panic_button", id="pb-x", name="Alarm", zone="gate",
        mapping=(PointMapping(point="pressed", topic="{prefix}/x/{id}/a"),
                 PointMapping(point="pressed", topic="{prefix}/x/{id}/b"),
                 PointMapping(point="seq", topic="{prefix}/x/{id}/hb", kind="int")))
    assert device.point_names() == ("pressed", "seq")
    assert {e.point for e in _mqtt_points([device], "campus")} == {"pressed", "seq"}


# -- Modbus ---------------------------------------------------------------------------


def _simulator(device: ModbusDeviceBase) -> FirePanelSimulator | GateControllerSimulator:
    """The bundled simulator of the device's type, sized by its `counts`."""
    counts = device.counts
    if isinstance(device, FirePanelConfig):
        return FirePanelSimulator(zones=counts["zones"])
    assert isinstance(device, GateControllerConfig)
    return GateControllerSimulator(gates=counts["gates"], barriers=counts["barriers"],
                                   bollards=counts["bollards"], lanes=counts["lanes"])


async def _first_poll(settings: ModbusSettings, device: ModbusDeviceBase) -> set[str]:
    """The points one poll of the device publishes (the first publishes every point)."""
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    bus_task = asyncio.create_task(bus.run())
    adapters = build_endpoint_adapters(settings, [device],
                                       AdapterContext("school", VirtualClock(), bus))
    try:
        for adapter in adapters:
            for poller in adapter.pollers:
                await poller.poll()
        await bus.drain()
        await asyncio.sleep(0)
    finally:
        for adapter in adapters:
            adapter.connection.close()
        bus_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bus_task
    assert any(e.point == AVAILABILITY and e.value == "online" for e in events)
    return {e.point for e in events if e.point != AVAILABILITY}


async def test_modbus_devices_emit_exactly_their_expanded_points() -> None:
    settings = school()[0]
    devices = of_type(ModbusDeviceBase)
    assert {d.type for d in devices} == {"fire_panel", "gate_controller"}
    for device in devices:
        sim = _simulator(device)
        await sim.start()
        try:
            local = device.model_copy(
                update={"connection": TcpConnection(host="127.0.0.1", port=sim.port)})
            emitted = await _first_poll(settings.modbus, local)
        finally:
            await sim.stop()
        assert emitted == set(device.point_names()), device.id


def _panel(**fields: Any) -> FirePanelConfig:
    return FirePanelConfig.model_validate({
        "type": "fire_panel", "id": "fp-x", "name": "Panel", "zone": "a3",
        "connection": {"host": "127.0.0.1"}, **fields})


ACME = {"points": [
    {"point": "alarm", "table": "discrete_input", "address": 0, "type": "bit"},
    {"point": "zone.{n}.state", "table": "input_register", "address": 10, "repeat": 2,
     "repeat_key": "zones", "first": 0}]}


def test_site_templates_are_known_with_the_settings_only() -> None:
    settings = AdapterSettings.model_validate(
        {"modbus": {"templates": {"acme": ACME, "fire_panel": ACME}}})
    own = _panel(template="acme", counts={"zones": 3})
    assert own.point_names() == ()
    assert point_names(settings, own) == ("alarm", "zone.0.state", "zone.1.state",
                                          "zone.2.state")
    replaced = _panel(counts={"zones": 1})
    assert point_names(settings, replaced) == ("alarm", "zone.0.state")
    assert "fire" in replaced.point_names()  # alone it can only know the built-in map
    unknown = _panel(template="nope")
    assert unknown.point_names() == () and point_names(settings, unknown) == ()


def test_own_points_are_added_to_the_template_or_stand_alone() -> None:
    extra = {"point": "door.{n}.open", "table": "coil", "address": 500, "type": "bit",
             "repeat": 2}
    added = _panel(points=[extra], template="fire_panel", counts={"zones": 1, "loops": 0})
    assert added.point_names()[-3:] == ("zone.1.state", "door.1.open", "door.2.open")
    alone = _panel(points=[extra])
    assert alone.point_names() == ("door.1.open", "door.2.open")


# -- Cameras --------------------------------------------------------------------------


def _camera(**fields: Any) -> CameraConfig:
    return CameraConfig.model_validate({
        "type": "camera", "id": "cam-x", "name": "Camera", "zone": "a3", "host": "127.0.0.1",
        "username": "admin", "password": "pw", **fields})


def test_camera_points_follow_its_topic_table_events_and_analytics() -> None:
    assert _camera().point_names() == ONVIF_POINTS
    assert _camera(events=False).point_names() == ("snapshot_ok",)
    table = _camera(topics=[
        {"topic": "tns1:VideoSource/MotionAlarm", "point": "motion"},
        {"topic": "tns1:RuleEngine/CellMotionDetector/Motion", "point": "motion"},
        {"topic": "tns1:Device/Trigger/Relay", "point": "relay_{source}",
         "source_item": "RelayToken"}],
        analytics={"regions": [{"name": "a", "polygon": [[0, 0], [9, 0], [9, 9]]},
                   {"name": "b", "polygon": [[0, 0], [9, 0], [9, 9]]}]})
    assert table.point_names() == (
        "snapshot_ok", "motion", "relay_*", "raw:*", *VIDEO_POINTS,
        "region.a.obstruction", "region.a.blocked", "region.b.obstruction",
        "region.b.blocked")


def _matches(point: str, names: tuple[str, ...]) -> bool:
    return any(fnmatchcase(point, name) for name in names)


async def test_camera_events_are_among_its_point_names() -> None:
    device = school()[1]["cam-a-1f-east-exit"]
    assert isinstance(device, CameraConfig)
    names = device.point_names()
    sim = CameraSimulator(cameras=1, password=onvif.PASSWORD)
    await sim.start()
    try:
        config = device.model_copy(update={
            "host": "127.0.0.1", "port": sim.port,
            "device_service_path": sim.device_service_path(0),
            "password": SecretStr(onvif.PASSWORD)})
        async with onvif.running() as harness:
            harness.start(config)
            await harness.wait_event(device.id, "motion", False)
            for topic, source, data in (
                    ("tns1:Device/Trigger/DigitalInput", {"InputToken": "door1"},
                     {"LogicalState": "true"}),
                    ("tns1:RuleEngine/FieldDetector/ObjectsInside", {"Rule": "Roof"},
                     {"IsInside": "true"}),
                    ("tns1:RuleEngine/LineDetector/Crossed", {}, {"ObjectId": "17"}),
                    ("tns1:Monitoring/Vendor/FanSpeed", {"Fan": "1"}, {"Level": "12"})):
                sim.control(0, CameraControl(event=InjectedEvent(topic=topic, source=source,
                                                                 data=data)))
            for point, value in (("snapshot_ok", True), ("tampering", False),
                                 ("input_door1", True), ("intrusion", True),
                                 ("line_crossed", 17), ("raw:Monitoring/Vendor/FanSpeed", 12)):
                await harness.wait_event(device.id, point, value)
            emitted = {e.point for e in harness.of(device.id) if e.point != AVAILABILITY}
    finally:
        await sim.stop()
    assert all(_matches(point, names) for point in emitted), emitted
    assert all(any(fnmatchcase(p, name) for p in emitted) for name in ONVIF_POINTS)


async def test_camera_analytics_publish_exactly_their_point_names(tmp_path: Path) -> None:
    device = school()[1]["cam-a-stair-2"]
    assert isinstance(device, CameraConfig) and device.analytics is not None
    clock = VirtualClock()
    scheme: Literal["digest"] = "digest"
    async with video.simulator(clock) as sim:
        config = device.analytics.model_copy(update={"snapshot_url": sim.snapshot_url(0)})
        camera = AnalyticsCamera(device.id, config,
                                 SnapshotCredentials(video.USER, video.PASSWORD, scheme))
        async with video.running_adapter([camera], tmp_path, clock) as run:
            await run.step(device.id, 2)  # no reference yet
            await run.adapter.capture_reference(device.id)
            await run.step(device.id, config.persistence_frames + 1)
            emitted = {e.point for e in run.events if e.point != AVAILABILITY}
    assert emitted == set(device.analytics.point_names())
    assert set(device.analytics.point_names()) <= set(device.point_names())
