"""The one explicit mapping from device types to config models and adapter factories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field

from adapters.base import AdapterFactory
from adapters.modbus.config import FirePanelConfig, GateControllerConfig, ModbusSettings
from adapters.modbus.config import reference_errors as modbus_reference_errors
from adapters.mqtt.config import GateSensorConfig, MqttSettings, PanicButtonConfig
from adapters.onvif.config import CameraConfig, OnvifSettings
from adapters.video.config import VideoSettings
from gateway.config.base import DeviceBase, Loc, StrictModel

DeviceConfig = Annotated[
    PanicButtonConfig | GateSensorConfig | CameraConfig | FirePanelConfig | GateControllerConfig,
    Field(discriminator="type"),
]


class AdapterSettings(StrictModel):
    """Connection settings per protocol."""

    mqtt: MqttSettings = Field(default_factory=MqttSettings, description="MQTT broker.")
    onvif: OnvifSettings = Field(default_factory=OnvifSettings,
                                 description="ONVIF cameras: timeouts, subscriptions, retries.")
    modbus: ModbusSettings = Field(default_factory=ModbusSettings,
                                   description="Modbus polling defaults and register-map "
                                               "templates.")
    video: VideoSettings = Field(default_factory=VideoSettings,
                                 description="Camera analytics: evidence and reference "
                                             "folders, analysis threads.")


def reference_errors(settings: AdapterSettings,
                     devices: Sequence[DeviceBase]) -> list[tuple[Loc, str]]:
    """Problems only visible with the adapters' settings and the devices together."""
    return modbus_reference_errors(settings.modbus, devices)


def adapter_factories(settings: AdapterSettings) -> list[AdapterFactory]:
    """One factory per protocol; each picks its own devices from the list it is given."""
    from adapters.modbus import build_adapters as modbus_adapters
    from adapters.mqtt import build_adapters as mqtt_adapters
    from adapters.onvif import build_adapters as onvif_adapters
    from adapters.video import build_adapters as video_adapters

    return [lambda devices, ctx: mqtt_adapters(settings.mqtt, devices, ctx),
            lambda devices, ctx: onvif_adapters(settings.onvif, devices, ctx),
            lambda devices, ctx: modbus_adapters(settings.modbus, devices, ctx),
            lambda devices, ctx: video_adapters(settings.video, devices, ctx, settings.onvif)]
