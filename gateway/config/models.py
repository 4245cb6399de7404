"""The gateway's configuration: site, zones, devices, forwarding channels, rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

from adapters.registry import AdapterSettings, DeviceConfig
from adapters.registry import reference_errors as adapter_reference_errors
from gateway.alerts.model import Category, Severity
from gateway.config.base import Loc, StrictModel
from gateway.events import PointValue


class SiteConfig(StrictModel):
    id: str = Field(description="Site (school) id, sent with every alert.")
    name: str = Field(description="School name as the police know it.")
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the site.")
    address: str = Field(default="", description="Street address, for responders.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ZoneConfig(StrictModel):
    id: str = Field(description="Zone id, e.g. `building-a-3f`.")
    name: str = Field(description="Zone name shown to operators and police.")
    building: str = Field(default="", description="Building the zone is in.")
    floor: str = Field(default="", description="Floor, as signed in the building.")
    tags: tuple[str, ...] = Field(default=(), description="Free tags for rule selectors.")


class RetryConfig(StrictModel):
    initial_s: float = Field(default=0.5, gt=0, description="First retry delay.")
    max_s: float = Field(default=30.0, gt=0, description="Longest retry delay.")


class ClientTlsConfig(StrictModel):
    ca_file: Path | None = Field(default=None, description="CA bundle to verify the server.")
    cert_file: Path | None = Field(default=None, description="Client certificate (mutual TLS).")
    key_file: Path | None = Field(default=None, description="Client private key (mutual TLS).")
    verify: bool = Field(default=True, description="Verify the server certificate.")


class PoliceHttpChannelConfig(StrictModel):
    """HTTP(S) POST to the police linkage platform (公安联网报警平台), signed."""

    type: Literal["police_http"]
    id: str = Field(description="Channel id that rules name.")
    url: str = Field(description="Receiver URL.", pattern=r"^https?://")
    secret: SecretStr = Field(description="Shared secret for the HMAC-SHA256 signature.")
    timeout_s: float = Field(default=5.0, gt=0, description="Timeout for one delivery attempt.")
    tls: ClientTlsConfig | None = Field(default=None, description="TLS and mutual-TLS settings.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=False, description="Also forward drill alerts.")


class FileChannelConfig(StrictModel):
    """Appends alert documents as JSON lines, for sites without an endpoint."""

    type: Literal["file"]
    id: str = Field(description="Channel id that rules name.")
    path: Path = Field(description="JSON-lines file to append to.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=True, description="Also write drill alerts.")


ChannelConfig = Annotated[PoliceHttpChannelConfig | FileChannelConfig,
                          Field(discriminator="type")]


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HourWindow = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]


def _within(window: str, minute: int) -> bool:
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in window.split("-"))
    return start <= minute < end if start <= end else minute >= start or minute < end


class RuleConfig(StrictModel):
    """A point condition on a kind of device, raising one alert per device."""

    id: str = Field(description="Rule id.")
    device_type: str | None = Field(default=None,
                                    description="Match devices of this type (`*`: any).")
    devices: tuple[str, ...] = Field(default=(), description="Or match these device ids.")
    point: str = Field(description="Point to watch (`*` globs allowed, e.g. `zone.*.state`), "
                                   "or `availability`.")
    equals: PointValue = Field(default=True, description="Value that raises the alert.")
    severity: Severity = Field(description="Alert severity.")
    category: Category = Field(description="Alert category.")
    title: str = Field(description="Title template: {device}, {zone}, {location}, {point}, "
                                   "{value}, and {match}: what the point's `*` matched.")
    channels: tuple[str, ...] = Field(default=(), description="Channels that receive it.")
    latching: bool = Field(default=False, description="Only a person can clear it.")
    days: tuple[Weekday, ...] = Field(
        default=(), description="Raise only on these days of the week (site time); none: any.")
    hours: tuple[HourWindow, ...] = Field(
        default=(), description="Raise only within these site-local windows, e.g. "
                                "`07:00-08:00` or `22:00-06:00`; none: any time. A clear is "
                                "never held back.")

    def raises_at(self, moment: datetime) -> bool:
        """Whether this rule may raise an alert at `moment` (site-local)."""
        if self.days and WEEKDAYS[moment.weekday()] not in self.days:
            return False
        if not self.hours:
            return True
        minute = moment.hour * 60 + moment.minute
        return any(_within(window, minute) for window in self.hours)

    @field_validator("title")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            value.format(device="", zone="", location="", point="", value="", match="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad placeholder {exc} (use {{device}}, {{zone}}, "
                             "{location}, {point}, {value}, {match})") from None
        return value


class StoreConfig(StrictModel):
    path: Path = Field(default=Path("var/campusgw.db"), description="SQLite database file.")


class ApiConfig(StrictModel):
    host: str = Field(default="127.0.0.1", description="Listen address.")
    port: int = Field(default=8080, ge=0, le=65535, description="Listen port (0: any free).")
    token: SecretStr = Field(description="Bearer token operators' actions need.")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="How receivers reach this API, for evidence links in alert documents "
                    "(default: http://host:port).")

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class GatewayConfig(StrictModel):
    site: SiteConfig = Field(description="The school.")
    zones: tuple[ZoneConfig, ...] = Field(description="Areas of the school.")
    adapters: AdapterSettings = Field(default_factory=AdapterSettings,
                                      description="Protocol connections (MQTT broker, ...).")
    devices: tuple[DeviceConfig, ...] = Field(default=(), description="Every device.")
    channels: tuple[ChannelConfig, ...] = Field(default=(), description="Forwarding channels.")
    rules: tuple[RuleConfig, ...] = Field(default=(), description="Alert rules.")
    store: StoreConfig = Field(default_factory=StoreConfig, description="Alert store.")
    api: ApiConfig = Field(description="HTTP API and live stream.")

    def applies(self, rule: RuleConfig, device_id: str, device_type: str) -> bool:
        """Whether `rule` watches this device."""
        return device_id in rule.devices or rule.device_type in ("*", device_type)

    def reference_errors(self) -> list[tuple[Loc, str]]:
        """Cross-references that pydantic cannot check field by field."""
        errors: list[tuple[Loc, str]] = []
        errors += _duplicates("zones", [z.id for z in self.zones], "zone")
        errors += _duplicates("devices", [d.id for d in self.devices], "device")
        errors += _duplicates("channels", [c.id for c in self.channels], "channel")
        errors += _duplicates("rules", [r.id for r in self.rules], "rule")
        zones = {z.id for z in self.zones}
        for i, device in enumerate(self.devices):
            if device.zone not in zones:
                errors.append((("devices", i, "zone"), f"unknown zone {device.zone!r}"))
        devices = {d.id for d in self.devices}
        types = {d.type for d in self.devices}
        channels = {c.id for c in self.channels}
        for i, rule in enumerate(self.rules):
            for j, channel in enumerate(rule.channels):
                if channel not in channels:
                    errors.append((("rules", i, "channels", j), f"unknown channel {channel!r}"))
            for j, device_id in enumerate(rule.devices):
                if device_id not in devices:
                    errors.append((("rules", i, "devices", j), f"unknown device {device_id!r}"))
            if rule.device_type not in (None, "*") and rule.device_type not in types:
                errors.append((("rules", i, "device_type"),
                               f"no device of type {rule.device_type!r} is configured"))
            if rule.device_type is None and not rule.devices:
                errors.append((("rules", i), "give device_type or devices"))
        return errors + adapter_reference_errors(self.adapters, self.devices)


def _duplicates(section: str, ids: list[str], what: str) -> list[tuple[Loc, str]]:
    seen: set[str] = set()
    errors: list[tuple[Loc, str]] = []
    for i, item_id in enumerate(ids):
        if item_id in seen:
            errors.append(((section, i, "id"), f"duplicate {what} id {item_id!r}"))
        seen.add(item_id)
    return errors
