"""The hazard register's values and its closed loop (排查、登记、整改、报告、销账), decided
purely: who may take which step of a hazard in which state.

    open ──fix──▶ fixed ──verify──▶ verified ──close──▶ closed            (general)
      ▲             │                   │ (major) ──close──▶ review ──review──▶ closed
      └──reject─────┘◀──────────────────┴────────reject────────┘
    closed ──reopen──▶ open (its history kept)

The fix is made by the responsible person (or a supervisor), verified by someone else, and
closed out (销账) by a supervisor; a major hazard (重大隐患) is closed only after a second,
higher review by the safety chief. Every step is kept with who, when and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from gateway.core.accounts import Role


class HazardCategory(StrEnum):
    """The plan's list of what is inspected."""

    EXIT = "exit"
    EVACUATION_ROUTE = "evacuation_route"
    FIRE_EQUIPMENT = "fire_equipment"
    ELECTRICAL = "electrical"
    GAS = "gas"
    EBIKE = "ebike"
    LAB_CHEMICALS = "lab_chemicals"
    BUILDING = "building"
    FALL_RISK = "fall_risk"
    TRAFFIC = "traffic"
    FOOD = "food"
    OTHER = "other"


CATEGORY_NAMES: dict[HazardCategory, tuple[str, str]] = {
    HazardCategory.EXIT: ("安全出口", "Emergency exits"),
    HazardCategory.EVACUATION_ROUTE: ("疏散通道", "Evacuation routes"),
    HazardCategory.FIRE_EQUIPMENT: ("消防设施", "Fire equipment"),
    HazardCategory.ELECTRICAL: ("用电", "Electrical"),
    HazardCategory.GAS: ("燃气", "Gas"),
    HazardCategory.EBIKE: ("电动自行车停放充电", "E-bike parking and charging"),
    HazardCategory.LAB_CHEMICALS: ("实验室危化品", "Laboratory chemicals"),
    HazardCategory.BUILDING: ("校舍", "School buildings"),
    HazardCategory.FALL_RISK: ("坠楼风险", "Fall risk"),
    HazardCategory.TRAFFIC: ("交通", "Traffic"),
    HazardCategory.FOOD: ("食品", "Food"),
    HazardCategory.OTHER: ("其他", "Other"),
}

# What a hazard made from an alert is most likely about, by its rule's name, then by the
# alert's category; the person making it can change it.
_RULE_PREFIXES: tuple[tuple[str, HazardCategory], ...] = (
    ("exit", HazardCategory.EXIT),
    ("gas", HazardCategory.GAS),
    ("ebike", HazardCategory.EBIKE),
    ("chemical", HazardCategory.LAB_CHEMICALS),
    ("fire", HazardCategory.FIRE_EQUIPMENT),
    ("rooftop", HazardCategory.FALL_RISK),
    ("bollard", HazardCategory.TRAFFIC),
    ("unregistered-vehicle", HazardCategory.TRAFFIC),
)
_ALERT_CATEGORIES = {"fire": HazardCategory.FIRE_EQUIPMENT, "traffic": HazardCategory.TRAFFIC}


def category_for_alert(rule_id: str, alert_category: str) -> HazardCategory:
    for prefix, category in _RULE_PREFIXES:
        if rule_id.startswith(prefix):
            return category
    return _ALERT_CATEGORIES.get(alert_category, HazardCategory.OTHER)


class HazardLevel(StrEnum):
    GENERAL = "general"
    """一般隐患: closed out by a supervisor."""
    MAJOR = "major"
    """重大隐患: closed out by a supervisor, then reviewed by the safety chief."""


class HazardState(StrEnum):
    OPEN = "open"
    """Registered, to be fixed by the responsible person before the deadline."""
    FIXED = "fixed"
    """Fixed, waiting for someone else to verify the fix."""
    VERIFIED = "verified"
    """The fix was verified; waiting for the close-out."""
    REVIEW = "review"
    """A major hazard closed out by a supervisor, waiting for the safety chief."""
    CLOSED = "closed"
    """Closed out (销账)."""


class HazardSource(StrEnum):
    ALERT = "alert"
    PATROL = "patrol"
    INSPECTION = "inspection"
    RULE = "rule"


class HazardRefused(Exception):
    """A step that cannot be taken. `status` is the HTTP status that says why: 403 not
    this person, 409 not in this state, 422 a field is wrong (`field` names it)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True)
class HazardStep:
    at: float
    actor: str
    action: str
    state: HazardState
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "actor": self.actor, "action": self.action,
                "state": self.state.value, "note": self.note}


@dataclass(frozen=True)
class Hazard:
    id: str
    source: HazardSource
    zone: str
    category: HazardCategory
    level: HazardLevel
    title: str
    description: str
    found_by: str
    found_at: float
    responsible: str
    deadline: float
    state: HazardState = HazardState.OPEN
    alert_id: str = ""
    inspection_id: str = ""
    plan: str = ""
    x: float | None = None
    y: float | None = None
    fix_plan: str = ""
    fixed_by: str | None = None
    fixed_at: float | None = None
    fix_note: str = ""
    verified_by: str | None = None
    verified_at: float | None = None
    closed_by: str | None = None
    closed_at: float | None = None
    reviewed_by: str | None = None
    reviewed_at: float | None = None
    reopened: int = 0
    escalation_level: int = 0
    updated_at: float = 0.0
    steps: tuple[HazardStep, ...] = field(default=(), compare=False)

    def overdue(self, now: float) -> bool:
        """Not fixed by its deadline."""
        return self.state is HazardState.OPEN and now > self.deadline

    def to_dict(self, now: float) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _COLUMNS}
        data.update(source=self.source.value, category=self.category.value,
                    level=self.level.value, state=self.state.value,
                    overdue=self.overdue(now), steps=[s.to_dict() for s in self.steps])
        return data


_COLUMNS = ("id", "alert_id", "inspection_id", "zone", "plan", "x", "y", "title",
            "description", "found_by", "found_at", "responsible", "deadline", "fix_plan",
            "fixed_by", "fixed_at", "fix_note", "verified_by", "verified_at", "closed_by",
            "closed_at", "reviewed_by", "reviewed_at", "reopened", "escalation_level",
            "updated_at")


@dataclass(frozen=True)
class HazardActor:
    name: str
    role: Role

    def at_least(self, role: Role) -> bool:
        return self.role.rank >= role.rank


@dataclass(frozen=True)
class HazardFilter:
    """Which hazards a list shows; `None` is any."""

    states: tuple[HazardState, ...] | None = None
    level: HazardLevel | None = None
    category: HazardCategory | None = None
    zone: str | None = None
    responsible: str | None = None
    overdue_at: float | None = None
    """Only those open past their deadline at this time."""
    alert_id: str | None = None


@dataclass(frozen=True)
class HazardFile:
    id: str
    hazard_id: str
    stage: str
    name: str
    content_type: str
    sha256: str
    size: int
    added_by: str
    added_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "name": self.name,
                "content_type": self.content_type, "sha256": self.sha256,
                "size": self.size, "added_by": self.added_by, "added_at": self.added_at}


@dataclass(frozen=True)
class Inspection:
    """A quarter's self-inspection: due on its day, a finding per category once done."""

    id: str
    due: float
    checklist: dict[str, str]
    completed_by: str | None = None
    completed_at: float | None = None


# --- the steps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFix:
    """The responsible person says how it will be fixed."""

    fix_plan: str
    action = "plan"


@dataclass(frozen=True)
class Fix:
    """The fix is done; what was done."""

    note: str
    action = "fix"


@dataclass(frozen=True)
class Verify:
    """Someone other than the fixer saw that the fix holds."""

    note: str = ""
    action = "verify"


@dataclass(frozen=True)
class Reject:
    """The fix does not hold (at verification or review): back to open."""

    note: str
    action = "reject"


@dataclass(frozen=True)
class CloseOut:
    """销账 by a supervisor."""

    note: str = ""
    action = "close"


@dataclass(frozen=True)
class Review:
    """The safety chief's second review of a major hazard."""

    note: str = ""
    action = "review"


@dataclass(frozen=True)
class Reopen:
    """It came back after close-out."""

    note: str
    action = "reopen"


@dataclass(frozen=True)
class Reassign:
    """A new responsible person or deadline."""

    responsible: str
    deadline: float
    note: str = ""
    action = "reassign"


HazardCommand = PlanFix | Fix | Verify | Reject | CloseOut | Review | Reopen | Reassign


def decide_hazard(hazard: Hazard, command: HazardCommand, actor: HazardActor,
                  now: float) -> Hazard:
    """The hazard after `actor` takes `command` at `now`, or `HazardRefused`."""
    state = hazard.state
    fixer = actor.name == hazard.responsible or actor.at_least(Role.SUPERVISOR)
    match command:
        case PlanFix(fix_plan):
            _in(state, HazardState.OPEN)
            _may(fixer, "only the responsible person or a supervisor plans the fix")
            changed = replace(hazard, fix_plan=_text(fix_plan, "fix_plan"))
        case Fix(note):
            _in(state, HazardState.OPEN)
            _may(fixer, "only the responsible person or a supervisor reports the fix")
            changed = replace(hazard, state=HazardState.FIXED, fixed_by=actor.name,
                              fixed_at=now, fix_note=_text(note, "note"))
        case Verify():
            _in(state, HazardState.FIXED)
            _may(actor.at_least(Role.OPERATOR), "verifying a fix needs the operator role")
            if actor.name == hazard.fixed_by:
                raise HazardRefused(403, "a fix is verified by someone other than the "
                                         "person who made it", "verified_by")
            changed = replace(hazard, state=HazardState.VERIFIED, verified_by=actor.name,
                              verified_at=now)
        case Reject(note):
            _in(state, HazardState.FIXED, HazardState.VERIFIED, HazardState.REVIEW)
            needed = Role.SAFETY_CHIEF if state is HazardState.REVIEW else (
                Role.SUPERVISOR if state is HazardState.VERIFIED else Role.OPERATOR)
            _may(actor.at_least(needed) and actor.name != hazard.fixed_by,
                 f"rejecting this fix needs the {needed.value} role and someone other "
                 "than the fixer")
            _text(note, "note")
            changed = _unfixed(hazard)
        case CloseOut():
            _in(state, HazardState.VERIFIED)
            _may(actor.at_least(Role.SUPERVISOR), "closing out a hazard needs the "
                                                   "supervisor role")
            major = hazard.level is HazardLevel.MAJOR
            changed = replace(hazard, closed_by=actor.name, closed_at=now,
                              state=HazardState.REVIEW if major else HazardState.CLOSED)
        case Review():
            _in(state, HazardState.REVIEW)
            _may(actor.at_least(Role.SAFETY_CHIEF), "a major hazard's review needs the "
                                                     "safety_chief role")
            if actor.name == hazard.closed_by:
                raise HazardRefused(403, "the review is by someone other than the person "
                                         "who closed it out", "reviewed_by")
            changed = replace(hazard, state=HazardState.CLOSED, reviewed_by=actor.name,
                              reviewed_at=now)
        case Reopen(note):
            _in(state, HazardState.CLOSED)
            _may(actor.at_least(Role.SUPERVISOR), "reopening needs the supervisor role")
            _text(note, "note")
            changed = replace(_unfixed(hazard), closed_by=None, closed_at=None,
                              reviewed_by=None, reviewed_at=None,
                              reopened=hazard.reopened + 1, escalation_level=0)
        case Reassign(responsible, deadline):
            if state is HazardState.CLOSED:
                raise HazardRefused(409, "the hazard is closed")
            _may(actor.at_least(Role.SUPERVISOR), "reassigning needs the supervisor role")
            changed = replace(hazard, responsible=_text(responsible, "responsible"),
                              deadline=deadline,
                              escalation_level=0 if deadline > now
                              else hazard.escalation_level)
    step = HazardStep(now, actor.name, command.action, changed.state,
                      getattr(command, "note", "") or getattr(command, "fix_plan", ""))
    return replace(changed, updated_at=now, steps=(*hazard.steps, step))


def _unfixed(hazard: Hazard) -> Hazard:
    return replace(hazard, state=HazardState.OPEN, fixed_by=None, fixed_at=None,
                   verified_by=None, verified_at=None, closed_by=None, closed_at=None)


def _in(state: HazardState, *allowed: HazardState) -> None:
    if state not in allowed:
        raise HazardRefused(409, f"the hazard is {state.value}")


def _may(allowed: bool, why: str) -> None:
    if not allowed:
        raise HazardRefused(403, why)


def _text(value: str, name: str) -> str:
    if not value.strip():
        raise HazardRefused(422, f"{name} is required", name)
    return value.strip()


# --- escalation ---------------------------------------------------------------------------


def escalation_due(hazard: Hazard, now: float, principal_after_s: float) -> int:
    """The escalation level an open hazard should be at: 1 (the supervisors) once past its
    deadline, 2 (the principal) `principal_after_s` later; 0 while in time or fixed."""
    if not hazard.overdue(now):
        return 0
    return 2 if now > hazard.deadline + principal_after_s else 1


# --- the quarterly self-inspection ---------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(quarter: str) -> date:
    """`2026-Q4` → 2026-10-01; ValueError for anything else."""
    year, _, number = quarter.partition("-Q")
    if not (year.isdigit() and number in {"1", "2", "3", "4"}):
        raise ValueError(f"{quarter!r} is not a quarter like 2026-Q4")
    return date(int(year), (int(number) - 1) * 3 + 1, 1)


def next_quarter_start(quarter: str) -> date:
    """`2026-Q4` → 2027-01-01."""
    start = quarter_start(quarter)
    return (date(start.year + 1, 1, 1) if start.month == 10
            else date(start.year, start.month + 3, 1))


def inspection_day(quarter: str, school_day: Callable[[date], bool], nth: int) -> date:
    """The day the quarter's self-inspection is due: its `nth` school day (counted with
    `school_day(date) -> bool`, so a holiday moves it), or the quarter's last day."""
    start = quarter_start(quarter)
    end = next_quarter_start(quarter) - timedelta(days=1)
    day, seen = start, 0
    while day <= end:
        if school_day(day):
            seen += 1
            if seen == nth:
                return day
        day += timedelta(days=1)
    return end
