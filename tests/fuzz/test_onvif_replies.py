"""Whatever a camera answers, the ONVIF client turns it into a `CameraError` or into
something the adapter reads without raising: notifications, the camera clock,
subscription lifetimes; event values are finite numbers or text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.onvif.client import camera_time
from adapters.onvif.errors import CameraBadAnswer
from adapters.onvif.topics import Notification, convert, raw_point
from tests.fuzz import BOUNDED, binary, text
from tests.fuzz.onvif_replies import (
    OPERATIONS,
    Replies,
    content_of,
    pull_messages,
    read,
    subscription,
    system_date,
)

TOPICS = st.sampled_from(["tns1:RuleEngine/CellMotionDetector/Motion",
                          "tns1:VideoSource/MotionAlarm", "tns1:RuleEngine/TamperDetector/Tamper",
                          "tns1:Device/Trigger/DigitalInput", ""]) | text(40)
VALUES = st.sampled_from(["true", "false", "1", "nan", "-inf", "1e999", "12", " 3.5 "]) \
    | text(20)
XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30)
NUMBERS = st.integers(-10, 100_000).map(str) | XML_TEXT


@pytest.fixture(scope="module")
def replies() -> Iterator[Replies]:
    parser = Replies()
    yield parser
    parser.close()


@BOUNDED
@given(TOPICS, text(20), VALUES, text(20))
def test_any_notification_is_read_without_raising(replies: Replies, topic: str, name: str,
                                                  value: str, source: str) -> None:
    read(replies, 0, pull_messages(topic, name, value, source))


@BOUNDED
@given(st.tuples(NUMBERS, NUMBERS, NUMBERS, NUMBERS, NUMBERS, NUMBERS))
def test_any_camera_clock_is_a_time_or_a_camera_error(
        replies: Replies, fields: tuple[str, str, str, str, str, str]) -> None:
    read(replies, 2, system_date(*fields))


@BOUNDED
@given(XML_TEXT | st.sampled_from(["2026-01-01T00:00:00Z", "PT60S"]), XML_TEXT)
def test_any_subscription_lifetime_is_read(replies: Replies, current: str,
                                           termination: str) -> None:
    read(replies, 1, subscription(current, termination))


@BOUNDED
@given(st.sampled_from(range(len(OPERATIONS))), binary(400))
def test_any_bytes_as_an_answer(replies: Replies, which: int, content: bytes) -> None:
    read(replies, which, content)


@BOUNDED
@given(binary(200))
def test_the_fuzz_target_holds(replies: Replies, data: bytes) -> None:
    read(replies, *content_of(data))


class _Clock:
    def __init__(self, year: int, month: int) -> None:
        date = type("Date", (), {"Year": year, "Month": month, "Day": 1})
        time = type("Time", (), {"Hour": 0, "Minute": 0, "Second": 0})
        self.UTCDateTime = type("UTC", (), {"Date": date, "Time": time})


@pytest.mark.parametrize(("year", "month"), [(2026, 13), (0, 1), (10_000, 1)])
def test_an_impossible_camera_clock_is_a_bad_answer(year: int, month: int) -> None:
    with pytest.raises(CameraBadAnswer, match="GetSystemDateAndTime: not a UTC time"):
        camera_time(_Clock(year, month))


def test_a_non_finite_event_value_is_no_number() -> None:
    for value in ("nan", "inf", "-Infinity", "1e999"):
        with pytest.raises(ValueError, match="not a finite number"):
            convert(value, "float")
        raw = raw_point(Notification("tns1:X/Y", "Changed", {}, {"State": value}))
        assert raw.value == value  # kept as the text it was
