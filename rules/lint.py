"""Warnings about rules that load but cannot work as meant: rules that can never fire,
contradictory conditions, windows that are never (or always) open or whose hours overlap,
and a school calendar about to run out of holiday data.

Config errors (unknown devices, points, windows...) stop loading before this runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from gateway.core.config import Loc
from rules.bindings import bind, device_infos
from rules.calendar import CalendarError, SchoolCalendar
from rules.calendar_config import WindowExpr, WindowLeaf, parts
from rules.conditions import subject
from rules.config import AllOf, Condition, PointTest
from rules.site import RuleSite

YEAR_S = 365 * 86400.0
DATA_WARNING_DAYS = 60


def lint(config: RuleSite, now: float) -> list[tuple[Loc, str]]:
    calendar = SchoolCalendar(config.calendar, config.site.tz)
    warnings = _calendar_warnings(config, calendar, now)
    for name, expr in config.calendar.windows.items():
        warnings += _window_warnings(calendar, expr, ("calendar", "windows", name), now)
    devices = device_infos(config.devices, config.zones)
    rules_of, _ = bind(config.rules, devices)
    for i, rule in enumerate(config.rules):
        at: Loc = ("rules", i)
        selected = [devices[d] for d, numbers in rules_of.items() if i in numbers]
        if not selected:
            warnings.append(((*at, "select"), "never fires: it selects no device"))
        for loc, reason in _contradictions(rule.when, (*at, "when")):
            warnings.append((loc, f"never fires: {reason}"))
        if rule.during is not None and selected:
            zones = {(d.zone_id, d.zone_tags) for d in selected}
            shut = [zone for zone, tags in sorted(zones)
                    if _never_open(calendar, rule.during, zone, tags, now)]
            if len(shut) == len(zones):
                warnings.append(((*at, "during"),
                                 "never fires: its window is never open in the next year"))
            elif shut:
                warnings.append(((*at, "during"), "its window is never open in the next "
                                                  f"year in zone(s) {', '.join(shut)}"))
    return warnings


def _calendar_warnings(config: RuleSite, calendar: SchoolCalendar,
                       now: float) -> list[tuple[Loc, str]]:
    warnings: list[tuple[Loc, str]] = []
    today = datetime.fromtimestamp(now, config.site.tz).date()
    ends = calendar.data_ends()
    if ends is not None and (ends - today).days <= DATA_WARNING_DAYS:
        year = ends.year + 1
        when = "ended" if ends < today else f"ends in {(ends - today).days} days"
        warnings.append((("calendar",), f"statutory holiday data {when} ({ends}): list "
                                        f"{year}'s holidays and make-up workdays under "
                                        "calendar.holidays and calendar.workdays"))
    terms = config.calendar.terms
    if terms and all(term.end < today for term in terms):
        warnings.append((("calendar", "terms"), "every term is over: school days and "
                                                "class hours never come again"))
    return warnings


def _window_warnings(calendar: SchoolCalendar, expr: WindowExpr, at: Loc,
                     now: float) -> list[tuple[Loc, str]]:
    warnings: list[tuple[Loc, str]] = []
    for loc, part in parts(expr, at):
        if isinstance(part, WindowLeaf):
            warnings += _overlaps(part.hours, (*loc, "hours"))
            for j, override in enumerate(part.zones):
                warnings += _overlaps(override.hours or (), (*loc, "zones", j, "hours"))
    window = calendar.window(expr)
    try:
        changes = window.next_change(now, until=now + YEAR_S)
        if changes is None:
            state = "open" if window.active(now) else "closed"
            warnings.append((at, f"always {state} in the next year"))
    except CalendarError:
        pass  # said once, by the calendar warning
    return warnings


def _overlaps(hours: tuple[str, ...], at: Loc) -> list[tuple[Loc, str]]:
    minutes = [_span(text) for text in hours]
    found: list[tuple[Loc, str]] = []
    for j, (start, end) in enumerate(minutes):
        for k in range(j):
            other_start, other_end = minutes[k]
            if start < other_end and other_start < end:
                found.append(((*at, j), f"{hours[j]} overlaps {hours[k]}"))
    return found


def _span(text: str) -> tuple[int, int]:
    """Minutes of a day an hour range covers; overnight ranges run past 24:00."""
    start, end = (int(t[:2]) * 60 + int(t[3:5]) for t in text.split("-"))
    return start, end if end > start else end + 24 * 60


def _never_open(calendar: SchoolCalendar, expr: WindowExpr, zone: str,
                tags: tuple[str, ...], now: float) -> bool:
    window = calendar.window(expr, zone, tags)
    try:
        return not window.active(now) and window.next_change(now, until=now + YEAR_S) is None
    except CalendarError:
        return False


def _contradictions(condition: Condition, at: Loc) -> Iterator[tuple[Loc, str]]:
    """Tests that no value can meet, alone or together in an `all`. Only `all` is looked
    into: under `any` or `not`, an impossible part does not stop the rule firing."""
    if isinstance(condition, PointTest):
        reason = _impossible([condition])
        if reason:
            yield at, reason
        return
    if not isinstance(condition, AllOf):
        return
    for j, part in enumerate(condition.all):
        yield from _contradictions(part, (*at, "all", j))
    tests: dict[tuple[str | None, str], list[PointTest]] = {}
    for part in condition.all:
        if isinstance(part, PointTest) and part.event is None:
            tests.setdefault((part.device, subject(part)), []).append(part)
    for (_, point), together in tests.items():
        reason = _impossible(together)
        if reason and len(together) > 1:
            yield at, f"{point}: {reason}"


def _impossible(tests: list[PointTest]) -> str | None:
    """Why no value passes every test, if so (equality and ranges only)."""
    equals: list[Any] = []
    low, high = float("-inf"), float("inf")
    for test in tests:
        given = test.comparators()
        if "equals" in given:
            equals.append(given["equals"])
        low = max([low, *(v for k, v in given.items() if k in ("gt", "ge"))])
        high = min([high, *(v for k, v in given.items() if k in ("lt", "le"))])
        excluded = given.get("not_equals")
        if "not_equals" in given and excluded in equals:
            return f"equals and not_equals {excluded!r}"
    if len({repr(value) for value in equals}) > 1:
        return f"equals both {' and '.join(repr(v) for v in equals)}"
    if low > high:
        return f"no number is above {low:g} and below {high:g}"
    if equals and isinstance(equals[0], int | float) and not isinstance(equals[0], bool) and (
            not low <= equals[0] <= high):
        return f"equals {equals[0]!r} outside its range"
    return None
