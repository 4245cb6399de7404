"""Config of the MQTT connection and of the devices reached through it."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from adapters.mqtt.default_points import (
    CHARGING_MONITOR_POINTS,
    GAS_DETECTOR_POINTS,
    GATE_SENSOR_POINTS,
    PANIC_BUTTON_POINTS,
)
from adapters.mqtt.mapping import PointMapping
from gateway.core.config import DeviceBase, StrictModel

__all__ = [
    "ChargingMonitorConfig",
    "GasDetectorConfig",
    "GateSensorConfig",
    "MqttDeviceBase",
    "MqttSettings",
    "MqttTlsConfig",
    "PanicButtonConfig",
    "PointMapping",
]


class MqttTlsConfig(StrictModel):
    """TLS to the broker; with no CA file the system's trusted CAs verify it."""

    ca_file: str | None = Field(default=None, description="CA bundle for the broker.")
    cert_file: str | None = Field(default=None, description="Client certificate (mutual TLS).")
    key_file: str | None = Field(default=None, description="Client private key (mutual TLS).")
    insecure: bool = Field(default=False, description="Skip host name verification.")

    @model_validator(mode="after")
    def _certificate_with_key(self) -> MqttTlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both cert_file and key_file, or neither")
        return self


class MqttSettings(StrictModel):
    """The broker the gateway subscribes to."""

    host: str = Field(default="127.0.0.1", description="Broker host.")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker port.")
    username: str | None = Field(default=None, description="Broker user name.")
    password: SecretStr | None = Field(default=None, description="Broker password.")
    tls: MqttTlsConfig | None = Field(default=None, description="TLS to the broker.")
    client_id: str = Field(
        default="campusgw", min_length=1, max_length=128,
        description="Persistent-session client id: keep it stable so that the broker queues "
                    "what devices publish while the gateway is away; unique per gateway.")
    keepalive_s: int = Field(default=30, ge=5, le=65535, description="MQTT keepalive.")
    topic_prefix: str = Field(default="campus", pattern=r"^[^+#]+$",
                              description="Prefix of device topics (`{prefix}` in mappings).")
    connect_timeout_s: float = Field(default=5.0, gt=0,
                                     description="Timeout of one TCP/TLS connection attempt.")
    reconnect_initial_s: float = Field(default=0.5, gt=0,
                                       description="First reconnect delay (before jitter).")
    reconnect_max_s: float = Field(default=30.0, gt=0,
                                   description="Longest reconnect delay (before jitter).")
    max_payload_bytes: int = Field(
        default=65_536, ge=16,
        description="Larger messages are counted as malformed and never parsed.")

    @model_validator(mode="after")
    def _consistent(self) -> MqttSettings:
        if self.password is not None and self.username is None:
            raise ValueError("a password needs a username")
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect_max_s must be at least reconnect_initial_s")
        return self


class MqttDeviceBase(DeviceBase):
    """A device that publishes to the broker; its points come from `mapping` or, when that
    is not given, from its type's default mapping."""

    default_mapping: ClassVar[tuple[PointMapping, ...]] = ()

    mapping: tuple[PointMapping, ...] | None = Field(
        default=None, min_length=1,
        description="Points of this device; default: the device type's mapping.")

    @property
    def points(self) -> tuple[PointMapping, ...]:
        """The mapping in force: the configured one, else the type's default."""
        return self.mapping if self.mapping is not None else self.default_mapping

    def point_names(self) -> tuple[str, ...]:
        """The points of the mapping in force, each once, in mapping order."""
        return tuple(dict.fromkeys(mapping.point for mapping in self.points))


class PanicButtonConfig(MqttDeviceBase):
    """A one-button alarm (一键报警): pressed, tamper, battery_low, heartbeat."""

    default_mapping: ClassVar[tuple[PointMapping, ...]] = PANIC_BUTTON_POINTS

    type: Literal["panic_button"] = Field(description="Device type.")


class GateSensorConfig(MqttDeviceBase):
    """A gate position sensor: open, forced, heartbeat."""

    default_mapping: ClassVar[tuple[PointMapping, ...]] = GATE_SENSOR_POINTS

    type: Literal["gate_sensor"] = Field(description="Device type.")


class GasDetectorConfig(MqttDeviceBase):
    """A combustible gas detector (可燃气体探测器), e.g. in a canteen kitchen: gas_alarm,
    lel_percent, fault, heartbeat."""

    default_mapping: ClassVar[tuple[PointMapping, ...]] = GAS_DETECTOR_POINTS

    type: Literal["gas_detector"] = Field(description="Device type.")


class ChargingMonitorConfig(MqttDeviceBase):
    """An e-bike charging area monitor (电动自行车集中充电区): smoke, temperature_c,
    circuit_on, heartbeat."""

    default_mapping: ClassVar[tuple[PointMapping, ...]] = CHARGING_MONITOR_POINTS

    type: Literal["charging_monitor"] = Field(description="Device type.")
