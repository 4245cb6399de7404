"""MQTT adapter: one-button panic alarms (一键报警), gate sensors, combustible gas detectors
(可燃气体探测器) and e-bike charging area monitors."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.base import Adapter, AdapterContext
from adapters.mqtt.adapter import MqttAdapter
from adapters.mqtt.config import (
    ChargingMonitorConfig,
    GasDetectorConfig,
    GateSensorConfig,
    MqttDeviceBase,
    MqttSettings,
    PanicButtonConfig,
    PointMapping,
)
from gateway.core.config import DeviceBase

__all__ = [
    "ChargingMonitorConfig",
    "GasDetectorConfig",
    "GateSensorConfig",
    "MqttAdapter",
    "MqttDeviceBase",
    "MqttSettings",
    "PanicButtonConfig",
    "PointMapping",
    "build_adapters",
]


def build_adapters(settings: MqttSettings, devices: Sequence[DeviceBase],
                   ctx: AdapterContext) -> list[Adapter]:
    """One adapter for the broker serving the MQTT devices among `devices`; none if none."""
    mqtt_devices = [device for device in devices if isinstance(device, MqttDeviceBase)]
    if not mqtt_devices:
        return []
    return [MqttAdapter(settings, mqtt_devices, ctx)]
