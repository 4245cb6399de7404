"""The gateway's whole configuration (site, zones, devices, channels, rules) and its loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator

from adapters.registry import DEVICE_TYPES, AdapterSettings, DeviceConfig, point_names
from adapters.registry import reference_errors as adapter_reference_errors
from gateway.core.accounts import Role
from gateway.core.alerts import Category, Severity
from gateway.core.config import DeviceBase, Loc, StrictModel
from gateway.core.configfile import ConfigError, Place, did_you_mean, load_model
from gateway.core.durations import Duration
from gateway.core.hazards import HazardCategory, HazardLevel
from gateway.core.plans import PlanConfig
from gateway.core.site import SiteConfig, ZoneConfig
from gateway.core.sops import SopConfig
from gateway.forwarding.config import ChannelConfig
from gateway.modes.config import ScheduledDrillConfig
from gateway.reports.config import ReportsConfig
from gateway.store.config import StoreConfig
from rules.calendar_config import CalendarConfig
from rules.config import RuleConfig
from rules.references import rule_reference_errors


class ApiTlsConfig(StrictModel):
    certificate: Path = Field(description="PEM certificate chain of the API.")
    key: Path = Field(description="PEM private key of the certificate.")


class ApiConfig(StrictModel):
    host: str = Field(default="127.0.0.1", description="Listen address.")
    port: int = Field(default=8080, ge=0, le=65535, description="Listen port (0: any free).")
    token: SecretStr | None = Field(
        default=None,
        description="A fixed bearer token for an integration, acting as `token:config` with "
                    "`token_role`. People log in with their own accounts "
                    "(`campusgw users add`); other machine clients get tokens of their own "
                    "(`campusgw tokens add`).")
    token_role: Role = Field(default=Role.OPERATOR, description="The role of `token`.")
    session_idle_minutes: float = Field(
        default=30.0, gt=0, le=24 * 60, description="A console session unused this long ends.")
    tls: ApiTlsConfig | None = Field(
        default=None, description="Serve the API over HTTPS (the session cookie is then "
                                  "Secure).")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="How receivers reach this API, for evidence links in alert documents "
                    "(default: http://host:port).")

    @field_validator("token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 12:
            raise ValueError("must have at least 12 characters (or leave it out)")
        return value

    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return (self.public_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")


ACK_TARGET_S = {Severity.CRITICAL: 60.0, Severity.HIGH: 120.0, Severity.WARNING: 600.0,
                Severity.INFO: 1800.0}


class ConsoleConfig(StrictModel):
    ack_target_s: dict[Severity, float] = Field(
        default_factory=lambda: dict(ACK_TARGET_S),
        description="Seconds within which an alert of each severity should be "
                    "acknowledged: its row changes colour at half and at all of it.")
    snooze_max_minutes: float = Field(default=15, gt=0, le=60,
                                      description="The longest snooze (never critical).")

    @field_validator("ack_target_s")
    @classmethod
    def _every_severity(cls, targets: dict[Severity, float]) -> dict[Severity, float]:
        if any(value <= 0 for value in targets.values()):
            raise ValueError("targets are positive seconds")
        return {**ACK_TARGET_S, **targets}


class RepeatedAlertHazard(StrictModel):
    """A rule's alert repeated in one zone becomes a hazard (an exit blocked three times in
    a week is not an accident)."""

    rule: str = Field(description="The rule id.")
    count: int = Field(default=3, ge=2, le=100, description="This many alerts ...")
    within: Duration = Field(default=7 * 86400.0, gt=0, description="... within this long.")
    category: HazardCategory = Field(description="The plan's category of the hazard.")
    level: HazardLevel = HazardLevel.GENERAL
    responsible: str = Field(min_length=1, description="The user who fixes it.")
    deadline: Duration = Field(default=3 * 86400.0, gt=0,
                               description="Time from the hazard's registration to fix it.")


class HazardsConfig(StrictModel):
    principal: str | None = Field(
        default=None, min_length=1,
        description="The principal's user name: an open hazard still overdue "
                    "`principal_after` past its deadline is escalated to them.")
    principal_after: Duration = Field(
        default=3 * 86400.0, gt=0,
        description="After its deadline, first the supervisors are told; this long after "
                    "it, the principal.")
    inspection_school_day: int = Field(
        default=10, ge=1, le=60,
        description="The quarterly self-inspection (每季度排查) is due on this school day "
                    "of the quarter (holidays do not count).")
    deadline_days: int = Field(default=7, ge=1, le=365,
                               description="The deadline the console offers a new hazard.")
    from_rules: tuple[RepeatedAlertHazard, ...] = Field(
        default=(), description="Rules whose repeated alerts in a zone register a hazard.")


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
    sops: tuple[SopConfig, ...] = Field(
        default=(), description="Procedures (checklists) operators follow, named by rules.")
    plans: tuple[PlanConfig, ...] = Field(
        default=(), description="Site plans: a picture per floor, with device positions.")
    console: ConsoleConfig = Field(default_factory=ConsoleConfig,
                                   description="The control-room console.")
    reports: ReportsConfig = Field(default_factory=ReportsConfig,
                                   description="Monthly reports written on schedule.")
    hazards: HazardsConfig = Field(default_factory=HazardsConfig,
                                   description="The hazard register (隐患排查治理).")

    def reference_errors(self) -> list[tuple[Loc, str]]:
        """Cross-references that pydantic cannot check field by field."""
        errors = basic_reference_errors({
            **{section: [{"id": item.id} for item in getattr(self, section)]
               for section in _SECTIONS},
            "devices": [d.model_dump(include={"id", "zone", "zones"}) for d in self.devices],
            "drills": [{"zone": d.zone} for d in self.drills]})
        devices = {d.id for d in self.devices}
        for i, plan in enumerate(self.plans):
            errors += [(("plans", i, "devices", device), f"unknown device {device!r}"
                        f"{did_you_mean(device, devices)}")
                       for device in plan.devices if device not in devices]
        categories = {c.value for c in Category}
        for i, sop in enumerate(self.sops):
            if sop.category is not None and sop.category not in categories:
                errors.append((("sops", i, "category"), f"unknown category {sop.category!r}"
                               f"{did_you_mean(sop.category, categories)}"))
        zones = {z.id for z in self.zones}
        errors += [(("calendar", *loc), message) for loc, message in
                   self.calendar.reference_errors(zones, {t for z in self.zones for t in z.tags})]
        names: dict[str, tuple[str, ...]] = {}  # per device: the rules ask for each often

        def points_of(device: DeviceBase) -> tuple[str, ...]:
            found = names.get(device.id)
            if found is None:
                found = names[device.id] = point_names(self.adapters, device)
            return found
        errors += rule_reference_errors(
            self.rules, self.devices, self.zones, {c.id for c in self.channels}, self.calendar,
            DEVICE_TYPES, points_of)
        rules = {rule.id for rule in self.rules}
        errors += [(("hazards", "from_rules", i, "rule"), f"unknown rule {repeat.rule!r}"
                    f"{did_you_mean(repeat.rule, rules)}")
                   for i, repeat in enumerate(self.hazards.from_rules) if repeat.rule not in rules]
        return errors + adapter_reference_errors(self.adapters, self.devices)


_SECTIONS = {"zones": "zone", "devices": "device", "channels": "channel", "rules": "rule",
             "sops": "procedure", "plans": "plan"}
"""The sections whose items have ids, and what an item is called."""


def basic_reference_errors(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Duplicate ids and unknown zones, read from the config as plain data: also checked
    when the schema failed, so that every problem is said at once."""
    def items(section: str) -> list[tuple[int, dict[str, Any]]]:
        found = data.get(section)
        return [(i, item) for i, item in enumerate(found if isinstance(found, list | tuple)
                                                   else ()) if isinstance(item, dict)]
    errors: list[tuple[Loc, str]] = []
    for section, what in _SECTIONS.items():
        seen: set[str] = set()
        for i, item in items(section):
            item_id = item.get("id")
            if not isinstance(item_id, str):  # the schema says what is wrong with it
                continue
            if item_id in seen:
                errors.append(((section, i, "id"), f"duplicate {what} id {item_id!r}"))
            seen.add(item_id)
    zones = {z for _, item in items("zones") if isinstance(z := item.get("id"), str)}

    def known(where: Loc, zone: object) -> None:
        if isinstance(zone, str) and zone not in zones:
            errors.append((where, f"unknown zone {zone!r}"
                           f"{did_you_mean(zone, zones)}"))
    for section in ("devices", "drills"):
        for i, item in items(section):
            known((section, i, "zone"), item.get("zone"))
    for i, item in items("devices"):  # the zones of an alarm panel (sia_panel)
        panel_zones = item.get("zones")
        for number, entry in (panel_zones.items() if isinstance(panel_zones, dict) else ()):
            known(("devices", i, "zones", str(number), "zone"),
                  entry.get("zone") if isinstance(entry, dict) else None)
    return errors


def load_config(path: Path | str) -> GatewayConfig:
    """Load and validate a gateway config, or raise `ConfigError` with every problem."""
    return load_located(path)[0]


def load_located(path: Path | str) -> tuple[GatewayConfig, Place]:
    """`load_config`, and where each part of the config was written."""
    config, place = load_model(path, GatewayConfig, also=basic_reference_errors)
    problems = [f"{place(where)}: {message}" for where, message in config.reference_errors()]
    if problems:
        raise ConfigError(problems)
    return config, place
