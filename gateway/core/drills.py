"""Drills (演练) as the school plans and reports them, and the term's requirements.

A drill is planned (in the config or by a supervisor), run in drill mode (a `Mode` of kind
`drill`: alerts raised in it are marked), and leaves a report: when it started and ended,
every alert raised in it with its response times, the evacuation time the drill lead
entered, and notes. Each term needs a comprehensive drill in its first week, and a night
drill where the site has boarding dormitories (zones tagged `boarding`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol, get_args

from gateway.core.timefmt import iso

DrillKind = Literal["comprehensive", "fire", "anti_terror", "food_safety", "flood", "night"]
"""综合演练, 消防, 防恐防暴, 食品安全, 防汛, 寄宿生夜间疏散."""

DRILL_KINDS: tuple[DrillKind, ...] = get_args(DrillKind)

DRILL_KIND_NAMES: dict[DrillKind, tuple[str, str]] = {
    "comprehensive": ("综合演练", "Comprehensive"),
    "fire": ("消防疏散演练", "Fire evacuation"),
    "anti_terror": ("防恐防暴演练", "Anti-terror"),
    "food_safety": ("食品安全演练", "Food safety"),
    "flood": ("防汛演练", "Flood"),
    "night": ("夜间疏散演练", "Night evacuation"),
}

DrillState = Literal["planned", "running", "done"]

FIRST_WEEK_SCHOOL_DAYS = 5
"""The first week of a term is its first five school days: a holiday in it moves its end."""

BOARDING_TAG = "boarding"


class DrillError(Exception):
    """A drill action that cannot be taken."""


class DrillNotFound(DrillError):
    """An unknown drill."""


class DrillConflict(DrillError):
    """An action that does not fit the drill's state."""


@dataclass(frozen=True, slots=True)
class Drill:
    """A planned drill and, once run, its record; `started_at` and `ended_at` are those of
    its drill mode (`mode_id`)."""

    id: str
    kind: DrillKind
    title: str
    zone: str | None
    planned_start: float
    duration_s: float
    expected_participants: int
    lead: str
    source: Literal["config", "console"]
    planned_by: str
    mode_id: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    evacuation_s: float | None = None
    participants: int | None = None
    notes: str = ""

    def state(self, now: float) -> DrillState:
        if self.started_at is None or self.started_at > now:
            return "planned"
        if self.ended_at is None or self.ended_at > now:
            return "running"
        return "done"

    def held(self, now: float) -> bool:
        """Whether it was run (started) by `now`."""
        return self.started_at is not None and self.started_at <= now

    def to_dict(self, tz: tzinfo, now: float) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "zone": self.zone,
            "planned_start": iso(self.planned_start, tz), "duration_s": self.duration_s,
            "expected_participants": self.expected_participants, "lead": self.lead,
            "source": self.source, "planned_by": self.planned_by, "mode_id": self.mode_id,
            "started_at": _iso(self.started_at, tz),
            "ended_at": _iso(self.ended_at, tz) if self.state(now) == "done" else None,
            "evacuation_s": self.evacuation_s, "participants": self.participants,
            "notes": self.notes, "state": self.state(now)}


@dataclass(frozen=True, slots=True)
class DrillAlert:
    """An alert raised in a drill, with its response times (seconds from the raise)."""

    id: str
    title: str
    zone: str
    severity: str
    raised_at: float
    ack_s: float | None
    dispatch_s: float | None
    resolve_s: float | None

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "zone": self.zone,
                "severity": self.severity, "raised_at": iso(self.raised_at, tz),
                "ack_s": self.ack_s, "dispatch_s": self.dispatch_s,
                "resolve_s": self.resolve_s}


@dataclass(frozen=True, slots=True)
class DrillReport:
    """A drill with every alert raised in it."""

    drill: Drill
    alerts: tuple[DrillAlert, ...]

    def to_dict(self, tz: tzinfo, now: float) -> dict[str, Any]:
        return {"drill": self.drill.to_dict(tz, now),
                "alerts": [alert.to_dict(tz) for alert in self.alerts]}


@dataclass(frozen=True, slots=True)
class Term:
    """A school term, its days in the site's calendar."""

    name: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Requirement:
    """A drill a term requires, by when, and the drill that meets it (if any)."""

    term: str
    kind: DrillKind
    due_from: date
    due_until: date
    """Last day (included)."""
    met_by: str | None

    def status(self, today: date) -> Literal["met", "missing", "pending"]:
        if self.met_by is not None:
            return "met"
        return "missing" if today > self.due_until else "pending"

    def to_dict(self, today: date) -> dict[str, Any]:
        return {"term": self.term, "kind": self.kind, "due_from": self.due_from.isoformat(),
                "due_until": self.due_until.isoformat(), "met_by": self.met_by,
                "status": self.status(today)}


def first_week(term: Term, school_day: Callable[[date], bool]) -> tuple[date, date]:
    """The first `FIRST_WEEK_SCHOOL_DAYS` school days of `term` (fewer if it is shorter)."""
    found: list[date] = []
    day = term.start
    while day <= term.end and len(found) < FIRST_WEEK_SCHOOL_DAYS:
        if school_day(day):
            found.append(day)
        day += timedelta(days=1)
    return (found[0], found[-1]) if found else (term.start, term.start)


def requirements(term: Term, drills: Iterable[Drill], boarding: bool,
                 school_day: Callable[[date], bool], tz: tzinfo,
                 now: float) -> list[Requirement]:
    """What `term` requires, each met by the first drill held in its window: a
    comprehensive drill in the first week; with boarders, a night drill in the term."""
    held = sorted((d for d in drills if d.held(now) and d.started_at is not None),
                  key=lambda d: (d.started_at, d.id))

    def met(kind: DrillKind, first: date, last: date) -> str | None:
        return next((d.id for d in held if d.kind == kind and d.started_at is not None
                     and first <= local_date(d.started_at, tz) <= last), None)

    start, end = first_week(term, school_day)
    needed = [Requirement(term.name, "comprehensive", start, end,
                          met("comprehensive", start, end))]
    if boarding:
        needed.append(Requirement(term.name, "night", term.start, term.end,
                                  met("night", term.start, term.end)))
    return needed


def terms_between(terms: Sequence[Term], first: date, last: date) -> list[Term]:
    """The terms with a day in `first`..`last`."""
    return [t for t in terms if t.start <= last and first <= t.end]


def local_date(ts: float, tz: tzinfo) -> date:
    return datetime.fromtimestamp(ts, tz).date()


def _iso(ts: float | None, tz: tzinfo) -> str | None:
    return None if ts is None else iso(ts, tz)


class DrillRepository(Protocol):
    async def plan(self, drill: Drill, at: float) -> bool:
        """Store a planned drill; False (and nothing written) if its id is stored."""
        ...

    async def get(self, drill_id: str) -> Drill | None: ...

    async def between(self, start: float, end: float) -> list[Drill]:
        """Drills planned or run from `start` to `end`."""
        ...

    async def started(self, drill_id: str, mode_id: str, at: float) -> bool:
        """Record the drill mode a drill runs in; False if it has one already."""
        ...

    async def record(self, drill_id: str, at: float, evacuation_s: float | None,
                     participants: int | None, notes: str | None) -> bool:
        """What the drill lead entered (None: unchanged); False for an unknown drill."""
        ...
