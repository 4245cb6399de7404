"""Config of the MQTT connection and of the devices reached through it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from gateway.config.base import DeviceBase, StrictModel


class MqttTlsConfig(StrictModel):
    ca_file: str | None = Field(default=None, description="CA bundle for the broker.")
    cert_file: str | None = Field(default=None, description="Client certificate.")
    key_file: str | None = Field(default=None, description="Client private key.")
    insecure: bool = Field(default=False, description="Skip host name verification.")


class MqttSettings(StrictModel):
    """The broker the gateway subscribes to."""

    host: str = Field(default="127.0.0.1", description="Broker host.")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker port.")
    username: str | None = Field(default=None, description="Broker user name.")
    password: SecretStr | None = Field(default=None, description="Broker password.")
    tls: MqttTlsConfig | None = Field(default=None, description="TLS to the broker.")
    client_id: str = Field(default="campusgw", description="Persistent-session client id.")
    keepalive_s: int = Field(default=30, ge=5, description="MQTT keepalive.")
    topic_prefix: str = Field(default="campus", description="Prefix of device topics.")


class PointMapping(StrictModel):
    """One point read from an MQTT message: `topic` (with `+`/`#`, and `{id}` for the
    device id) and either a JSON field (dotted path) or the plain payload."""

    point: str = Field(description="Point name, e.g. `pressed`.")
    topic: str = Field(description="Topic pattern; `{prefix}` and `{id}` are filled in.")
    json_field: str | None = Field(default=None, description="Dotted JSON path; none: plain.")
    kind: Literal["bool", "int", "float", "str"] = Field(default="bool",
                                                         description="Value type.")
    urgent: bool = Field(default=False, description="Use the bus's priority lane.")


class MqttDeviceBase(DeviceBase):
    mapping: tuple[PointMapping, ...] | None = Field(
        default=None, description="Points of this device; default: the device type's mapping.")


class PanicButtonConfig(MqttDeviceBase):
    """A one-button alarm (一键报警): pressed, tamper, battery_low, heartbeat."""

    type: Literal["panic_button"]


class GateSensorConfig(MqttDeviceBase):
    """A gate position sensor: open, forced, heartbeat."""

    type: Literal["gate_sensor"]
