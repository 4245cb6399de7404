"""The one explicit mapping from device types to config models and adapter factories."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from adapters.base import AdapterFactory
from adapters.mqtt.config import GateSensorConfig, MqttSettings, PanicButtonConfig
from gateway.config.base import StrictModel

DeviceConfig = Annotated[
    PanicButtonConfig | GateSensorConfig,
    Field(discriminator="type"),
]


class AdapterSettings(StrictModel):
    """Connection settings per protocol."""

    mqtt: MqttSettings = Field(default_factory=MqttSettings, description="MQTT broker.")


def adapter_factories(settings: AdapterSettings) -> list[AdapterFactory]:
    """One factory per protocol; each picks its own devices from the list it is given."""
    from adapters.mqtt import build_adapters as mqtt_adapters

    return [lambda devices, ctx: mqtt_adapters(settings.mqtt, devices, ctx)]
