"""Config of the Modbus side: connections, polling, register-map templates and devices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from adapters.modbus.points import (
    ReadableRange,
    RegisterPoint,
    ResolvedPoint,
    check_overlaps,
    readable_problem,
    validate_map_wrap,
)
from adapters.modbus.register_map import RegisterMap
from adapters.modbus.templates import BUILTIN_TEMPLATES
from gateway.core.config import DeviceBase, Loc, StrictModel


class TcpConnection(StrictModel):
    """Modbus TCP, straight to the device or to a serial gateway."""

    kind: Literal["tcp"] = Field(default="tcp", description="Modbus TCP.")
    host: str = Field(description="Device or gateway host name or address.")
    port: int = Field(default=502, ge=1, le=65535, description="TCP port.")


class SerialConnection(StrictModel):
    """Modbus RTU on a serial line (RS-485), through the pymodbus serial client."""

    kind: Literal["rtu"] = Field(description="Modbus RTU.")
    port: str = Field(min_length=1,
                      description="Serial device, e.g. `/dev/ttyUSB0`, or a pyserial URL "
                                  "such as `socket://host:port` or `rfc2217://host:port`.")
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = Field(
        default=9600, description="Line speed in baud.")
    bytesize: Literal[7, 8] = Field(default=8, description="Data bits.")
    parity: Literal["N", "E", "O"] = Field(default="N", description="Parity: N, E or O.")
    stopbits: Literal[1, 2] = Field(default=1, description="Stop bits.")

    @model_validator(mode="after")
    def _rtu_framing(self) -> SerialConnection:
        if self.bytesize != 8:
            raise ValueError("Modbus RTU needs 8 data bits")
        return self


def _connection_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "tcp"))
    return str(getattr(value, "kind", "tcp"))


Connection = Annotated[
    Annotated[TcpConnection, Tag("tcp")] | Annotated[SerialConnection, Tag("rtu")],
    Discriminator(_connection_kind),
]


class PollingDefaults(StrictModel):
    """Timing every Modbus device has unless it says otherwise."""

    interval_s: float = Field(default=1.0, gt=0, description="Poll interval.")
    jitter_s: float = Field(default=0.05, ge=0,
                            description="Random delay up to this much added to each poll, so "
                                        "devices do not poll in step.")
    refresh_s: float | None = Field(
        default=300.0, gt=0,
        description="Publish every point again this often even if unchanged; none: never.")
    timeout_s: float = Field(default=1.0, gt=0, description="Timeout of one request.")
    offline_after: int = Field(default=3, ge=1,
                               description="Failed polls in a row before a device is offline.")
    retry_initial_s: float = Field(default=1.0, gt=0,
                                   description="First retry delay once offline.")
    retry_max_s: float = Field(default=30.0, gt=0,
                               description="Longest retry delay once offline.")


class ModbusSettings(StrictModel):
    """Modbus polling defaults and the register-map templates devices refer to."""

    polling: PollingDefaults = Field(default_factory=PollingDefaults,
                                     description="Default polling timing.")
    max_gap_registers: int = Field(
        default=16, ge=0, le=124,
        description="Largest run of unused registers a block read may span.")
    max_gap_bits: int = Field(default=64, ge=0, le=1999,
                              description="Largest run of unused bits a block read may span.")
    templates: dict[str, RegisterMap] = Field(
        default_factory=dict,
        description="Named register maps; the built-in `fire_panel` and `gate_controller` "
                    "maps (see docs/modbus.md) are there unless replaced.")

    def template(self, name: str) -> RegisterMap | None:
        """The template called `name`: from config, else built in."""
        if name in self.templates:
            return self.templates[name]
        return BUILTIN_TEMPLATES.get(name)

    def template_names(self) -> list[str]:
        return sorted(set(self.templates) | set(BUILTIN_TEMPLATES))


class ModbusDeviceBase(DeviceBase):
    """A device polled over Modbus: its connection, unit id, register map and timing."""

    connection: Connection = Field(description="How to reach it: tcp (default) or rtu.")
    unit_id: int = Field(default=1, ge=0, le=255,
                         description="Modbus unit (slave) id; 0 or 255 for plain TCP devices.")
    template: str | None = Field(
        default=None, description="Name of the register-map template; none: the device "
                                  "type's built-in map unless `points` are given.")
    points: tuple[RegisterPoint, ...] = Field(
        default=(), description="Points of this device, added to the template's.")
    readable: tuple[ReadableRange, ...] = Field(
        default=(), description="Address ranges this device answers (with the template's).")
    counts: dict[str, Annotated[int, Field(ge=0, le=2000)]] = Field(
        default_factory=dict,
        description="Sizes that override repeated template points, e.g. {zones: 16}.")
    interval_s: float | None = Field(default=None, gt=0,
                                     description="Poll interval; none: the default.")
    timeout_s: float | None = Field(default=None, gt=0,
                                    description="Request timeout; none: the default.")
    refresh_s: float | None = Field(default=None, gt=0,
                                    description="Full refresh period; none: the default.")

    @model_validator(mode="wrap")
    @classmethod
    def _map(cls, data: Any, handler: Any) -> Any:
        return validate_map_wrap(data, handler)

    @property
    def default_template(self) -> str | None:
        return None

    def template_name(self) -> str | None:
        """The template this device uses, if any."""
        if self.template is not None:
            return self.template
        return None if self.points else self.default_template

    def point_names(self) -> tuple[str, ...]:
        """The concrete points of this device's map with the built-in templates (repeated
        points resized by `counts`); empty when its template is not a built-in one. A site
        template replacing a built-in one is only known with the settings:
        `map_point_names` gives the names with them."""
        try:
            return map_point_names(ModbusSettings(), self)
        except KeyError:
            return ()


class FirePanelConfig(ModbusDeviceBase):
    """A fire alarm control panel (火灾报警控制器): panel-level fire, fault, supervisory,
    silenced, power fault and battery fault; per-zone state; per-loop device counts."""

    type: Literal["fire_panel"] = Field(description="Device type.")

    @property
    def default_template(self) -> str | None:
        return "fire_panel"


class GateControllerConfig(ModbusDeviceBase):
    """A gate, barrier and anti-ramming bollard controller, with vehicle passages and
    plates where the controller reads them."""

    type: Literal["gate_controller"] = Field(description="Device type.")

    @property
    def default_template(self) -> str | None:
        return "gate_controller"


MODBUS_DEVICE_TYPES = (FirePanelConfig, GateControllerConfig)


def resolve_map(settings: ModbusSettings,
                device: ModbusDeviceBase) -> tuple[list[ResolvedPoint], list[ReadableRange]]:
    """The concrete points and readable ranges of a device (template plus its own)."""
    entries: list[RegisterPoint] = []
    readable: list[ReadableRange] = list(device.readable)
    name = device.template_name()
    if name is not None:
        template = settings.template(name)
        if template is None:
            raise KeyError(name)
        entries += template.points
        readable += template.readable
    entries += device.points
    points = [p for entry in entries for p in entry.expand(device.counts)]
    return points, readable


def map_point_names(settings: ModbusSettings, device: ModbusDeviceBase) -> tuple[str, ...]:
    """The names of the points a device's poller publishes, in map order; `KeyError` for
    an unknown template."""
    points, _ = resolve_map(settings, device)
    return tuple(dict.fromkeys(point.name for point in points))


def reference_errors(settings: ModbusSettings,
                     devices: Sequence[DeviceBase]) -> list[tuple[Loc, str]]:
    """Problems only visible with settings and devices together (unknown templates,
    overlaps between a template and a device's own points); `devices` index the
    site config's device list."""
    errors: list[tuple[Loc, str]] = []
    for i, device in enumerate(devices):
        if not isinstance(device, ModbusDeviceBase):
            continue
        name = device.template_name()
        if name is not None and settings.template(name) is None:
            known = ", ".join(settings.template_names())
            errors.append((("devices", i, "template"),
                           f"unknown register-map template {name!r} (known: {known})"))
            continue
        if name is None and not device.points:
            errors.append((("devices", i, "points"), "no template and no points"))
            continue
        points, readable = resolve_map(settings, device)
        for problem in check_overlaps(points):
            errors.append((("devices", i), problem))
        for point in points:
            if off_range := readable_problem(point, readable):
                errors.append((("devices", i), off_range))
        names = Counter(p.name for p in points)
        for duplicate in sorted(n for n, times in names.items() if times > 1):
            errors.append((("devices", i), f"point name {duplicate!r} is used twice"))
    return errors
