"""Camera config, the topic table and the registry entry."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from adapters.base import AdapterContext
from adapters.onvif import build_adapters
from adapters.onvif.config import (
    DEFAULT_TOPICS,
    CameraConfig,
    OnvifSettings,
    TopicMapping,
    topic_path,
)
from adapters.onvif.topics import Notification, TopicTable, raw_point
from adapters.registry import AdapterSettings, DeviceConfig
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock

CAMERA = {"type": "camera", "id": "cam-a-1f-exit", "name": "Building A 1F east exit",
          "zone": "building-a-1f", "host": "10.0.3.21", "username": "gateway",
          "password": "from-env"}


def notification(topic: str, data: dict[str, str], source: dict[str, str] | None = None
                 ) -> Notification:
    return Notification(topic, "Changed", source or {}, data)


def test_a_camera_is_a_device_type_of_the_site_config() -> None:
    device = TypeAdapter(DeviceConfig).validate_python(CAMERA)
    assert isinstance(device, CameraConfig)
    assert device.port == 80 and device.device_service_path == "/onvif/device_service"
    assert device.topic_table == DEFAULT_TOPICS
    assert "from-env" not in repr(device)
    assert AdapterSettings().onvif == OnvifSettings()


def test_unknown_keys_and_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        CameraConfig.model_validate({**CAMERA, "pasword": "x"})
    with pytest.raises(ValidationError, match="device_service_path"):
        CameraConfig.model_validate({**CAMERA, "device_service_path": "onvif"})
    with pytest.raises(ValidationError, match="topic needs a path"):
        TopicMapping(topic="tns1:", point="x")
    with pytest.raises(ValidationError, match="renew_at"):
        OnvifSettings(renew_at=1.5)


def test_every_field_is_described() -> None:
    for model in (CameraConfig, TopicMapping, OnvifSettings):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"


def test_analytics_are_configured_on_the_camera() -> None:
    camera = CameraConfig.model_validate({**CAMERA, "analytics": {
        "regions": [{"name": "exit_east", "polygon": [[10, 10], [100, 10], [100, 200]]}]}})
    assert camera.analytics is not None and camera.analytics.regions[0].name == "exit_east"


def test_topics_match_without_their_namespace_prefix() -> None:
    table = TopicTable([TopicMapping(topic="RuleEngine/CellMotionDetector/Motion",
                                     point="motion", data_item="IsMotion")])
    for topic in ("tns1:RuleEngine/CellMotionDetector/Motion",
                  "tt:RuleEngine/CellMotionDetector/Motion/"):
        [mapped] = table.map(notification(topic, {"IsMotion": "true"}))
        assert (mapped.point, mapped.value) == ("motion", True)
    assert topic_path(" tns1:Device/Trigger/DigitalInput ") == "Device/Trigger/DigitalInput"


def test_default_table_names_digital_inputs_by_their_token() -> None:
    table = TopicTable(DEFAULT_TOPICS)
    [mapped] = table.map(notification("tns1:Device/Trigger/DigitalInput",
                                      {"LogicalState": "false"}, {"InputToken": "roof_door"}))
    assert (mapped.point, mapped.value) == ("input_roof_door", False)
    with pytest.raises(ValueError, match="not a boolean"):
        table.map(notification("tns1:RuleEngine/TamperDetector/Tamper", {"IsTamper": "maybe"}))
    with pytest.raises(ValueError, match="no data item IsTamper"):
        table.map(notification("tns1:RuleEngine/TamperDetector/Tamper", {"Other": "1"}))


def test_raw_points_keep_the_topic_and_a_typed_value() -> None:
    raw = raw_point(notification("tns1:Vendor/Fan", {"Rpm": "1200.5"}))
    assert (raw.point, raw.value) == ("raw:Vendor/Fan", 1200.5)
    assert raw_point(notification("tns1:Vendor/Door", {})).value is None


def test_one_adapter_per_camera_and_none_for_other_devices() -> None:
    devices = TypeAdapter(tuple[DeviceConfig, ...]).validate_python([
        CAMERA, {**CAMERA, "id": "cam-b-2f"},
        {"type": "panic_button", "id": "pb-1", "name": "Guard room", "zone": "gate"}])
    ctx = AdapterContext(site="school", clock=VirtualClock(), bus=EventBus())
    adapters = build_adapters(OnvifSettings(), devices, ctx)
    assert [a.name for a in adapters] == ["onvif cam-a-1f-exit", "onvif cam-b-2f"]
