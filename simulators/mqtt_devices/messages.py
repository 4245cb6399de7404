"""What a simulated device publishes: topics and payloads derived from its point mapping,
so that a device with a custom mapping is simulated as faithfully as one with the default."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.mqtt.config import MqttDeviceBase
from adapters.mqtt.mapping import PointKind, PointMapping
from adapters.mqtt.routing import fill_topic
from gateway.core.events import PointValue

_ZERO: dict[PointKind, PointValue] = {"bool": False, "int": 0, "float": 0.0, "str": ""}

_AT_REST: dict[str, PointValue] = {"temperature_c": 20.0}
"""Points whose resting value is not zero: a temperature starts at room temperature."""


def initial_state(device: MqttDeviceBase) -> dict[str, PointValue]:
    """Every point of the device at rest: false, zero or empty, a temperature at 20 °C."""
    return {mapping.point: _AT_REST.get(mapping.point, _ZERO[mapping.kind])
            for mapping in device.points}


def concrete_topic(pattern: str, device_id: str, point: str) -> str:
    """A topic to publish on for a filled-in pattern: `+` becomes the device id, `#` the
    point name."""
    return "/".join(device_id if level == "+" else point if level == "#" else level
                    for level in pattern.split("/"))


def messages_for(device: MqttDeviceBase, prefix: str, points: list[str],
                 state: Mapping[str, PointValue]) -> list[tuple[str, bytes]]:
    """The messages that report the given points' current values: one per topic; a JSON
    message carries every point mapped on its topic."""
    messages: dict[str, bytes] = {}
    for point in points:
        mapping = _mapping_of(device, point)
        pattern = fill_topic(mapping.topic, prefix, device.id)
        topic = concrete_topic(pattern, device.id, point)
        if topic in messages:
            continue
        if mapping.json_field is None:
            messages[topic] = _plain(_as_kind(state[point], mapping.kind), mapping.kind)
            continue
        document: dict[str, Any] = {}
        for sibling in device.points:
            if sibling.json_field is not None and \
                    fill_topic(sibling.topic, prefix, device.id) == pattern:
                _set_path(document, sibling.json_field.split("."),
                          _as_kind(state[sibling.point], sibling.kind))
        messages[topic] = json.dumps(document, separators=(",", ":")).encode()
    return list(messages.items())


def _mapping_of(device: MqttDeviceBase, point: str) -> PointMapping:
    for mapping in device.points:
        if mapping.point == point:
            return mapping
    raise KeyError(point)


def _as_kind(value: PointValue, kind: PointKind) -> PointValue:
    """A state value as the mapping declares it (a heartbeat counter may be text)."""
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value or 0)
    if kind == "float":
        return float(value or 0)
    return "" if value is None else str(value)


def _plain(value: PointValue, kind: PointKind) -> bytes:
    if kind == "bool":
        return b"true" if value else b"false"
    return str(value).encode()


def _set_path(document: dict[str, Any], path: list[str], value: PointValue) -> None:
    current = document
    for key in path[:-1]:
        current = current.setdefault(key, {})
    current[path[-1]] = value
