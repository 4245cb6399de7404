"""MQTT messages into events (adapters/mqtt): topic routing, JSON and plain payloads,
every point kind. `MessageIngest.handle` must never raise, whatever arrives."""

from __future__ import annotations

import math
from collections.abc import Callable

from adapters.mqtt import GasDetectorConfig, PanicButtonConfig, PointMapping
from adapters.mqtt.config import MqttDeviceBase
from adapters.mqtt.ingest import MessageIngest
from adapters.mqtt.mapping import PointKind
from adapters.mqtt.routing import TopicRouter, fill_topic
from gateway.core.clock import VirtualClock
from gateway.core.events import Event

PREFIX = "campus/fuzz"
MAX_PAYLOAD = 4096


def _mapping(point: str, topic: str, kind: PointKind, json_field: str | None = None
             ) -> PointMapping:
    return PointMapping(point=point, topic=topic, kind=kind, json_field=json_field)


DEVICES: tuple[MqttDeviceBase, ...] = (
    PanicButtonConfig(type="panic_button", id="pb-1", name="Alarm", zone="z"),
    GasDetectorConfig(type="gas_detector", id="gd-1", name="Gas", zone="z"),
    PanicButtonConfig(type="panic_button", id="pb-raw", name="Plain", zone="z", mapping=(
        *(_mapping(f"plain_{kind}", f"{{prefix}}/raw/{{id}}/{kind}", kind)
          for kind in ("bool", "int", "float", "str")),
        _mapping("nested", "{prefix}/raw/{id}/json", "float", "a.b.0.c"),
        _mapping("listed", "{prefix}/raw/{id}/json", "int", "list.2"),
        _mapping("named", "{prefix}/raw/{id}/json", "str", "name"),
        _mapping("anywhere", "{prefix}/+/{id}/#", "bool", "on"),
    )),
)
ROUTER = TopicRouter.for_devices(DEVICES, PREFIX)
TOPICS: tuple[str, ...] = (
    *sorted({fill_topic(m.topic, PREFIX, d.id).replace("+", "x").replace("#", "y/z")
             for d in DEVICES for m in d.points}),
    f"{PREFIX}/nobody/knows", "",
)
KINDS: dict[str, type] = {m.point: {"bool": bool, "int": int, "float": float, "str": str}[m.kind]
                          for d in DEVICES for m in d.points}


def read(topic: str, payload: bytes) -> tuple[list[Event], MessageIngest]:
    """One message through a fresh ingest; the events it made, and the ingest (counters)."""
    events: list[Event] = []
    ingest = MessageIngest(ROUTER, "fuzz-school", VirtualClock(), events.append, MAX_PAYLOAD)
    ingest.handle(topic, payload)
    ingest.flush()
    return events, ingest


def check(topic: str, payload: bytes) -> None:
    """Raises AssertionError (or whatever escaped) on a defect."""
    events, ingest = read(topic, payload)
    readers = sum(len(route.readers) for route in ROUTER.resolve(topic))
    assert len(events) <= readers, "more events than mapped points"
    assert ingest.messages == 1
    if not readers:
        assert (ingest.unknown_topic, events) == (1, [])
    elif not events:
        assert ingest.malformed >= 1, "a message that made nothing was not counted"
    for event in events:
        assert type(event.value) is KINDS[event.point], (event.point, event.value)
        if isinstance(event.value, float):
            assert math.isfinite(event.value), event


def target() -> Callable[[bytes], None]:
    def one(data: bytes) -> None:
        topic = TOPICS[data[0] % len(TOPICS)] if data else TOPICS[0]
        check(topic, data[1:])
    return one


def _seed(topic: str, payload: bytes) -> bytes:
    return bytes([TOPICS.index(f"{PREFIX}/{topic}")]) + payload


SEEDS = (_seed("panic_button/pb-1/state", b'{"pressed": true, "tamper": false}'),
         _seed("raw/pb-raw/json", b'{"a": {"b": [{"c": 1.5}]}, "list": [1, 2, 3], "name": "x"}'),
         _seed("raw/pb-raw/bool", b"on"), _seed("raw/pb-raw/int", b"12"),
         _seed("raw/pb-raw/float", b"1e3"), _seed("gas_detector/gd-1/state", b'{"lel": 4.5}'))
