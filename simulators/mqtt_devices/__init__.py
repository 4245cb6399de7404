"""Simulated MQTT panic buttons (一键报警), gate sensors, gas detectors and e-bike charging
area monitors, publishing to a real broker with the topics and payloads of the adapter's
default mappings (docs/mqtt.md)."""

from simulators.mqtt_devices.fleet import (
    InvalidValue,
    MqttDeviceFleet,
    UnknownDevice,
    UnsupportedAction,
)

__all__ = ["InvalidValue", "MqttDeviceFleet", "UnknownDevice", "UnsupportedAction"]
