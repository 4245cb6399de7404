"""What rules name must exist: devices, zones, channels, calendar windows, device types and
points. Each problem is reported at its place in the `rules` list."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence, Set

from gateway.core.config import DeviceBase, Loc
from gateway.core.events import AVAILABILITY
from gateway.core.site import ZoneConfig
from rules.bindings import bind, device_infos
from rules.calendar_config import CalendarConfig, WindowExpr, parts
from rules.config import PointTest, RuleConfig

PointsOf = Callable[[DeviceBase], tuple[str, ...]]


def rule_reference_errors(rules: Sequence[RuleConfig], devices: Sequence[DeviceBase],
                          zones: Sequence[ZoneConfig], channels: set[str],
                          calendar: CalendarConfig, known_types: Set[str],
                          points_of: PointsOf) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    by_id = {device.id: device for device in devices}
    zone_ids = {zone.id for zone in zones}
    selected: dict[int, list[DeviceBase]] = {i: [] for i in range(len(rules))}
    for device_id, numbers in bind(rules, device_infos(devices, zones))[0].items():
        for number in numbers:
            selected[number].append(by_id[device_id])
    zone_tags = {tag for zone in zones for tag in zone.tags}
    for i, rule in enumerate(rules):
        at: Loc = ("rules", i)
        errors += _selector_errors(rule, at, by_id, zone_ids, zone_tags, known_types)
        for j, channel in enumerate(rule.channels):
            if channel not in channels:
                errors.append(((*at, "channels", j), f"unknown channel {channel!r}"))
        for j, step in enumerate(rule.escalate):
            for k, channel in enumerate(step.channels):
                if channel not in channels:
                    errors.append(((*at, "escalate", j, "channels", k),
                                   f"unknown channel {channel!r}"))
        if isinstance(rule.snapshot, tuple):
            for j, camera in enumerate(rule.snapshot):
                if camera not in by_id:
                    errors.append(((*at, "snapshot", j), f"unknown camera {camera!r}"))
        if rule.during is not None:
            errors += window_name_errors(rule.during, (*at, "during"), calendar)
        errors += _point_errors(rule, at, selected[i], by_id, points_of)
    return errors


def window_name_errors(expr: WindowExpr, at: Loc, calendar: CalendarConfig
                       ) -> list[tuple[Loc, str]]:
    known = sorted(calendar.windows)
    return [(loc, f"unknown window {part!r} (known: {', '.join(known) or 'none'})")
            for loc, part in parts(expr, at)
            if isinstance(part, str) and part not in calendar.windows]


def _selector_errors(rule: RuleConfig, at: Loc, by_id: dict[str, DeviceBase],
                     zone_ids: set[str], zone_tags: set[str], known_types: Set[str]
                     ) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    select = (*at, "select")
    for j, device_id in enumerate(rule.select.devices):
        if device_id not in by_id:
            errors.append(((*select, "devices", j), f"unknown device {device_id!r}"))
    for j, device_type in enumerate(rule.select.type):
        if device_type not in known_types:
            errors.append(((*select, "type", j), f"unknown device type {device_type!r} "
                           f"(known: {', '.join(sorted(known_types))})"))
    for j, zone in enumerate(rule.select.zones):
        if zone not in zone_ids:
            errors.append(((*select, "zones", j), f"unknown zone {zone!r}"))
    for j, tag in enumerate(rule.select.zone_tags):
        if tag not in zone_tags:
            errors.append(((*select, "zone_tags", j), f"no zone is tagged {tag!r}"))
    return errors


def _point_errors(rule: RuleConfig, at: Loc, selected: list[DeviceBase],
                  by_id: dict[str, DeviceBase], points_of: PointsOf) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    for test, loc in _tests_with_places(rule, (*at, "when")):
        if test.availability is not None:
            continue
        point = test.point or test.event or ""
        if test.device is not None:
            other = by_id.get(test.device)
            if other is None:
                errors.append(((*loc, "device"), f"unknown device {test.device!r}"))
                continue
            if "*" in point:
                errors.append(((*loc, "point"), "a point of another device cannot use `*`"))
                continue
            candidates = [other]
        else:
            candidates = selected
        known = [names for names in (points_of(d) for d in candidates) if names]
        if not known or any(_has_point(names, point) for names in known):
            continue
        example = candidates[[bool(points_of(d)) for d in candidates].index(True)]
        names = ", ".join(points_of(example)[:12])
        errors.append(((*loc, "point" if test.point is not None else "event"),
                       f"unknown point {point!r}: {example.type} {example.id} has "
                       f"{names}{', ...' if len(points_of(example)) > 12 else ''}"))
    return errors


def _has_point(names: tuple[str, ...], point: str) -> bool:
    if point == AVAILABILITY:
        return True
    return any(fnmatch.fnmatchcase(name, point) or fnmatch.fnmatchcase(point, name)
               for name in names)


def _tests_with_places(rule: RuleConfig, at: Loc) -> list[tuple[PointTest, Loc]]:
    """Each test of the condition with its path, e.g. `rules[3].when.all[1]`."""
    found: list[tuple[PointTest, Loc]] = []

    def walk(condition: object, loc: Loc) -> None:
        if isinstance(condition, PointTest):
            found.append((condition, loc))
            return
        for key in ("all", "any"):
            for j, part in enumerate(getattr(condition, key, ()) or ()):
                walk(part, (*loc, key, j))
        inner = getattr(condition, "not_", None)
        if inner is not None:
            walk(inner, (*loc, "not"))

    walk(rule.when, at)
    return found
