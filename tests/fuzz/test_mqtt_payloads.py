"""Whatever arrives on an MQTT topic, the ingest counts it and never raises; events carry
values of their point's kind, finite numbers only."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import BOUNDED, binary, text
from tests.fuzz.mqtt_payloads import PREFIX, TOPICS, check, read, target

KEYS = st.sampled_from(["pressed", "tamper", "battery_low", "seq", "alarm", "lel", "fault",
                        "a", "b", "c", "0", "1", "2", "list", "name", "on", ""])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text(20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=30)


@BOUNDED
@given(st.sampled_from(TOPICS), binary(600))
def test_any_bytes_on_any_topic(topic: str, payload: bytes) -> None:
    check(topic, payload)


@BOUNDED
@given(st.sampled_from(TOPICS), JSON)
def test_any_json_document_on_any_topic(topic: str, document: object) -> None:
    check(topic, json.dumps(document).encode())


@BOUNDED
@given(binary(200))
def test_the_fuzz_target_holds(data: bytes) -> None:
    target()(data)


def test_a_payload_nested_beyond_recursion_is_malformed_not_a_crash() -> None:
    for payload in (b"[" * 100_000, b'{"a":' * 50_000):
        events, ingest = read(f"{PREFIX}/gas_detector/gd-1/state", payload)
        assert (events, ingest.malformed) == ([], 1)


def test_non_finite_numbers_are_refused_as_json_and_as_text() -> None:
    for topic, payload in ((f"{PREFIX}/gas_detector/gd-1/state", b'{"lel": NaN}'),
                           (f"{PREFIX}/gas_detector/gd-1/state", b'{"lel": 1e400}'),
                           (f"{PREFIX}/raw/pb-raw/float", b"inf")):
        events, ingest = read(topic, payload)
        assert [e for e in events if e.point in ("lel_percent", "plain_float")] == []
        assert ingest.malformed >= 1  # once per device route the topic feeds
