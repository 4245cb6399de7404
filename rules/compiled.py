"""The rule engine: rules compiled once, evaluated per event, per timer and per calendar
window edge. It only emits alert specs and clears; the alert manager does the rest.

Each rule watches each selected device (and, for a `*` point, each match) as a *unit*:
its condition is true or not, has held since when, and is active (its alert raised) or
not. Units of one rule that share a group key make one *incident*, i.e. one alert.

- `for:` a unit becomes held once its condition has held that long; a timer says when.
- `during:` a held unit is active only while its window is; at the window's start a unit
  already held raises at once, at its end the alert clears.
- A device going offline or sending a value of bad quality changes nothing here: the
  last good value stands until the device says otherwise, so a brief outage neither
  raises nor resets a `for:` (the outage raises its own offline alert).
- Momentary rules (events, changes, `count:`) raise per occurrence and never clear.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from gateway.core.alerts import AlertSpec, Category, ClearSpec, EscalationStep, Severity
from gateway.core.events import Event, PointValue, Quality
from rules.bindings import (
    DeviceInfo,
    PointIndex,
    bind,
    device_infos,
    glob_pattern,
    other_points,
    own_points,
)
from rules.calendar import CalendarError, SchoolCalendar, Window
from rules.conditions import MISSING, Predicate, Values, compile_condition
from rules.config import RuleConfig, point_tests
from rules.engine import ModeLookup, Outcome
from rules.site import RuleSite
from rules.timers import Held, HeldLog, MemoryHeldLog

log = logging.getLogger(__name__)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters a device may send in a value or a point's name: in an alert's key,
title or message they are shown as U+FFFD (a NUL, which PostgreSQL cannot keep, would
hold every alert behind it)."""

CALENDAR_RULE = "school-calendar"


@dataclass(slots=True)
class _Rule:
    number: int
    config: RuleConfig
    predicate: Predicate
    primary: str
    globbed: bool
    reads: tuple[str, ...]
    """Points of the unit's own device the condition reads (`*` unbound)."""
    reads_other: tuple[tuple[str, str], ...]
    """(device, point) of other devices it reads."""
    momentary: bool
    each_occurs: bool
    timed: bool
    escalation: tuple[EscalationStep, ...]
    snapshot: tuple[str, ...] | None


@dataclass(slots=True, eq=False)
class _Unit:
    rule: _Rule
    device: DeviceInfo
    match: str
    key: str
    window: _WindowState | None
    incident: _Incident | None = None
    cond: bool = False
    since: float | None = None
    held: bool = False
    active: bool = False
    deadline: float | None = None


@dataclass(slots=True, eq=False)
class _Incident:
    key: str
    members: set[str] = field(default_factory=set)
    occurrences: deque[tuple[float, str]] = field(default_factory=deque)


@dataclass(slots=True, eq=False)
class _WindowState:
    window: Window
    active: bool = False
    next_change: float | None = None
    units: list[_Unit] = field(default_factory=list)


class CompiledRuleEngine:
    """Evaluates a config's rules. Not thread-safe: call it from one thread (the loop)."""

    def __init__(self, config: RuleSite, calendar: SchoolCalendar | None = None,
                 modes: ModeLookup | None = None, held_log: HeldLog | None = None) -> None:
        self._site = config.site.id
        self._tz: tzinfo = config.site.tz
        self._calendar = calendar or SchoolCalendar(config.calendar, self._tz)
        self._modes = modes
        self._held_log: HeldLog = held_log or MemoryHeldLog()
        self._devices = device_infos(config.devices, config.zones)
        self._rules = [self._compile(i, rule) for i, rule in enumerate(config.rules)]
        self._rule_ids = {rule.config.id: rule for rule in self._rules}
        self._rules_of, self._index_of = bind(config.rules, self._devices)
        self._watchers: dict[tuple[str, str], list[tuple[_Rule, str]]] = {}
        for device_id, numbers in self._rules_of.items():
            for number in numbers:
                for watched in self._rules[number].reads_other:
                    self._watchers.setdefault(watched, []).append((self._rules[number],
                                                                   device_id))
        self.values: Values = {}
        self._units: dict[tuple[int, str], dict[str, _Unit]] = {}
        self._incidents: dict[str, _Incident] = {}
        self._windows: dict[str, _WindowState] = {}
        self._window_of: dict[tuple[int, str], _WindowState] = {}
        self._timers: list[tuple[float, int, _Unit | _WindowState]] = []
        self._seq = itertools.count()
        self._started = False
        self._calendar_gaps: set[int] = set()

    # -- the seam -----------------------------------------------------------------------

    def start(self, now: float, held: Iterable[Held] = ()) -> list[Outcome]:
        """Restore held conditions and open the calendar windows rules use, as of `now`."""
        self._started = True
        outcomes: list[Outcome] = []
        for device_id, numbers in self._rules_of.items():
            for number in numbers:
                if self._rules[number].config.during is not None:
                    self._window_for(self._rules[number], self._devices[device_id], now,
                                     outcomes)
        for entry in held:
            self._restore(entry, now, outcomes)
        outcomes += self.on_time(now)
        return outcomes

    def on_event(self, event: Event) -> list[Outcome]:
        outcomes = [] if self._started else self.start(event.ts)
        if self._timers and self._timers[0][0] <= event.ts:
            outcomes += self.on_time(event.ts)
        if event.quality is not Quality.GOOD:
            return outcomes
        device_id, point = event.device_id, event.point
        index = self._index_of.get(device_id)
        exact: tuple[int, ...] = ()
        globbed: list[tuple[str, int]] = []
        if index is not None:
            exact = index.exact.get(point, ())
            if index.globs:
                globbed = [(found.group(1), number) for pattern, number in index.globs
                           if (found := pattern.fullmatch(point))]
        watchers = self._watchers.get((device_id, point)) if self._watchers else None
        if not exact and not globbed and watchers is None:
            return outcomes
        previous = self.values.get((device_id, point), MISSING)
        self.values[(device_id, point)] = event.value
        for number in exact:
            rule = self._rules[number]
            if rule.globbed:
                for unit in list(self._units.get((number, device_id), {}).values()):
                    self._evaluate(unit, event, previous, outcomes)
            else:
                self._evaluate(self._unit(rule, device_id, "", event.ts, outcomes),
                               event, previous, outcomes)
        for match, number in globbed:
            unit = self._unit(self._rules[number], device_id, match, event.ts, outcomes)
            self._evaluate(unit, event, previous, outcomes)
        for rule, owner in watchers or ():
            units = self._units.get((rule.number, owner))
            if units is None and not rule.globbed:
                units = {"": self._unit(rule, owner, "", event.ts, outcomes)}
            for unit in list((units or {}).values()):
                self._evaluate(unit, event, previous, outcomes)
        return outcomes

    def on_time(self, now: float) -> list[Outcome]:
        """Fire the `for:` timers and window edges due by `now`, each at its own time."""
        outcomes: list[Outcome] = []
        while self._timers and self._timers[0][0] <= now:
            due, _, what = heapq.heappop(self._timers)
            if isinstance(what, _WindowState):
                if what.next_change == due:
                    self._window_edge(what, due, outcomes)
            elif what.deadline == due:
                what.deadline = None
                what.held = True
                self._settle(what, due, outcomes)
        return outcomes

    def clock_stepped(self, step_s: float, now: float) -> list[Outcome]:
        """Move what was measured on the old wall time by `step_s`, so that a `for:` fires
        after its duration of elapsed time and `count: within:` keeps its occurrences;
        then read every window again at `now`."""
        outcomes: list[Outcome] = []
        for found in self._units.values():
            for unit in found.values():
                if unit.since is not None:
                    unit.since += step_s
                if unit.deadline is not None:
                    self._schedule(unit, unit.deadline + step_s)
                if unit.rule.timed and unit.cond:
                    self._settle(unit, now, outcomes)
        for incident in self._incidents.values():
            incident.occurrences = deque((ts + step_s, device)
                                         for ts, device in incident.occurrences)
        for state in self._windows.values():
            self._window_edge(state, now, outcomes)
        return outcomes

    def next_deadline(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def stats(self) -> dict[str, int]:
        """For /health: rules, followed units, units holding, timers and window edges due."""
        units = [unit for found in self._units.values() for unit in found.values()]
        return {"rules": len(self._rules), "units": len(units),
                "holding": sum(unit.cond for unit in units),
                "scheduled": len(self._timers)}

    # -- units --------------------------------------------------------------------------

    def _unit(self, rule: _Rule, device_id: str, match: str, ts: float,
              outcomes: list[Outcome]) -> _Unit:
        units = self._units.get((rule.number, device_id))
        if units is None:
            units = self._units[(rule.number, device_id)] = {}
        unit = units.get(match)
        if unit is None:
            device = self._devices[device_id]
            key = f"{rule.config.id}:{device_id}" + (f":{rule.primary.replace('*', match)}"
                                                     if rule.globbed else "")
            window = (self._window_for(rule, device, ts, outcomes)
                      if rule.config.during is not None else None)
            unit = units[match] = _Unit(rule, device, match, key, window)
            if window is not None:
                window.units.append(unit)
        return unit

    def _evaluate(self, unit: _Unit, event: Event, previous: PointValue,
                  outcomes: list[Outcome]) -> None:
        ts = event.ts
        now_true = unit.rule.predicate(self.values, unit.device.id, unit.match, event, previous)
        if unit.rule.momentary:
            rising = now_true and (unit.rule.each_occurs or not unit.cond)
            unit.cond = now_true
            if rising and self._in_window(unit):
                self._occurred(unit, ts, outcomes)
            return
        if now_true == unit.cond:
            return
        unit.cond = now_true
        if now_true:
            unit.since = ts
            for_s = unit.rule.config.for_
            if for_s is None:
                unit.held = True
            else:
                self._schedule(unit, ts + for_s)
        else:
            unit.since = None
            unit.held = False
            unit.deadline = None
        self._settle(unit, ts, outcomes)

    def _settle(self, unit: _Unit, ts: float, outcomes: list[Outcome]) -> None:
        """Make the unit's alert match its state: held and in its window means active."""
        active = unit.held and self._in_window(unit)
        changed = active != unit.active
        unit.active = active
        if unit.rule.timed:
            if unit.cond:
                self._held_log.hold(Held(unit.key, unit.since or ts, active,
                                         self._read_values(unit)))
            else:
                self._held_log.release(unit.key)
        if not changed:
            return
        if active:
            incident = unit.incident = self._incident(unit)
            incident.members.add(unit.key)
            spec = self._spec(unit, incident.key, ts)
            if spec is not None:
                outcomes.append(spec)
        elif unit.incident is not None:
            incident, unit.incident = unit.incident, None
            incident.members.discard(unit.key)
            if not incident.members:
                del self._incidents[incident.key]
                outcomes.append(ClearSpec(incident.key, ts, self._clear_reason(unit)))

    def _occurred(self, unit: _Unit, ts: float, outcomes: list[Outcome]) -> None:
        config = unit.rule.config
        incident = self._incident(unit)
        if config.count is not None and config.within is not None:
            seen = incident.occurrences
            seen.append((ts, unit.device.id))
            while seen and seen[0][0] <= ts - config.within:
                seen.popleft()
            tally = (len({device for _, device in seen}) if config.distinct == "device"
                     else len(seen))
            if tally < config.count:
                return
        else:
            self._incidents.pop(incident.key, None)  # nothing to remember between events
        spec = self._spec(unit, incident.key, ts)
        if spec is not None:
            outcomes.append(spec)

    def _restore(self, entry: Held, now: float, outcomes: list[Outcome]) -> None:
        rule_id, device_id, point = [*entry.key.split(":", 2), "", ""][:3]
        rule = self._rule_ids.get(rule_id)
        if (rule is None or not rule.timed or device_id not in self._devices
                or rule.number not in self._rules_of[device_id]):
            self._held_log.release(entry.key)
            return
        found = glob_pattern(rule.primary).fullmatch(point) if rule.globbed else None
        match = found.group(1) if found else ""
        for device, point_name, value in entry.values:
            self.values.setdefault((device, point_name), value)
        unit = self._unit(rule, device_id, match, now, outcomes)
        unit.cond, unit.since, unit.active = True, entry.since, entry.active
        if entry.active:
            unit.incident = self._incident(unit)
            unit.incident.members.add(unit.key)
        for_s = rule.config.for_
        if for_s is None or entry.since + for_s <= now:
            unit.held = True
        else:
            self._schedule(unit, entry.since + for_s)
        self._settle(unit, now, outcomes)

    # -- calendar windows ---------------------------------------------------------------

    def _window_for(self, rule: _Rule, device: DeviceInfo, ts: float,
                    outcomes: list[Outcome]) -> _WindowState:
        cached = self._window_of.get((rule.number, device.zone_id))
        if cached is not None:
            return cached
        assert rule.config.during is not None
        window = self._calendar.window(rule.config.during, device.zone_id, device.zone_tags)
        state = self._windows.get(window.key)
        if state is None:
            state = self._windows[window.key] = _WindowState(window)
            self._open_window(state, ts, outcomes)
        self._window_of[(rule.number, device.zone_id)] = state
        return state

    def _open_window(self, state: _WindowState, ts: float, outcomes: list[Outcome]) -> None:
        """Learn whether the window is open at `ts` and when that changes."""
        window = state.window
        try:
            state.active = window.active(ts)
            try:
                state.next_change = window.next_change(ts)
            except CalendarError as ahead:  # said ahead of time; known days still count
                self._calendar_gap(ahead, ts, outcomes)
                unknown = datetime.combine(ahead.date, datetime.min.time(), self._tz).timestamp()
                if unknown <= ts:
                    raise
                state.next_change = window.next_change(ts, until=unknown) or unknown
        except CalendarError as gap:
            # Nothing is guessed: the window counts as open, so that no alert is missed,
            # and an alert says the calendar needs its dates. Asked again at midnight.
            state.active = True
            state.next_change = self._midnight(ts, 1)
            self._calendar_gap(gap, ts, outcomes)
        if state.next_change is not None and state.next_change <= ts:
            log.error("window %s: next change %s is not after %s", window.name,
                      state.next_change, ts)
            state.next_change = ts + 60.0  # never spin on one instant
        if state.next_change is not None:
            heapq.heappush(self._timers, (state.next_change, next(self._seq), state))

    def _window_edge(self, state: _WindowState, ts: float, outcomes: list[Outcome]) -> None:
        self._open_window(state, ts, outcomes)
        for unit in state.units:
            if unit.rule.momentary:
                continue
            self._settle(unit, ts, outcomes)

    def _in_window(self, unit: _Unit) -> bool:
        return unit.window is None or unit.window.active

    def _calendar_gap(self, gap: CalendarError, ts: float, outcomes: list[Outcome]) -> None:
        """One alert per unknown year, raised as soon as a window needs that year."""
        year = gap.date.year
        if year in self._calendar_gaps:
            return
        self._calendar_gaps.add(year)
        log.error("school calendar: %s", gap)
        outcomes.append(AlertSpec(
            key=f"{CALENDAR_RULE}:{year}", rule_id=CALENDAR_RULE, site=self._site,
            device_id="", zone="", category=Category.MAINTENANCE, severity=Severity.HIGH,
            title=f"School calendar has no holiday data for {year} (from {gap.date})",
            message=f"{gap}. Meanwhile, rules limited to calendar windows treat those days' "
                    "windows as open, so that nothing is missed: expect more alerts.", ts=ts))

    def _midnight(self, ts: float, days: int) -> float:
        """Site-local midnight `days` after the day of `ts`."""
        day = datetime.fromtimestamp(ts, self._tz).date() + timedelta(days=days)
        return datetime(day.year, day.month, day.day, tzinfo=self._tz).timestamp()

    # -- alert specs --------------------------------------------------------------------

    def _incident(self, unit: _Unit) -> _Incident:
        """The incident the unit belongs to now (its group key may name values)."""
        rule = unit.rule
        key = unit.key if rule.config.group is None else (
            f"{rule.config.id}:" + self._fill(rule.config.group, rule, unit.device, unit.match))
        incident = self._incidents.get(key)
        if incident is None:
            incident = self._incidents[key] = _Incident(key)
        return incident

    def _spec(self, unit: _Unit, key: str, ts: float) -> AlertSpec | None:
        rule, device = unit.rule, unit.device
        config = rule.config
        title = self._fill(config.title, rule, device, unit.match)
        title_en = self._fill(config.title_en, rule, device, unit.match)
        message = self._fill(config.message, rule, device, unit.match)
        channels = config.channels
        drill = False
        if self._modes is not None:
            maintenance = self._modes.maintenance(device.id, ts)
            if maintenance is not None:
                if maintenance.action == "suppress":
                    return None
                title, channels = f"[maintenance] {title}", ()
                title_en = f"[maintenance] {title_en}" if title_en else ""
            drill = self._modes.drill(device.zone_id, ts) is not None
        return AlertSpec(
            key=key, rule_id=config.id, site=self._site, device_id=device.id,
            zone=device.zone_id, category=config.category, severity=config.severity,
            title=title, message=message, location=device.location, channels=channels,
            latching=config.latches, ts=ts, drill=drill, escalation=rule.escalation,
            sop=config.sop, title_en=title_en, snapshot=rule.snapshot)

    def _fill(self, template: str, rule: _Rule, device: DeviceInfo, match: str) -> str:
        if not template:
            return ""
        point = rule.primary.replace("*", match, 1) if rule.globbed else rule.primary
        value = self.values.get((device.id, point))
        filled = template.format(device=device.name, device_id=device.id,
                                 zone=device.zone_name, zone_id=device.zone_id,
                                 location=device.location, point=point, value=value,
                                 match=match, rule=rule.config.id)
        return _CONTROL.sub("\ufffd", filled)

    def _clear_reason(self, unit: _Unit) -> str:
        if unit.cond and unit.window is not None and not unit.window.active:
            return f"outside {unit.window.window.name}"
        return "condition cleared"

    # -- compiling ----------------------------------------------------------------------

    def _compile(self, number: int, config: RuleConfig) -> _Rule:
        points = tuple(dict.fromkeys(own_points(config)))
        primary = points[0] if points else ""
        snapshot: tuple[str, ...] | None
        if config.snapshot == "zone":
            snapshot = None
        elif config.snapshot == "none":
            snapshot = ()
        else:
            snapshot = tuple(config.snapshot)
        return _Rule(
            number=number, config=config, predicate=compile_condition(config.when),
            primary=primary, globbed="*" in primary, reads=points,
            reads_other=tuple(dict.fromkeys(other_points(config))), momentary=config.momentary,
            each_occurs=any(test.momentary for test in point_tests(config.when)),
            timed=not config.momentary and (config.for_ is not None
                                            or config.during is not None),
            escalation=tuple(EscalationStep(after_s=step.after, severity=step.severity,
                                            channels=step.channels, renotify=step.renotify,
                                            note=step.note) for step in config.escalate),
            snapshot=snapshot)

    def _schedule(self, unit: _Unit, deadline: float) -> None:
        unit.deadline = deadline
        heapq.heappush(self._timers, (deadline, next(self._seq), unit))

    def _read_values(self, unit: _Unit) -> tuple[tuple[str, str, PointValue], ...]:
        points = [(unit.device.id, p.replace("*", unit.match, 1)) for p in unit.rule.reads]
        return tuple((device, point, self.values[(device, point)])
                     for device, point in (*points, *unit.rule.reads_other)
                     if (device, point) in self.values)

    @property
    def devices(self) -> dict[str, DeviceInfo]:
        return self._devices

    def index_of(self, device_id: str) -> PointIndex | None:
        return self._index_of.get(device_id)
