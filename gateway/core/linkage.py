"""What a linkage platform (the police) says back about an alert it received."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PoliceStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    CLOSED = "closed"
    CANCEL_ACK = "cancel_ack"
    """The platform took note of a cancellation (a false alarm) the school sent."""


@dataclass(frozen=True, slots=True)
class LinkageStatus:
    """One status as received: from which channel's platform, what, when, and its detail
    (why rejected, which unit and its ETA, the disposition)."""

    channel: str
    status: PoliceStatus
    at: float
    """When the platform says it happened (unix seconds)."""
    received_at: float
    reason: str = ""
    unit: str = ""
    eta_s: float | None = None
    disposition: str = ""
    note: str = ""

    def summary(self) -> str:
        """One line for the alert's history."""
        parts = [f"{self.channel}: {self.status.value}", self.unit,
                 "" if self.eta_s is None else f"ETA {self.eta_s:g} s", self.reason,
                 self.disposition, self.note]
        return " · ".join(part for part in parts if part)

    def to_record(self) -> dict[str, Any]:
        return {"channel": self.channel, "status": self.status.value, "at": self.at,
                "received_at": self.received_at, "reason": self.reason, "unit": self.unit,
                "eta_s": self.eta_s, "disposition": self.disposition, "note": self.note}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LinkageStatus:
        eta = record.get("eta_s")
        return cls(str(record["channel"]), PoliceStatus(record["status"]),
                   float(record["at"]), float(record["received_at"]),
                   str(record.get("reason", "")), str(record.get("unit", "")),
                   None if eta is None else float(eta), str(record.get("disposition", "")),
                   str(record.get("note", "")))
