"""Config of the SIA DC-09 receiver and of the alarm panels that report to it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.sia.codes import POINTS
from gateway.core.config import DeviceBase, Loc, StrictModel
from gateway.core.dc09 import WINDOW_AFTER_S, WINDOW_BEFORE_S, parse_key

__all__ = ["PanelZone", "SiaPanelConfig", "SiaSettings", "reference_errors"]

_HEX_ID = r"^[0-9A-F]{1,6}$"


class SiaSettings(StrictModel):
    """The DC-09 receiver the site's alarm panels send to (报警接收)."""

    host: str = Field(default="0.0.0.0", description="Address to listen on.")
    port: int = Field(default=12000, ge=0, le=65535,
                      description="TCP and/or UDP port to listen on (0: any free port).")
    transport: Literal["tcp", "udp", "both"] = Field(default="tcp",
                                                     description="tcp, udp or both.")
    receiver: str = Field(default="0", pattern=_HEX_ID,
                          description="Receiver number (R) answered with when a frame gives "
                                      "none or cannot be read.")
    prefix: str = Field(default="0", pattern=_HEX_ID,
                        description="Account prefix / line (L) answered with when a frame "
                                    "gives none or cannot be read.")
    window_before_s: float = Field(default=WINDOW_BEFORE_S, ge=0,
                                   description="Oldest timestamp taken, seconds behind our "
                                               "clock (DC-09: 40).")
    window_after_s: float = Field(default=WINDOW_AFTER_S, ge=0,
                                  description="Newest timestamp taken, seconds ahead of our "
                                              "clock (DC-09: 20).")
    max_frame_bytes: int = Field(default=1024, ge=64, le=65_536,
                                 description="Longer frames are refused (NAK) unread.")
    repeat_window_s: float = Field(default=300.0, gt=0,
                                   description="How long a frame's sequence number is "
                                               "remembered to recognise a repeat.")
    idle_timeout_s: float = Field(default=300.0, gt=0,
                                  description="A TCP connection silent this long is closed.")


class PanelZone(StrictModel):
    """What one zone of the panel is, in our terms."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                      description="Appended to the point of the zone's events: "
                                  "`pressed.<name>`.")
    zone: str | None = Field(default=None,
                             description="Id of our zone it covers (named in the event "
                                         "detail).")


class SiaPanelConfig(DeviceBase):
    """An alarm panel (报警控制器) reporting over SIA DC-09: SIA DC-03 (SIA-DCS) or Contact
    ID (ADM-CID) events, NULL messages as its heartbeat."""

    type: Literal["sia_panel"] = Field(description="Device type.")
    account: str = Field(pattern=r"^[0-9A-F]{3,16}$",
                         description="The panel's account (3-16 hex digits, capitals).")
    key: SecretStr | None = Field(
        default=None, description="AES key as hex (32, 48 or 64 digits): the panel must "
                                  "encrypt; none: plain frames.")
    protocol: Literal["SIA-DCS", "ADM-CID", "any"] = Field(
        default="any", description="Data the panel sends; frames of another kind get DUH.")
    heartbeat_s: float | None = Field(
        default=None, gt=0,
        description="The panel's NULL message interval; silent for two means offline.")
    zones: dict[int, PanelZone] = Field(
        default_factory=dict, description="Panel zone number (0-9999) → its name and our "
                                          "zone; unmapped zones only appear in the detail.")

    @field_validator("key")
    @classmethod
    def _aes_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            parse_key(key.get_secret_value())  # raises with the reason
        return key

    @model_validator(mode="after")
    def _zone_numbers(self) -> SiaPanelConfig:
        bad = [str(number) for number in self.zones if not 0 <= number <= 9999]
        if bad:
            raise ValueError(f"zone numbers must be 0-9999: {', '.join(bad)}")
        names = Counter(zone.name for zone in self.zones.values())
        twice = sorted(name for name, times in names.items() if times > 1)
        if twice:
            raise ValueError(f"zone names used twice: {', '.join(twice)}")
        return self

    def aes_key(self) -> bytes | None:
        return None if self.key is None else parse_key(self.key.get_secret_value())

    def point_names(self) -> tuple[str, ...]:
        """Every point its codes map to, also per mapped zone (`pressed.a301`)."""
        named = tuple(f"{point}.{zone.name}" for zone in self.zones.values()
                      for point in POINTS)
        return (*POINTS, *named)


def reference_errors(devices: Sequence[DeviceBase]) -> list[tuple[Loc, str]]:
    """Two panels with one account; `devices` index the site config's device list."""
    errors: list[tuple[Loc, str]] = []
    first: dict[str, str] = {}
    for i, device in enumerate(devices):
        if not isinstance(device, SiaPanelConfig):
            continue
        other = first.setdefault(device.account, device.id)
        if other != device.id:
            errors.append((("devices", i, "account"),
                           f"account {device.account} is already panel {other}'s"))
    return errors
