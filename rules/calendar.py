"""The school calendar: what kind of day a date is, and whether a time window is open.

Days off come from China's statutory calendar (the `chinese_calendar` package) unless the
config says `statutory: none`, corrected by the dates the site lists. A year the package
has no data for is known only once the config lists a holiday or workday in it; until then
every question that needs to know whether a day is worked raises `CalendarError` rather
than guessing.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, tzinfo
from typing import TypeVar

from chinese_calendar import constants as cn_constants

from rules.calendar_config import (
    AnyWindow,
    CalendarConfig,
    NotWindow,
    WindowExpr,
    WindowLeaf,
)

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_KINDS = frozenset({"school", "workday", "off", "holiday"})
"""Day kinds that need to know the holidays of the day's year."""

_CN_HOLIDAYS: frozenset[date] = frozenset(cn_constants.holidays)
_CN_WORKDAYS: frozenset[date] = frozenset(cn_constants.workdays)
_CN_YEARS = (min(d.year for d in _CN_HOLIDAYS), max(d.year for d in _CN_HOLIDAYS))

_T = TypeVar("_T")
_ONE_DAY = timedelta(days=1)
_HORIZON_S = 400 * 86400.0
_STALE_CHANGES = 256


class CalendarError(Exception):
    """A date the calendar cannot answer for: beyond the statutory data and not listed in
    config."""

    def __init__(self, day: date) -> None:
        first, last = _CN_YEARS
        super().__init__(
            f"no statutory holiday data for {day.isoformat()} (chinese-calendar covers "
            f"{first}–{last}): list {day.year}'s holidays and make-up workdays under "
            "calendar.holidays and calendar.workdays")
        self.date = day


class SchoolCalendar:
    """Day kinds for dates, and resolved windows, in the site's time zone."""

    def __init__(self, config: CalendarConfig, tz: tzinfo) -> None:
        self.config = config
        self.tz = tz
        self._statutory = config.statutory == "cn"
        self._holidays = frozenset(config.holidays)
        self._workdays = frozenset(config.workdays)
        self._listed_years = frozenset(d.year for d in self._holidays | self._workdays)
        self._terms = tuple((term.start, term.end) for term in config.terms)
        self._plain: dict[date, frozenset[str]] = {}
        self._kinds: dict[date, frozenset[str]] = {}
        self._transitions: dict[date, tuple[float, ...]] = {}
        self._windows: dict[tuple[WindowExpr, str | None, tuple[str, ...]], Window] = {}

    def day_kinds(self, day: date) -> frozenset[str]:
        """Every kind `day` has, its weekday name and `any` included.

        Raises `CalendarError` when the day's year has no holiday data."""
        kinds = self._kinds.get(day)
        if kinds is None:
            plain = self.plain_kinds(day)
            workday, holiday = self._statutory_status(day)
            extra = {"workday" if workday else "off"}
            if holiday:
                extra.add("holiday")
            if workday and (not self._terms or "term" in plain):
                extra.add("school")
            kinds = self._kinds[day] = plain | extra
        return kinds

    def plain_kinds(self, day: date) -> frozenset[str]:
        """The kinds of `day` that need no holiday data: weekday name, `any`, `weekend`,
        `term` or `vacation`."""
        kinds = self._plain.get(day)
        if kinds is None:
            weekday = day.weekday()
            found = {WEEKDAY_NAMES[weekday], "any"}
            if weekday >= 5:
                found.add("weekend")
            in_term = any(start <= day <= end for start, end in self._terms)
            found.add("term" if in_term else "vacation")
            kinds = self._plain[day] = frozenset(found)
        return kinds

    def matches(self, day: date, kinds: frozenset[str]) -> bool:
        """Whether `day` has any of `kinds`; holiday data is consulted only when the answer
        depends on it."""
        plain = self.plain_kinds(day)
        if kinds & plain:
            return True
        needed = kinds & HOLIDAY_KINDS
        if self._terms and "vacation" in plain:
            needed -= {"school"}
        return bool(needed) and bool(needed & self.day_kinds(day))

    def data_ends(self) -> date | None:
        """The last day up to which holidays are known without a gap: the end of the
        statutory data, extended by consecutive years the config lists days of. None when
        `statutory` is `none` (every year is known)."""
        if not self._statutory:
            return None
        year = _CN_YEARS[1]
        while year + 1 in self._listed_years:
            year += 1
        return date(year, 12, 31)

    def window(self, expr: WindowExpr, zone_id: str | None = None,
               zone_tags: tuple[str, ...] = ()) -> Window:
        """`expr` (a window name or an inline expression) resolved for a zone.

        Raises ValueError for an unknown window name or windows that refer to each other in
        a cycle (config validation reports both first)."""
        cache_key = (expr, zone_id, tuple(zone_tags))
        found = self._windows.get(cache_key)
        if found is None:
            node, canon, overridden = self._compile(expr, zone_id, tuple(zone_tags), ())
            digest = hashlib.sha256(json.dumps(canon).encode()).hexdigest()[:16]
            name = expr if isinstance(expr, str) else describe(expr)
            if overridden:
                name += f" ({zone_id or ', '.join(zone_tags)})"
            found = self._windows[cache_key] = Window(self, node, digest, name)
        return found

    def local_instants(self, day: date, seconds: Iterable[int]) -> set[float]:
        """Every instant at which the site clock shows `day` at one of `seconds` (after
        midnight), both occurrences of a repeated time included, plus every instant the
        site's UTC offset changes during that day."""
        instants = set(self.transitions(day))
        for second in seconds:
            minutes, sec = divmod(second, 60)
            hour, minute = divmod(minutes, 60)
            for fold in (0, 1):
                instants.add(datetime(day.year, day.month, day.day, hour, minute, sec,
                                      tzinfo=self.tz, fold=fold).timestamp())
        return instants

    def midnight(self, day: date) -> float:
        """The instant the site clock reaches `day` (or the first instant after it when a
        clock change skips midnight)."""
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()

    def transitions(self, day: date) -> tuple[float, ...]:
        """Instants in (midnight of `day`, midnight of the next day] at which the site's UTC
        offset changes."""
        found = self._transitions.get(day)
        if found is None:
            start, end = int(self.midnight(day)), int(self.midnight(day + _ONE_DAY))
            samples = [*range(start, end, 3600), end]
            offsets = [self._offset(t) for t in samples]
            changes: list[float] = []
            for i in range(1, len(samples)):
                if offsets[i] != offsets[i - 1]:
                    changes.append(float(_first_change(samples[i - 1], samples[i],
                                                       self._offset)))
            found = self._transitions[day] = tuple(changes)
        return found

    def _offset(self, ts: int) -> timedelta | None:
        return datetime.fromtimestamp(ts, self.tz).utcoffset()

    def _statutory_status(self, day: date) -> tuple[bool, bool]:
        """(is a workday, is a holiday) for `day`."""
        if day in self._holidays:
            return False, True
        if day in self._workdays:
            return True, False
        weekday = day.weekday() < 5
        if not self._statutory:
            return weekday, False
        if _CN_YEARS[0] <= day.year <= _CN_YEARS[1]:
            holiday = day in _CN_HOLIDAYS
            return day in _CN_WORKDAYS or (weekday and not holiday), holiday
        if day.year in self._listed_years:
            return weekday, False
        raise CalendarError(day)

    def _compile(self, expr: WindowExpr, zone_id: str | None, zone_tags: tuple[str, ...],
                 names: tuple[str, ...]) -> tuple[_Node, object, bool]:
        """The evaluable tree of `expr`, its canonical form (for the key), and whether a
        zone override was used anywhere in it."""
        if isinstance(expr, str):
            if expr in names:
                raise ValueError(f"windows refer to each other in a cycle: "
                                 f"{' -> '.join((*names, expr))}")
            if expr not in self.config.windows:
                raise ValueError(f"unknown window {expr!r}")
            return self._compile(self.config.windows[expr], zone_id, zone_tags,
                                 (*names, expr))
        if isinstance(expr, WindowLeaf):
            override = next((o for o in expr.zones if o.matches(zone_id, zone_tags)), None)
            days, hours = expr.days, expr.hours
            if override is not None:
                days = expr.days if override.days is None else override.days
                hours = expr.hours if override.hours is None else override.hours
            leaf = _Leaf(frozenset(days), tuple(_seconds(h) for h in hours))
            return leaf, ["leaf", sorted(set(days)), sorted(set(hours))], override is not None
        if isinstance(expr, NotWindow):
            node, canon, overridden = self._compile(expr.not_, zone_id, zone_tags, names)
            return _Not(node), ["not", canon], overridden
        children = expr.any if isinstance(expr, AnyWindow) else expr.all
        compiled = [self._compile(child, zone_id, zone_tags, names) for child in children]
        nodes = tuple(node for node, _, _ in compiled)
        overridden = any(used for _, _, used in compiled)
        if isinstance(expr, AnyWindow):
            return _Any(nodes), ["any", [c for _, c, _ in compiled]], overridden
        return _All(nodes), ["all", [c for _, c, _ in compiled]], overridden


class Window:
    """One resolved window: a named window resolved for one zone, or an inline expression.

    `key` is equal for windows that behave alike by construction (equal expression, equal
    resolved overrides), so state can be shared between the rules and zones using them."""

    def __init__(self, calendar: SchoolCalendar, root: _Node, key: str, name: str) -> None:
        self.key = key
        self.name = name
        self._calendar = calendar
        self._root = root
        self._edges = sorted({0, *root.edges()})
        self._timeline: _Timeline | None = None

    def __repr__(self) -> str:
        return f"Window({self.name!r}, key={self.key!r})"

    def active(self, ts: float) -> bool:
        """Whether the window is open at unix time `ts` (site-local clock).

        Raises `CalendarError` when the answer needs holidays nobody knows."""
        moment = datetime.fromtimestamp(ts, self._calendar.tz)
        second = (moment.hour * 3600 + moment.minute * 60 + moment.second
                  + moment.microsecond / 1_000_000)
        return self._root.open(self._calendar, moment.date(), second)

    def next_change(self, ts: float, until: float | None = None) -> float | None:
        """The smallest t > ts with `active(t) != active(ts)`; None if there is none within
        400 days (or before `until`, when given).

        Raises `CalendarError` when the change may come on a day nobody knows the holidays
        of; asked again with `until` at that day's midnight, it answers for the days before.
        """
        timeline = self._timeline
        if timeline is None or ts < timeline.start:
            timeline = self._timeline = _Timeline(self, ts)
        return timeline.next_change(ts, until)

    def _candidates(self, day: date) -> set[float]:
        """The instants during `day` at which this window may change."""
        return self._calendar.local_instants(day, self._edges)


class _Timeline:
    """A window's changes from one instant on, worked out lazily and kept for later
    questions.

    A window can only change where the site clock crosses a range edge or midnight, or
    where the clock itself jumps; those candidate instants are visited in order and the
    ones where the window flips are kept."""

    def __init__(self, window: Window, start: float) -> None:
        calendar = window._calendar
        self.window = window
        self.start = start
        self.state = window.active(start)  # from `seen` up to the next candidate
        self.seen = start                  # every candidate up to here is visited
        self.changes: list[float] = []
        self.pending: list[float] = []     # candidates after `seen`, a heap
        self.day = datetime.fromtimestamp(start, calendar.tz).date() - _ONE_DAY
        # Every instant of a day comes after the previous day's midnight.
        self.floor = calendar.midnight(self.day - _ONE_DAY)
        self.blocked: date | None = None  # the next candidate needs this unknown day

    def next_change(self, ts: float, until: float | None) -> float | None:
        limit = ts + _HORIZON_S
        if until is not None:
            limit = min(limit, math.nextafter(until, -math.inf))
        while True:
            index = bisect.bisect_right(self.changes, ts)
            if index > _STALE_CHANGES:  # forget what lies behind the questions
                del self.changes[:index]
                self.start = ts
                index = 0
            if index < len(self.changes):
                change = self.changes[index]
                return change if change <= limit else None
            if self.seen >= limit:
                return None
            if self.blocked is not None:
                if self.pending[0] > limit:
                    return None
                raise CalendarError(self.blocked)
            self._visit_next()

    def _visit_next(self) -> None:
        calendar = self.window._calendar
        while not self.pending or self.floor <= self.pending[0]:
            for instant in self.window._candidates(self.day):
                if instant > self.seen:
                    heapq.heappush(self.pending, instant)
            self.floor = calendar.midnight(self.day)
            self.day += _ONE_DAY
        instant = self.pending[0]
        try:
            state = self.window.active(instant)
        except CalendarError as gap:
            self.blocked = gap.date
            return
        heapq.heappop(self.pending)
        if state != self.state:
            self.changes.append(instant)
            self.state = state
        self.seen = instant


class _Node:
    """A compiled window expression, evaluated at a site-local day and second of day."""

    def open(self, calendar: SchoolCalendar, day: date, second: float) -> bool:
        raise NotImplementedError

    def edges(self) -> set[int]:
        """Seconds after midnight at which this node may change."""
        raise NotImplementedError


class _Leaf(_Node):
    def __init__(self, days: frozenset[str], ranges: tuple[tuple[int, int], ...]) -> None:
        self.days = days
        self.ranges = ranges

    def open(self, calendar: SchoolCalendar, day: date, second: float) -> bool:
        if not self.ranges:
            return calendar.matches(day, self.days)
        starts: list[date] = []
        for start, end in self.ranges:
            if start < end:
                if start <= second < end:
                    starts.append(day)
            elif second >= start:
                starts.append(day)
            elif second < end:
                starts.append(day - _ONE_DAY)  # an overnight range belongs to its first day
        return _any_of(lambda on: calendar.matches(on, self.days), starts)

    def edges(self) -> set[int]:
        return {edge for pair in self.ranges for edge in pair}


class _Any(_Node):
    def __init__(self, children: tuple[_Node, ...]) -> None:
        self.children = children

    def open(self, calendar: SchoolCalendar, day: date, second: float) -> bool:
        return _any_of(lambda child: child.open(calendar, day, second), self.children)

    def edges(self) -> set[int]:
        return set().union(*(child.edges() for child in self.children))


class _All(_Any):
    def open(self, calendar: SchoolCalendar, day: date, second: float) -> bool:
        return not _any_of(lambda child: not child.open(calendar, day, second), self.children)


class _Not(_Node):
    def __init__(self, child: _Node) -> None:
        self.child = child

    def open(self, calendar: SchoolCalendar, day: date, second: float) -> bool:
        return not self.child.open(calendar, day, second)

    def edges(self) -> set[int]:
        return self.child.edges()


def _any_of(test: Callable[[_T], bool], items: Iterable[_T]) -> bool:
    """Whether `test` holds for any item; a `CalendarError` is raised only when no other
    item settles the answer."""
    error: CalendarError | None = None
    for item in items:
        try:
            if test(item):
                return True
        except CalendarError as exc:
            error = exc
    if error is not None:
        raise error
    return False


def _first_change(before: int, after: int, offset: Callable[[int], object]) -> int:
    """The first second in (before, after] whose offset differs from `before`'s."""
    reference = offset(before)
    while after - before > 1:
        middle = (before + after) // 2
        if offset(middle) == reference:
            before = middle
        else:
            after = middle
    return after


def _seconds(hour_range: str) -> tuple[int, int]:
    start, end = hour_range.split("-")
    return _clock_seconds(start), _clock_seconds(end)


def _clock_seconds(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def describe(expr: WindowExpr) -> str:
    """A short human text for a window expression, e.g. `school 08:00-12:00`."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, WindowLeaf):
        return " ".join([",".join(expr.days), *expr.hours])
    if isinstance(expr, NotWindow):
        return f"not {_grouped(expr.not_)}"
    if isinstance(expr, AnyWindow):
        return " or ".join(_grouped(part) for part in expr.any)
    return " and ".join(_grouped(part) for part in expr.all)


def _grouped(expr: WindowExpr) -> str:
    text = describe(expr)
    return text if isinstance(expr, str) else f"({text})"
