"""The one explicit mapping from device types to config models and adapter factories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, get_args

from pydantic import Field

from adapters.base import AdapterFactory
from adapters.modbus.config import (
    FirePanelConfig,
    GateControllerConfig,
    ModbusDeviceBase,
    ModbusSettings,
    map_point_names,
)
from adapters.modbus.config import reference_errors as modbus_reference_errors
from adapters.mqtt.config import (
    ChargingMonitorConfig,
    GasDetectorConfig,
    GateSensorConfig,
    MqttSettings,
    PanicButtonConfig,
)
from adapters.onvif.config import CameraConfig, OnvifSettings
from adapters.sia.config import SiaPanelConfig, SiaSettings
from adapters.sia.config import reference_errors as sia_reference_errors
from adapters.video.config import VideoSettings
from gateway.core.config import DeviceBase, Loc, StrictModel

DeviceConfig = Annotated[
    PanicButtonConfig | GateSensorConfig | GasDetectorConfig | ChargingMonitorConfig
    | CameraConfig | FirePanelConfig | GateControllerConfig | SiaPanelConfig,
    Field(discriminator="type"),
]

DEVICE_TYPES: frozenset[str] = frozenset(
    literal for member in get_args(get_args(DeviceConfig)[0])
    for literal in get_args(member.model_fields["type"].annotation))
"""Every device type the adapters know."""


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
    sia: SiaSettings = Field(default_factory=SiaSettings,
                             description="SIA DC-09 receiver that alarm panels send to.")


def reference_errors(settings: AdapterSettings,
                     devices: Sequence[DeviceBase]) -> list[tuple[Loc, str]]:
    """Problems only visible with the adapters' settings and the devices together."""
    return modbus_reference_errors(settings.modbus, devices) + sia_reference_errors(devices)


def point_names(settings: AdapterSettings, device: DeviceBase) -> tuple[str, ...]:
    """The points `device` can emit (without `availability`), knowing what only the
    adapters' settings say (the site's Modbus templates); empty: unknown."""
    if isinstance(device, ModbusDeviceBase):
        try:
            return map_point_names(settings.modbus, device)
        except KeyError:  # an unknown template, reported by `reference_errors`
            return ()
    return device.point_names()


def adapter_factories(settings: AdapterSettings) -> list[AdapterFactory]:
    """One factory per protocol; each picks its own devices from the list it is given."""
    from adapters.modbus import build_adapters as modbus_adapters
    from adapters.mqtt import build_adapters as mqtt_adapters
    from adapters.onvif import build_adapters as onvif_adapters
    from adapters.sia import build_adapters as sia_adapters
    from adapters.video import build_adapters as video_adapters

    return [lambda devices, ctx: mqtt_adapters(settings.mqtt, devices, ctx),
            lambda devices, ctx: onvif_adapters(settings.onvif, devices, ctx),
            lambda devices, ctx: modbus_adapters(settings.modbus, devices, ctx),
            lambda devices, ctx: video_adapters(settings.video, devices, ctx, settings.onvif),
            lambda devices, ctx: sia_adapters(settings.sia, devices, ctx)]
