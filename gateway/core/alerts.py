"""What an alert is: severity, category, state, and the spec a rule emits."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from gateway.core.linkage import LinkageStatus, PoliceStatus
from gateway.core.sops import ChecklistItem
from gateway.core.timefmt import iso


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class Category(StrEnum):
    PANIC = "panic"
    FIRE = "fire"
    INTRUSION = "intrusion"
    PERIMETER = "perimeter"
    TRAFFIC = "traffic"
    HAZARD = "hazard"
    TAMPER = "tamper"
    DEVICE_HEALTH = "device_health"
    MAINTENANCE = "maintenance"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


class Closure(StrEnum):
    """Why an alert was resolved."""

    REAL = "real"
    FALSE_ALARM = "false_alarm"
    TECHNICAL = "technical"
    DRILL = "drill"


class DispatchKind(StrEnum):
    GUARD = "guard"
    POLICE = "police"
    FIRE = "fire"
    MEDICAL = "medical"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Someone sent to the alert's place: whom, by whom, when."""

    kind: DispatchKind
    to: str
    by: str
    at: float
    note: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "to": self.to, "by": self.by, "at": self.at,
                "note": self.note}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Dispatch:
        return cls(DispatchKind(record["kind"]), str(record["to"]), str(record["by"]),
                   float(record["at"]), str(record.get("note", "")))

@dataclass(frozen=True, slots=True)
class EscalationStep:
    """What happens to an alert nobody has acknowledged `after_s` seconds after it was
    raised (counted from the raise, not from the previous step).

    The severity is raised to at least `severity` (never lowered); `channels` are added to
    the alert, so this and every later revision goes there too; with `renotify` the
    escalated revision is forwarded again to all the alert's channels, otherwise only to
    the added ones.
    """

    after_s: float
    severity: Severity | None = None
    channels: tuple[str, ...] = ()
    renotify: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        if not self.after_s >= 0:
            raise ValueError(f"escalation after_s must be >= 0, got {self.after_s!r}")


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """What a rule asks for: raise (or update) the alert identified by `key`.

    `key` groups signals into one incident (by default rule id + device id). A latching
    alert (panic, fire) is never cleared by the system, only by a person.
    """

    key: str
    rule_id: str
    site: str
    device_id: str
    zone: str
    category: Category
    severity: Severity
    title: str
    message: str = ""
    location: str = ""
    channels: tuple[str, ...] = ()
    latching: bool = False
    ts: float = 0.0
    drill: bool = False
    evidence: tuple[str, ...] = ()
    escalation: tuple[EscalationStep, ...] = ()
    sop: str = ""
    title_en: str = ""
    snapshot: tuple[str, ...] | None = None
    """Cameras whose frames become evidence; None: the analysed cameras of its zone."""


@dataclass(frozen=True, slots=True)
class ClearSpec:
    """The condition behind alert `key` has cleared; non-latching alerts auto-resolve."""

    key: str
    ts: float
    reason: str = "condition cleared"


Outcome = AlertSpec | ClearSpec
"""What a rule engine hands the alert manager."""


@dataclass(slots=True)
class Alert:
    """An alert as stored."""

    id: str
    key: str
    rule_id: str
    site: str
    device_id: str
    zone: str
    category: Category
    severity: Severity
    title: str
    message: str
    location: str
    state: AlertState
    latching: bool
    drill: bool
    raised_at: float
    last_event_at: float
    event_count: int
    revision: int
    channels: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    receipts: dict[str, str] = field(default_factory=dict)
    escalation: tuple[EscalationStep, ...] = ()
    escalation_level: int = 0
    sop: str = ""
    cleared_unseen: bool = False
    """It cleared by itself while still open: it stays before the operators until one of
    them acknowledges having seen it."""
    title_en: str = ""
    sop_id: str = ""
    """The procedure its checklist comes from ("" when none)."""
    sop_version: int = 0
    owner: str = ""
    """Who claimed it: only they act on it, unless a supervisor forces ("": nobody)."""
    snoozed_until: float | None = None
    closure: Closure | None = None
    """Why it was resolved."""
    checklist: tuple[ChecklistItem, ...] = ()
    dispatches: tuple[Dispatch, ...] = ()
    linkage: tuple[LinkageStatus, ...] = ()
    """What the linkage platforms said back, in the order received."""

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def status_after(self, status: PoliceStatus) -> float | None:
        """Seconds from the raise to the first time a platform said `status`."""
        first = next((s.at for s in self.linkage if s.status is status), None)
        return None if first is None else round(first - self.raised_at, 3)

    @property
    def next_escalation(self) -> EscalationStep | None:
        """The step still to apply; None once acknowledged, resolved or closed."""
        if self.state is not AlertState.OPEN or self.escalation_level >= len(self.escalation):
            return None
        return self.escalation[self.escalation_level]

    @property
    def next_escalation_at(self) -> float | None:
        """When the next step is due (unix seconds), if there is one."""
        step = self.next_escalation
        return None if step is None else self.raised_at + step.after_s

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "rule_id": self.rule_id,
            "site": self.site,
            "device_id": self.device_id,
            "zone": self.zone,
            "category": self.category.value,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "location": self.location,
            "state": self.state.value,
            "latching": self.latching,
            "drill": self.drill,
            "raised_at": iso(self.raised_at, tz),
            "last_event_at": iso(self.last_event_at, tz),
            "event_count": self.event_count,
            "revision": self.revision,
            "channels": list(self.channels),
            "evidence": list(self.evidence),
            "receipts": dict(self.receipts),
            "escalation_level": self.escalation_level,
            "sop": self.sop,
            "cleared_unseen": self.cleared_unseen,
            "title_en": self.title_en,
            "sop_id": self.sop_id,
            "sop_version": self.sop_version,
            "owner": self.owner,
            "snoozed_until": None if self.snoozed_until is None else iso(self.snoozed_until, tz),
            "closure": None if self.closure is None else self.closure.value,
            "checklist": [{**item.to_record(),
                           "at": None if item.at is None else iso(item.at, tz)}
                          for item in self.checklist],
            "dispatches": [{**d.to_record(), "at": iso(d.at, tz)} for d in self.dispatches],
            "linkage": [{**s.to_record(), "at": iso(s.at, tz),
                         "received_at": iso(s.received_at, tz)} for s in self.linkage],
            "police_accepted_after_s": self.status_after(PoliceStatus.ACCEPTED),
            "police_on_scene_after_s": self.status_after(PoliceStatus.ON_SCENE),
            "next_escalation_at": (None if (due := self.next_escalation_at) is None
                                   else iso(due, tz)),
        }


@dataclass(frozen=True, slots=True)
class Place:
    """The names a receiver needs beside an alert's ids (from the site config)."""

    site_name: str
    zone_name: str
    building: str
    floor: str
    device_name: str
    device_type: str
    point: tuple[float, float] | None = None
    """Where the zone is on the map, (lat, lon) WGS 84, when the config says."""
    polygon: tuple[tuple[float, float], ...] = ()
    """The zone's outline on the map, when the config gives one."""


@dataclass(frozen=True, slots=True)
class AlertRevision:
    """One revision of an alert, frozen as it was stored: everything a forwarding channel
    needs to encode its own message for it, on any attempt, after any restart."""

    alert: Alert
    place: Place
    updated_at: float
    timezone: str
    """IANA name of the site's time zone: messages give local times with their offset."""
    evidence_base_url: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> str:
        return json.dumps({"alert": alert_record(self.alert), "place": asdict(self.place),
                           "updated_at": self.updated_at, "timezone": self.timezone,
                           "evidence_base_url": self.evidence_base_url},
                          ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AlertRevision:
        data = json.loads(text)
        return cls(alert_from_record(data["alert"]), _place(data["place"]),
                   float(data["updated_at"]), str(data["timezone"]),
                   str(data["evidence_base_url"]))


def _place(record: dict[str, Any]) -> Place:
    """A stored place; revisions stored before places had coordinates have none."""
    point = record.get("point")
    return Place(**{**record, "point": None if point is None else (point[0], point[1]),
                    "polygon": tuple((lat, lon) for lat, lon in record.get("polygon", ()))})


def alert_record(alert: Alert) -> dict[str, Any]:
    """Every stored field of `alert` as JSON values (enums as their values, tuples as
    lists, times as unix seconds); `alert_from_record` reads it back equal."""
    record = {name: getattr(alert, name) for name in ALERT_FIELDS}
    record.update(category=alert.category.value, severity=alert.severity.value,
                  state=alert.state.value, channels=list(alert.channels),
                  evidence=list(alert.evidence), receipts=dict(alert.receipts),
                  escalation=[step_record(step) for step in alert.escalation],
                  closure=None if alert.closure is None else alert.closure.value,
                  checklist=[item.to_record() for item in alert.checklist],
                  dispatches=[d.to_record() for d in alert.dispatches],
                  linkage=[s.to_record() for s in alert.linkage])
    return record


def alert_from_record(record: dict[str, Any]) -> Alert:
    return Alert(**{**record, "category": Category(record["category"]),
                    "severity": Severity(record["severity"]),
                    "state": AlertState(record["state"]),
                    "latching": bool(record["latching"]), "drill": bool(record["drill"]),
                    "cleared_unseen": bool(record.get("cleared_unseen", False)),
                    "channels": tuple(record["channels"]),
                    "evidence": tuple(record["evidence"]),
                    "receipts": dict(record["receipts"]),
                    "escalation": tuple(step_from_record(step)
                                        for step in record["escalation"]),
                    "closure": None if record.get("closure") is None
                    else Closure(record["closure"]),
                    "checklist": tuple(ChecklistItem.from_record(item)
                                       for item in record.get("checklist", ())),
                    "dispatches": tuple(Dispatch.from_record(item)
                                        for item in record.get("dispatches", ())),
                    "linkage": tuple(LinkageStatus.from_record(item)
                                     for item in record.get("linkage", ()))})


def step_record(step: EscalationStep) -> dict[str, Any]:
    return {"after_s": step.after_s,
            "severity": None if step.severity is None else step.severity.value,
            "channels": list(step.channels), "renotify": step.renotify, "note": step.note}


def step_from_record(item: dict[str, Any]) -> EscalationStep:
    severity = item["severity"]
    return EscalationStep(after_s=item["after_s"],
                          severity=None if severity is None else Severity(severity),
                          channels=tuple(item["channels"]), renotify=item["renotify"],
                          note=item["note"])


ALERT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Alert))
"""The stored fields of an alert, in declaration order: the one list the store's table,
the outbox snapshot and the API's answer are checked against."""
