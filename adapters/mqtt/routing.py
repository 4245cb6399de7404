"""From a topic to the devices and points it carries, computed once from config.

Exact topics are one dict lookup. Wildcard patterns are tried only for topics not in the
dict, and what they resolve to is remembered (up to a bound), so that a device publishing
under a wildcard mapping costs a dict lookup from its second message on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from adapters.mqtt.config import MqttDeviceBase
from adapters.mqtt.mapping import PointMapping
from adapters.mqtt.topics import filter_matches, is_wildcard
from adapters.mqtt.values import JSON_CONVERTERS, PLAIN_CONVERTERS, JsonConverter, PlainConverter

CACHE_LIMIT = 10_000
"""How many topics resolved through wildcard patterns (or to nothing) are remembered."""


@dataclass(frozen=True, slots=True)
class PointReader:
    """Reads one point: from the JSON document at `path` (`key` when the path is one
    level), or from the plain payload."""

    point: str
    path: tuple[str, ...] | None
    key: str | None
    plain: PlainConverter
    json: JsonConverter
    urgent: bool


@dataclass(frozen=True, slots=True)
class DeviceRoute:
    """The points one device publishes on one topic (pattern)."""

    device_id: str
    readers: tuple[PointReader, ...]
    needs_json: bool


def fill_topic(pattern: str, prefix: str, device_id: str) -> str:
    """A mapping's topic with `{prefix}` and `{id}` filled in."""
    return pattern.replace("{prefix}", prefix).replace("{id}", device_id)


def _reader(mapping: PointMapping) -> PointReader:
    path = tuple(mapping.json_field.split(".")) if mapping.json_field is not None else None
    key = path[0] if path is not None and len(path) == 1 else None
    return PointReader(mapping.point, path, key, PLAIN_CONVERTERS[mapping.kind],
                       JSON_CONVERTERS[mapping.kind], mapping.urgent)


def device_routes(device: MqttDeviceBase, prefix: str,
                  shared: dict[PointMapping, PointReader] | None = None
                  ) -> dict[str, DeviceRoute]:
    """The device's routes by filled-in topic pattern. The readers in `shared` (one per
    mapping) serve every device of a type, which share its default mapping."""
    known = {} if shared is None else shared
    by_topic: dict[str, list[PointReader]] = {}
    for mapping in device.points:
        reader = known.get(mapping)
        if reader is None:
            reader = known[mapping] = _reader(mapping)
        by_topic.setdefault(fill_topic(mapping.topic, prefix, device.id), []).append(reader)
    return {
        topic: DeviceRoute(device.id, tuple(readers),
                           any(reader.path is not None for reader in readers))
        for topic, readers in by_topic.items()
    }


class TopicRouter:
    """Resolves a topic to the device routes it feeds; empty for an unknown topic."""

    def __init__(self, exact: dict[str, tuple[DeviceRoute, ...]],
                 patterns: Sequence[tuple[str, DeviceRoute]]) -> None:
        self._known: dict[str, tuple[DeviceRoute, ...]] = dict(exact)
        self._patterns = [(tuple(pattern.split("/")), route) for pattern, route in patterns]
        self._cached = 0
        self.filters: tuple[str, ...] = tuple(sorted({*exact, *(p for p, _ in patterns)}))
        """Every filled-in topic pattern, for subscribing."""

    @classmethod
    def for_devices(cls, devices: Iterable[MqttDeviceBase], prefix: str) -> TopicRouter:
        exact: dict[str, list[DeviceRoute]] = {}
        patterns: list[tuple[str, DeviceRoute]] = []
        readers: dict[PointMapping, PointReader] = {}
        for device in devices:
            for topic, route in device_routes(device, prefix, readers).items():
                if is_wildcard(topic):
                    patterns.append((topic, route))
                else:
                    exact.setdefault(topic, []).append(route)
        for topic, routes in exact.items():
            routes.extend(route for pattern, route in patterns
                          if filter_matches(tuple(pattern.split("/")), topic))
        return cls({topic: tuple(routes) for topic, routes in exact.items()}, patterns)

    def resolve(self, topic: str) -> tuple[DeviceRoute, ...]:
        routes = self._known.get(topic)
        if routes is not None:
            return routes
        routes = tuple(route for levels, route in self._patterns
                       if filter_matches(levels, topic))
        if self._cached < CACHE_LIMIT:
            self._cached += 1
            self._known[topic] = routes
        return routes
