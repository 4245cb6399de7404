"""The gateway's configuration: site, zones, devices, forwarding channels, rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.registry import DEVICE_TYPES, AdapterSettings, DeviceConfig, point_names
from adapters.registry import reference_errors as adapter_reference_errors
from gateway.config.base import Loc, StrictModel
from gateway.modes_config import ScheduledDrillConfig
from rules.calendar_config import CalendarConfig
from rules.config import RuleConfig
from rules.references import rule_reference_errors


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

    @model_validator(mode="after")
    def _key_with_certificate(self) -> ClientTlsConfig:
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("key_file needs cert_file")
        return self


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

    @field_validator("token")
    @classmethod
    def _token_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty: every operator action would be refused")
        return value

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class GatewayConfig(StrictModel):
    site: SiteConfig = Field(description="The school.")
    zones: tuple[ZoneConfig, ...] = Field(description="Areas of the school.")
    adapters: AdapterSettings = Field(default_factory=AdapterSettings,
                                      description="Protocol connections (MQTT broker, ...).")
    devices: tuple[DeviceConfig, ...] = Field(default=(), description="Every device.")
    channels: tuple[ChannelConfig, ...] = Field(default=(), description="Forwarding channels.")
    calendar: CalendarConfig = Field(default_factory=CalendarConfig,
                                     description="School calendar and the windows rules use.")
    rules: tuple[RuleConfig, ...] = Field(default=(), description="Alert rules.")
    drills: tuple[ScheduledDrillConfig, ...] = Field(
        default=(), description="Planned drills (演练): their alerts are marked as drills.")
    store: StoreConfig = Field(default_factory=StoreConfig, description="Alert store.")
    api: ApiConfig = Field(description="HTTP API and live stream.")

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
        for i, drill in enumerate(self.drills):
            if drill.zone is not None and drill.zone not in zones:
                errors.append((("drills", i, "zone"), f"unknown zone {drill.zone!r}"))
        errors += [(("calendar", *loc), message) for loc, message in
                   self.calendar.reference_errors(zones, {t for z in self.zones for t in z.tags})]
        errors += rule_reference_errors(
            self.rules, self.devices, self.zones, {c.id for c in self.channels}, self.calendar,
            DEVICE_TYPES, lambda device: point_names(self.adapters, device))
        return errors + adapter_reference_errors(self.adapters, self.devices)


def _duplicates(section: str, ids: list[str], what: str) -> list[tuple[Loc, str]]:
    seen: set[str] = set()
    errors: list[tuple[Loc, str]] = []
    for i, item_id in enumerate(ids):
        if item_id in seen:
            errors.append(((section, i, "id"), f"duplicate {what} id {item_id!r}"))
        seen.add(item_id)
    return errors
