"""Turning ONVIF event notifications into points, by the camera's topic table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.onvif.config import RAW_POINT_PREFIX, TopicMapping, topic_path
from gateway.core.events import PointValue


@dataclass(frozen=True)
class Notification:
    """One ONVIF event message, reduced to what mapping needs."""

    topic: str
    operation: str
    source: dict[str, str]
    data: dict[str, str]

    @property
    def path(self) -> str:
        return topic_path(self.topic)

    def describe(self) -> str:
        source = ",".join(f"{k}={v}" for k, v in self.source.items())
        data = ",".join(f"{k}={v}" for k, v in self.data.items())
        return f"{self.topic} [{self.operation}] source({source}) data({data})"


@dataclass(frozen=True)
class MappedPoint:
    point: str
    value: PointValue
    urgent: bool


class TopicTable:
    """Looks topics up in a camera's table; values are converted to the mapping's kind."""

    def __init__(self, mappings: Sequence[TopicMapping]) -> None:
        self._by_path: dict[str, list[TopicMapping]] = {}
        for mapping in mappings:
            self._by_path.setdefault(topic_path(mapping.topic), []).append(mapping)

    def knows(self, notification: Notification) -> bool:
        return notification.path in self._by_path

    def map(self, notification: Notification) -> list[MappedPoint]:
        """Points of a notification; empty for an unknown topic. A value that does not
        convert raises `ValueError`."""
        points = []
        for mapping in self._by_path.get(notification.path, []):
            raw = (notification.data.get(mapping.data_item) if mapping.data_item
                   else next(iter(notification.data.values()), None))
            if raw is None:
                raise ValueError(f"{notification.topic} has no data item "
                                 f"{mapping.data_item or '(any)'}")
            point = mapping.point
            if mapping.source_item is not None:
                point = point.replace("{source}", notification.source.get(mapping.source_item,
                                                                          "unknown"))
            points.append(MappedPoint(point, convert(raw, mapping.kind), mapping.urgent))
        return points


def raw_point(notification: Notification) -> MappedPoint:
    """The raw event an unknown topic becomes: `raw:<topic path>` with its first data value."""
    first = next(iter(notification.data.values()), None)
    value: PointValue = None if first is None else guess(first)
    return MappedPoint(RAW_POINT_PREFIX + notification.path, value, False)


_TRUE = {"true", "1", "on", "yes", "active"}
_FALSE = {"false", "0", "off", "no", "inactive"}


def convert(raw: str, kind: str) -> PointValue:
    text = raw.strip()
    if kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{raw!r} is not a boolean")
    if kind == "int":
        return int(text)
    if kind == "float":
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{raw!r} is not a finite number")
        return number
    return text


def guess(raw: str) -> PointValue:
    """Best-effort type of a value whose meaning is unknown."""
    for kind in ("bool", "int", "float"):
        try:
            return convert(raw, kind)
        except ValueError:
            continue
    return raw
