"""Simulated MQTT panic buttons (一键报警) and gate sensors, publishing to a real broker
with the topics and payloads of the adapter's default mappings (docs/mqtt.md)."""

from simulators.mqtt_devices.cli import command
from simulators.mqtt_devices.fleet import MqttDeviceFleet, UnknownDevice, UnsupportedAction

__all__ = ["MqttDeviceFleet", "UnknownDevice", "UnsupportedAction", "command"]
