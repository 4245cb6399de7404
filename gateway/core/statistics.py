"""The statistics of a period (统计分析) the console shows and the reports print: one set of
figures, computed once by the store's queries (`gateway.store.statistics`).

Periods are site-local: a month (`2026-11`), a quarter (`2026-Q4`), a term (its name in
the calendar), or any `from`..`to` of dates. Alerts raised in drills are left out (a drill
has its own report).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal, Protocol

from gateway.core.drills import DrillAlert, Requirement, Term
from gateway.core.timefmt import iso

PeriodKind = Literal["month", "quarter", "term", "range"]

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


class PeriodError(ValueError):
    """A period written in the wrong form; the message names the field."""


@dataclass(frozen=True, slots=True)
class Period:
    """Site-local days `first`..`last` (both included)."""

    kind: PeriodKind
    name: str
    first: date
    last: date

    def bounds(self, tz: tzinfo) -> tuple[float, float]:
        """Start (included) and end (excluded), unix seconds."""
        start = datetime.combine(self.first, time(), tz).timestamp()
        end = datetime.combine(self.last + timedelta(days=1), time(), tz).timestamp()
        return start, end

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "first": self.first.isoformat(),
                "last": self.last.isoformat()}


def month(text: str, name: str = "month") -> Period:
    """`2026-11`; `PeriodError` naming `name` otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if not found:
        raise PeriodError(f"{name}: {text!r} is not a month: write YYYY-MM, e.g. 2026-11")
    year, number = int(found[1]), int(found[2])
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period("month", f"{year:04d}-{number:02d}", first, following - timedelta(days=1))


def quarter(text: str, name: str = "quarter") -> Period:
    """`2026-Q4`; `PeriodError` naming `name` otherwise."""
    found = _QUARTER.fullmatch(text.strip().upper())
    if not found:
        raise PeriodError(f"{name}: {text!r} is not a quarter: write YYYY-Qn, e.g. 2026-Q4")
    year, number = int(found[1]), int(found[2])
    first = date(year, 3 * number - 2, 1)
    last = month(f"{year:04d}-{3 * number:02d}").last
    return Period("quarter", f"{year:04d}-Q{number}", first, last)


def term(text: str, terms: Sequence[Term], name: str = "term") -> Period:
    """A term of the calendar by name; `PeriodError` naming `name` otherwise."""
    for known in terms:
        if known.name == text.strip():
            return Period("term", known.name, known.start, known.end)
    names = ", ".join(t.name for t in terms) or "none in calendar.terms"
    raise PeriodError(f"{name}: no term {text!r} (known: {names})")


def day(text: str, name: str) -> date:
    """`2026-11-03`; `PeriodError` naming `name` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{name}: {text!r} is not a date: write YYYY-MM-DD, "
                          "e.g. 2026-11-03") from None


def date_range(first: str, last: str) -> Period:
    """`from`..`to`, both dates included."""
    start, end = day(first, "from"), day(last, "to")
    if end < start:
        raise PeriodError(f"to: {last} is before from ({first})")
    if (end - start).days > 400:
        raise PeriodError("to: a period is at most 400 days")
    return Period("range", f"{start.isoformat()}..{end.isoformat()}", start, end)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Count:
    """How many of one thing (a category, zone, hour, weekday)."""

    key: str
    count: int


@dataclass(frozen=True, slots=True)
class Times:
    """Seconds from the raise for one group (a severity, an operator): how many alerts got
    there, the 50th and 90th percentile, and how many were within the target."""

    group: str
    count: int
    p50_s: float | None
    p90_s: float | None
    target_s: float | None = None
    within_target: int | None = None

    @classmethod
    def of(cls, group: str, seconds: Sequence[float], target_s: float | None = None) -> Times:
        within = None if target_s is None else sum(1 for s in seconds if s <= target_s)
        return cls(group, len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9),
                   target_s, within)


@dataclass(frozen=True, slots=True)
class FalseAlarms:
    """Alerts of one device or rule, and how many were closed as false alarms."""

    key: str
    alerts: int
    false_alarms: int

    @property
    def rate(self) -> float:
        return self.false_alarms / self.alerts if self.alerts else 0.0


@dataclass(frozen=True, slots=True)
class Availability:
    """How long the devices of one class were online over the period: from their
    offline (device health) alerts, raise to resolve."""

    device_class: str
    devices: int
    offline_s: float
    period_s: float

    @property
    def availability(self) -> float:
        total = self.devices * self.period_s
        return 1.0 - self.offline_s / total if total else 1.0


@dataclass(frozen=True, slots=True)
class HazardFigures:
    """Hazards opened, fixed and closed in the period; overdue and their age at its end."""

    opened: int
    fixed: int
    closed: int
    overdue: int
    not_closed: int
    major_not_closed: int
    age_p50_days: float | None
    age_max_days: float | None
    by_category: tuple[Count, ...]
    by_level: tuple[Count, ...]


@dataclass(frozen=True, slots=True)
class DrillFigures:
    """Drills held in the period by kind, and what the terms in it require."""

    held: int
    by_kind: tuple[Count, ...]
    required: tuple[Requirement, ...]
    as_of: date

    @property
    def missing(self) -> list[Requirement]:
        return [r for r in self.required if r.status(self.as_of) == "missing"]


@dataclass(frozen=True, slots=True)
class Statistics:
    """Every figure of a period."""

    period: Period
    start: float
    end: float
    as_of: float
    """min(now, end): the figures are as they stood then."""
    alerts: int
    by_category: tuple[Count, ...]
    by_zone: tuple[Count, ...]
    by_hour: tuple[int, ...]
    """24 counts, site-local hour of the raise."""
    by_weekday: tuple[int, ...]
    """7 counts, Monday first."""
    ack_by_severity: tuple[Times, ...]
    resolve_by_severity: tuple[Times, ...]
    ack_by_operator: tuple[Times, ...]
    resolve_by_operator: tuple[Times, ...]
    false_by_device: tuple[FalseAlarms, ...]
    false_by_rule: tuple[FalseAlarms, ...]
    availability: tuple[Availability, ...]
    police_accepted: Times
    police_on_scene: Times
    hazards: HazardFigures
    drills: DrillFigures = field(
        default_factory=lambda: DrillFigures(0, (), (), date.min))

    @property
    def complete(self) -> bool:
        """Whether the period is over."""
        return self.as_of >= self.end

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        data = asdict(self)
        data.update(period=self.period.to_dict(), start=iso(self.start, tz),
                    end=iso(self.end, tz), as_of=iso(self.as_of, tz), complete=self.complete)
        for name, rows in (("false_by_device", self.false_by_device),
                           ("false_by_rule", self.false_by_rule)):
            data[name] = [{**asdict(row), "rate": round(row.rate, 4)} for row in rows]
        data["availability"] = [{**asdict(row), "availability": round(row.availability, 6)}
                                for row in self.availability]
        data["drills"] = {"held": self.drills.held,
                          "by_kind": [asdict(c) for c in self.drills.by_kind],
                          "required": [r.to_dict(self.drills.as_of)
                                       for r in self.drills.required],
                          "missing": len(self.drills.missing)}
        return data


class StatisticsRepository(Protocol):
    async def figures(self, period: Period, tz: tzinfo, now: float,
                      ack_targets_s: Mapping[str, float],
                      device_classes: Mapping[str, str]) -> Statistics:
        """Every figure of `period` but the drills', as it stood at min(now, its end)."""
        ...

    async def drill_alerts(self, zone: str | None, start: float, end: float
                           ) -> list[DrillAlert]:
        """The drill alerts raised in `zone` (None: anywhere) from `start` to `end`."""
        ...
