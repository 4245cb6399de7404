"""Config of the school calendar: statutory holidays, terms and named time windows.

```yaml
calendar:
  statutory: cn
  holidays: [2027-01-01]
  workdays: [2027-02-20]
  terms:
    - {name: autumn-2026, start: 2026-09-01, end: 2027-01-22}
  windows:
    class-hours: {days: [school], hours: ["08:00-12:00", "14:00-17:30"]}
    night:
      hours: ["22:00-06:00"]
      zones:
        - {tags: [boarding], days: [term], hours: ["21:30-06:30"]}
    quiet: {any: [night, {days: [off]}]}
```

A window expression is a window name, a leaf (`days` and `hours`), or `any`, `all` or
`not` of expressions. A leaf may carry per-zone overrides (`zones`) wherever it is written,
top level or nested: a window resolved for a zone uses, in every leaf, the first override
that matches the zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from gateway.core.config import Loc, StrictModel

DayKind = Literal["school", "workday", "off", "holiday", "weekend", "term", "vacation", "any",
                  "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""What a day can be; a leaf's `days` matches a day that has any of the listed kinds."""


def _yaml_off(value: object) -> object:
    """YAML 1.1 reads a bare `off` as false; in a list of day kinds it can only mean `off`."""
    return "off" if value is False else value


def _not_empty(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if not value:
        raise ValueError("give at least one")
    return value


DayKinds = Annotated[tuple[Annotated[DayKind, BeforeValidator(_yaml_off)], ...],
                     AfterValidator(_not_empty)]


_HOUR_RANGE = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")


def _proper_range(value: str) -> str:
    if not _HOUR_RANGE.fullmatch(value):
        raise ValueError(f"bad hour range {value!r}: write HH:MM-HH:MM, e.g. 08:00-12:00 "
                         "or 22:00-06:00")
    start, end = value.split("-")
    if start == end:
        raise ValueError(f"hour range {value!r} is empty: omit `hours` for the whole day")
    return value


HourRange = Annotated[str, AfterValidator(_proper_range)]
"""Site-local `HH:MM-HH:MM`, end excluded; an end before the start runs past midnight and
belongs to the day it starts on."""


class TermConfig(StrictModel):
    """A school term; days outside every term are vacation."""

    name: str = Field(min_length=1, description="Term name, e.g. `autumn-2026`.")
    start: date = Field(description="First day of the term.")
    end: date = Field(description="Last day of the term (included).")


class WindowOverride(StrictModel):
    """Days and hours that replace a leaf's own for some zones."""

    zones: tuple[str, ...] = Field(default=(), description="Zone ids this override is for.")
    tags: tuple[str, ...] = Field(default=(),
                                  description="Or zones carrying any of these tags.")
    days: DayKinds | None = Field(
        default=None,
        description="Days the window is open for these zones; none: the leaf's own days.")
    hours: tuple[HourRange, ...] | None = Field(
        default=None,
        description="Hours for these zones; none: the leaf's own hours, `[]`: the whole day.")

    @model_validator(mode="after")
    def _selects_zones(self) -> WindowOverride:
        if not self.zones and not self.tags:
            raise ValueError("an override needs `zones` or `tags`")
        return self

    def matches(self, zone_id: str | None, zone_tags: tuple[str, ...]) -> bool:
        """Whether this override applies to the zone."""
        return (zone_id is not None and zone_id in self.zones) or bool(
            set(self.tags) & set(zone_tags))


class WindowLeaf(StrictModel):
    """Some kinds of days, optionally only some hours of them."""

    days: DayKinds = Field(default=("any",),
                           description="Kinds of days the window is open on.")
    hours: tuple[HourRange, ...] = Field(
        default=(), description="Site-local hour ranges, e.g. `08:00-12:00` or `22:00-06:00`; "
                                "none: the whole day.")
    zones: tuple[WindowOverride, ...] = Field(
        default=(), description="Per-zone overrides; the first whose zone id or tag matches "
                                "wins.")


Parts = Annotated[tuple["WindowExpr", ...], AfterValidator(_not_empty)]


class AnyWindow(StrictModel):
    """Open when any of its parts is."""

    any: Parts = Field(description="The parts.")


class AllWindow(StrictModel):
    """Open when all of its parts are."""

    all: Parts = Field(description="The parts.")


class NotWindow(StrictModel):
    """Open when its part is closed."""

    model_config = ConfigDict(populate_by_name=True)

    not_: WindowExpr = Field(alias="not", description="The part to invert.")


def _expr_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("any", "all", "not"):
            if key in value:
                return f"window-{key}"
        return "window-leaf"
    if isinstance(value, AnyWindow):
        return "window-any"
    if isinstance(value, AllWindow):
        return "window-all"
    if isinstance(value, NotWindow):
        return "window-not"
    if isinstance(value, WindowLeaf):
        return "window-leaf"
    return "window-name"


WindowExpr = Annotated[
    Annotated[str, Tag("window-name")]
    | Annotated[WindowLeaf, Tag("window-leaf")]
    | Annotated[AnyWindow, Tag("window-any")]
    | Annotated[AllWindow, Tag("window-all")]
    | Annotated[NotWindow, Tag("window-not")],
    Discriminator(_expr_kind),
]
"""A window name, a leaf, or `any` / `all` / `not` of expressions."""

AnyWindow.model_rebuild()
AllWindow.model_rebuild()
NotWindow.model_rebuild()


def parts(expr: WindowExpr, at: Loc = ()) -> Iterator[tuple[Loc, WindowExpr]]:
    """Every sub-expression of `expr`, itself included, with its path below `at`."""
    yield at, expr
    if isinstance(expr, AnyWindow):
        for i, part in enumerate(expr.any):
            yield from parts(part, (*at, "any", i))
    elif isinstance(expr, AllWindow):
        for i, part in enumerate(expr.all):
            yield from parts(part, (*at, "all", i))
    elif isinstance(expr, NotWindow):
        yield from parts(expr.not_, (*at, "not"))


class CalendarConfig(StrictModel):
    """Which days are school days, and the named time windows rules refer to."""

    statutory: Literal["cn", "none"] = Field(
        default="cn", description="`cn`: China's statutory holidays and make-up workdays; "
                                  "`none`: only weekends and listed holidays are off.")
    holidays: tuple[date, ...] = Field(
        default=(), description="Extra days off. A year beyond the statutory data is known "
                                "once any of its days is listed here or under `workdays`.")
    workdays: tuple[date, ...] = Field(default=(), description="Extra (make-up) workdays.")
    terms: tuple[TermConfig, ...] = Field(
        default=(), description="School terms; none: every workday is a school day.")
    windows: dict[str, WindowExpr] = Field(
        default_factory=dict, description="Named time windows, by name.")

    def reference_errors(self, zone_ids: set[str], zone_tags: set[str]) -> list[tuple[Loc, str]]:
        """Problems pydantic cannot see field by field; paths are below the calendar."""
        errors = self._date_errors() + self._term_errors()
        for name, expr in self.windows.items():
            for at, part in parts(expr, ("windows", name)):
                if isinstance(part, str) and part not in self.windows:
                    errors.append((at, f"unknown window {part!r}"))
                if isinstance(part, WindowLeaf):
                    errors += _override_errors(part, at, zone_ids, zone_tags)
        return errors + self._cycle_errors()

    def _date_errors(self) -> list[tuple[Loc, str]]:
        holidays = set(self.holidays)
        return [(("workdays", i), f"{day} is listed both as a holiday and as a workday")
                for i, day in enumerate(self.workdays) if day in holidays]

    def _term_errors(self) -> list[tuple[Loc, str]]:
        errors: list[tuple[Loc, str]] = []
        names: set[str] = set()
        for i, term in enumerate(self.terms):
            if term.name in names:
                errors.append((("terms", i, "name"), f"duplicate term name {term.name!r}"))
            names.add(term.name)
            if term.end < term.start:
                errors.append((("terms", i, "end"),
                               f"term {term.name!r} ends ({term.end}) before it starts "
                               f"({term.start})"))
                continue
            for other in self.terms[:i]:
                if other.start <= other.end and term.start <= other.end \
                        and other.start <= term.end:
                    errors.append((("terms", i),
                                   f"term {term.name!r} overlaps term {other.name!r}"))
        return errors

    def _cycle_errors(self) -> list[tuple[Loc, str]]:
        refers = {name: [p for _, p in parts(expr) if isinstance(p, str) and p in self.windows]
                  for name, expr in self.windows.items()}
        errors: list[tuple[Loc, str]] = []
        done: set[str] = set()
        reported: set[frozenset[str]] = set()

        def visit(name: str, path: list[str]) -> None:
            if name in path:
                cycle = path[path.index(name):]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    chain = " -> ".join([*cycle, name])
                    errors.append((("windows", cycle[0]),
                                   f"windows refer to each other in a cycle: {chain}"))
                return
            if name in done:
                return
            for target in refers[name]:
                visit(target, [*path, name])
            done.add(name)

        for name in self.windows:
            visit(name, [])
        return errors


def _override_errors(leaf: WindowLeaf, at: Loc, zone_ids: set[str],
                     zone_tags: set[str]) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    for i, override in enumerate(leaf.zones):
        for j, zone in enumerate(override.zones):
            if zone not in zone_ids:
                errors.append(((*at, "zones", i, "zones", j), f"unknown zone {zone!r}"))
        for j, tag in enumerate(override.tags):
            if tag not in zone_tags:
                errors.append(((*at, "zones", i, "tags", j), f"no zone has tag {tag!r}"))
    return errors
