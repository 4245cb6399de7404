"""Which rules watch which devices, worked out once per config.

Devices that look the same to every selector (same type, zone and tags, and not named by
id) share one point index, so ten thousand devices cost a few indexes, not ten thousand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.core.config import DeviceBase
from gateway.core.site import ZoneConfig
from rules.conditions import subject
from rules.config import RuleConfig, point_tests


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device with the names alert templates need."""

    id: str
    type: str
    name: str
    zone_id: str
    zone_name: str
    location: str
    zone_tags: tuple[str, ...]
    tags: tuple[str, ...]


def device_infos(devices: Sequence[DeviceBase], zones: Sequence[ZoneConfig]
                 ) -> dict[str, DeviceInfo]:
    by_id = {zone.id: zone for zone in zones}
    infos: dict[str, DeviceInfo] = {}
    for device in devices:
        zone = by_id.get(device.zone)
        infos[device.id] = DeviceInfo(
            device.id, device.type, device.name, device.zone, zone.name if zone else device.zone,
            device.location or (zone.name if zone else device.zone),
            zone.tags if zone else (), device.tags)
    return infos


@dataclass(frozen=True, slots=True)
class PointIndex:
    """For one kind of device: the rules each point wakes up.

    `exact[point]` are rule numbers; `globs` pair a pattern (its one group is the `*`
    match) with a rule number.
    """

    exact: dict[str, tuple[int, ...]]
    globs: tuple[tuple[re.Pattern[str], int], ...]


def glob_pattern(point: str) -> re.Pattern[str]:
    """`zone.*.state` as a pattern whose group is what the `*` matched."""
    return re.compile(re.escape(point).replace(r"\*", "(.+?)", 1))


def own_points(rule: RuleConfig) -> list[str]:
    """The points of the rule's own device that its condition reads, in order."""
    return [subject(test) for test in point_tests(rule.when) if test.device is None]


def other_points(rule: RuleConfig) -> list[tuple[str, str]]:
    """(device, point) pairs of other devices the condition reads."""
    return [(test.device, subject(test)) for test in point_tests(rule.when)
            if test.device is not None]


def bind(rules: Sequence[RuleConfig], devices: dict[str, DeviceInfo]
         ) -> tuple[dict[str, tuple[int, ...]], dict[str, PointIndex]]:
    """Rule numbers per device, and the point index per device (shared when equal)."""
    general = [i for i, rule in enumerate(rules) if not rule.select.devices]
    by_look: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], tuple[int, ...]] = {}
    rules_of: dict[str, tuple[int, ...]] = {}
    for device in devices.values():
        look = (device.type, device.zone_id, device.zone_tags, device.tags)
        if look not in by_look:
            by_look[look] = tuple(i for i in general if _selects(rules[i], device))
        rules_of[device.id] = by_look[look]
    for i, rule in enumerate(rules):
        for device_id in rule.select.devices:
            named = devices.get(device_id)
            if named is not None and _selects(rule, named):
                rules_of[device_id] = tuple(sorted({*rules_of[device_id], i}))
    indexes: dict[tuple[int, ...], PointIndex] = {}
    index_of: dict[str, PointIndex] = {}
    for device_id, numbers in rules_of.items():
        if numbers not in indexes:
            indexes[numbers] = _point_index(rules, numbers)
        index_of[device_id] = indexes[numbers]
    return rules_of, index_of


def _selects(rule: RuleConfig, device: DeviceInfo) -> bool:
    return rule.select.matches(device.id, device.type, device.zone_id, device.zone_tags,
                               device.tags)


def _point_index(rules: Sequence[RuleConfig], numbers: tuple[int, ...]) -> PointIndex:
    exact: dict[str, list[int]] = {}
    globs: list[tuple[re.Pattern[str], int]] = []
    for i in numbers:
        for point in dict.fromkeys(own_points(rules[i])):
            if "*" in point:
                globs.append((glob_pattern(point), i))
            elif i not in exact.setdefault(point, []):
                exact[point].append(i)
    return PointIndex({point: tuple(found) for point, found in exact.items()}, tuple(globs))
