"""The typed event every adapter emits and everything downstream consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

PointValue = bool | int | float | str | None

AVAILABILITY = "availability"
"""Reserved point name: its value is an `Availability`."""


class Quality(StrEnum):
    """How far a value can be trusted."""

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


class Availability(StrEnum):
    """Whether a device is reachable and healthy."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a device said (or that supervision found out about it).

    `ts` is unix seconds from the gateway clock. `urgent` events (panic, fire) take the
    bus's priority lane. `detail` carries a fault code or a raw payload description.
    """

    site: str
    device_id: str
    point: str
    value: PointValue
    ts: float
    quality: Quality = Quality.GOOD
    urgent: bool = False
    detail: str | None = None

    @property
    def is_availability(self) -> bool:
        return self.point == AVAILABILITY

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, tz=UTC)

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "device_id": self.device_id,
            "point": self.point,
            "value": self.value,
            "quality": self.quality.value,
            "ts": self.time.isoformat(),
            "urgent": self.urgent,
            "detail": self.detail,
        }
