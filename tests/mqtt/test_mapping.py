"""Config models, topic routing and the per-message path, without a broker."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from adapters.mqtt import MqttSettings, PointMapping
from adapters.mqtt.adapter import subscription_filters
from adapters.mqtt.ingest import MessageIngest
from adapters.mqtt.routing import TopicRouter
from adapters.mqtt.topics import covers, filter_matches, minimal_filters
from adapters.mqtt.values import parse_json
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from tests.mqtt.rig import PREFIX, SITE, gate_sensor, panic_button


@pytest.mark.parametrize("topic", ["a/b#", "a/#/b", "a/+x/c", "{site}/x", "", "a/{id"])
def test_bad_topic_patterns_are_rejected(topic: str) -> None:
    with pytest.raises(ValidationError):
        PointMapping(point="pressed", topic=topic)


def test_good_topic_patterns_and_field_paths_are_accepted() -> None:
    mapping = PointMapping(point="p", topic="{prefix}/+/x/{id}/#", json_field="a.b.0")
    assert mapping.kind == "bool" and not mapping.urgent
    with pytest.raises(ValidationError):
        PointMapping(point="p", topic="a", json_field="a..b")


@pytest.mark.parametrize("fields", [
    {"password": "secret"},
    {"unknown": 1},
    {"reconnect_initial_s": 5, "reconnect_max_s": 1},
    {"topic_prefix": "campus/#"},
    {"tls": {"cert_file": "client.pem"}},
])
def test_inconsistent_broker_settings_are_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MqttSettings(**fields)


def test_a_device_without_mapping_uses_its_type_default_and_an_empty_one_is_refused() -> None:
    assert [m.point for m in panic_button("pb-1").points] == [
        "pressed", "tamper", "battery_low", "heartbeat"]
    assert [m.point for m in gate_sensor("gs-1").points] == ["open", "forced", "heartbeat"]
    with pytest.raises(ValidationError):
        panic_button("pb-1", mapping=())


def test_filter_matching_and_coverage() -> None:
    assert filter_matches(("a", "+", "c"), "a/b/c")
    assert not filter_matches(("a", "+"), "a/b/c")
    assert filter_matches(("a", "#"), "a")
    assert not filter_matches(("#",), "$SYS/broker")
    assert covers("a/#", "a/+/c") and covers("a/+/c", "a/b/c") and covers("#", "x")
    assert not covers("a/+", "a/#") and not covers("a/b", "a/+")
    assert minimal_filters(["a/b", "a/#", "c/+", "c/d", "e"]) == ["a/#", "c/+", "e"]


def test_router_resolves_exact_topics_and_wildcards_and_both_at_once() -> None:
    wild = panic_button("pb-w", mapping=(
        PointMapping(point="pressed", topic="{prefix}/panic_button/+/state",
                     json_field="pressed"),))
    router = TopicRouter.for_devices([panic_button("pb-1"), wild], PREFIX)
    state = f"{PREFIX}/panic_button/pb-1/state"
    assert [r.device_id for r in router.resolve(state)] == ["pb-1", "pb-w"]
    assert [r.device_id for r in router.resolve(f"{PREFIX}/panic_button/zz/state")] == [
        "pb-w"]
    assert router.resolve(f"{PREFIX}/panic_button/pb-1/other") == ()
    assert subscription_filters(router, PREFIX) == [f"{PREFIX}/#"]


def test_devices_of_a_type_share_the_readers_of_its_default_mapping() -> None:
    router = TopicRouter.for_devices([panic_button(f"pb-{n}") for n in range(3)], PREFIX)
    routes = [route for n in range(3)
              for route in router.resolve(f"{PREFIX}/panic_button/pb-{n}/state")]
    assert [route.device_id for route in routes] == ["pb-0", "pb-1", "pb-2"]
    assert routes[0].readers and all(route.readers[0] is routes[0].readers[0]
                                     for route in routes)


class _Collector:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)


def _ingest(devices: list[Any], clock: VirtualClock | None = None,
            max_payload_bytes: int = 1000) -> tuple[MessageIngest, _Collector]:
    collector = _Collector()
    router = TopicRouter.for_devices(devices, PREFIX)
    return MessageIngest(router, SITE, clock or VirtualClock(), collector,
                         max_payload_bytes), collector


def test_one_json_parse_per_message_whatever_the_number_of_points(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parses: list[bytes] = []

    def counting_parse(payload: bytes) -> Any:
        parses.append(payload)
        return parse_json(payload)

    monkeypatch.setattr("adapters.mqtt.ingest.parse_json", counting_parse)
    ingest, events = _ingest([panic_button("pb-1")], VirtualClock(start=1000.0))
    ingest.handle(f"{PREFIX}/panic_button/pb-1/state",
                  b'{"pressed": true, "tamper": false, "battery_low": 1}')
    ingest.flush()
    assert len(parses) == 1
    assert [(e.point, e.value, e.urgent, e.ts) for e in events.events] == [
        ("pressed", True, True, 1000.0), ("tamper", False, False, 1000.0),
        ("battery_low", True, False, 1000.0)]


@pytest.mark.parametrize(("kind", "payload", "value"), [
    ("bool", b" ON\n", True), ("bool", b"0", False), ("int", b"42", 42),
    ("float", b"-1.5", -1.5), ("str", "教学楼".encode(), "教学楼"),
])
def test_plain_payloads_convert_to_the_declared_kind(kind: str, payload: bytes,
                                                       value: object) -> None:
    device = panic_button("pb-1", mapping=(
        PointMapping(point="p", topic="x/{id}", kind=kind),))  # type: ignore[arg-type]
    ingest, events = _ingest([device])
    ingest.handle("x/pb-1", payload)
    ingest.flush()
    assert [e.value for e in events.events] == [value]
    assert type(events.events[0].value) is type(value)


@pytest.mark.parametrize(("kind", "payload"), [
    ("bool", b"maybe"), ("int", b"4.2"), ("float", b"nan"), ("str", b"\xff\xfe"),
])
def test_plain_payloads_of_the_wrong_kind_are_malformed(kind: str, payload: bytes) -> None:
    device = panic_button("pb-1", mapping=(
        PointMapping(point="p", topic="x/{id}", kind=kind),))  # type: ignore[arg-type]
    ingest, events = _ingest([device])
    ingest.handle("x/pb-1", payload)
    ingest.flush()
    assert events.events == [] and ingest.malformed_by_device == {"pb-1": 1}


@pytest.mark.parametrize(("kind", "raw", "good"), [
    ("bool", "true", True), ("bool", "1", True), ("bool", "2", False),
    ("bool", '"true"', False), ("int", "3", True), ("int", "3.0", True),
    ("int", "3.5", False), ("int", "true", False), ("float", "2", True),
    ("float", "false", False), ("str", '"a"', True), ("str", "1", False),
])
def test_json_values_must_have_the_declared_kind(kind: str, raw: str, good: bool) -> None:
    device = panic_button("pb-1", mapping=(
        PointMapping(point="p", topic="x/{id}", json_field="a.b",
                     kind=kind),))  # type: ignore[arg-type]
    ingest, events = _ingest([device])
    ingest.handle("x/pb-1", f'{{"a": {{"b": {raw}}}}}'.encode())
    ingest.flush()
    assert (len(events.events) == 1) is good
    assert ingest.malformed == (0 if good else 1)


def test_oversized_payloads_are_malformed_without_being_parsed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.mqtt.ingest.parse_json", pytest.fail)
    ingest, events = _ingest([panic_button("pb-1")], max_payload_bytes=64)
    ingest.handle(f"{PREFIX}/panic_button/pb-1/state", b'{"pressed": true}' + b" " * 64)
    ingest.flush()
    assert events.events == [] and ingest.malformed == 1 and ingest.messages == 1


@pytest.mark.parametrize("payload", [
    b"[" * 50_000, b'{"pressed": true} trailing', b"\xff\xfe{}", b"", b"  ",
])
def test_hostile_or_broken_json_is_malformed_and_never_raises(payload: bytes) -> None:
    ingest, events = _ingest([panic_button("pb-1")], max_payload_bytes=65_536)
    ingest.handle(f"{PREFIX}/panic_button/pb-1/state", payload)
    ingest.flush()
    assert events.events == [] and ingest.malformed_by_device == {"pb-1": 1}


def test_json_with_surrounding_whitespace_is_fine() -> None:
    ingest, events = _ingest([panic_button("pb-1")])
    ingest.handle(f"{PREFIX}/panic_button/pb-1/state", b'\n {"pressed": true}\r\n')
    ingest.flush()
    assert [(e.point, e.value) for e in events.events] == [("pressed", True)]
    assert ingest.malformed == 0
