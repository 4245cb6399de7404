"""The school calendar: day kinds from statutory data and config, windows, next changes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from chinese_calendar import constants as cn_constants
from pydantic import ValidationError

from rules.calendar import CalendarError, SchoolCalendar, Window
from rules.calendar_config import CalendarConfig, WindowExpr, WindowLeaf

SHANGHAI = ZoneInfo("Asia/Shanghai")

SITE = """\
statutory: cn
terms:
  - {name: autumn-2026, start: 2026-09-01, end: 2027-01-22}
  - {name: spring-2027, start: 2027-02-22, end: 2027-07-09}
windows:
  class-hours: {days: [school], hours: ["08:00-12:00", "14:00-17:30"]}
  peak-hours:  {days: [school], hours: ["07:00-08:00", "16:50-18:00"]}
  night:
    hours: ["22:00-06:00"]
    zones:
      - {tags: [boarding], days: [term], hours: ["21:30-06:30"]}
      - {zones: [guard-room, dorm-1], hours: ["20:00-07:00"]}
  school-night: {days: [school], hours: ["22:00-06:00"]}
  school-day: {days: [school]}
  outside-class-hours: {not: class-hours}
  quiet: {any: [night, {days: [off]}]}
  after-school: {all: [{days: [school]}, {not: class-hours}]}
"""

LISTED_2027 = """\
holidays: [2027-01-01, 2027-02-10]
workdays: [2027-02-20]
"""


@functools.cache
def config(text: str = SITE, extra: str = "") -> CalendarConfig:
    return CalendarConfig.model_validate(yaml.safe_load(text + extra))


def calendar(text: str = SITE, extra: str = "") -> SchoolCalendar:
    return SchoolCalendar(config(text, extra), SHANGHAI)


def at(text: str, tz: ZoneInfo = SHANGHAI) -> float:
    """Unix time of a site-local `YYYY-MM-DD HH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def local(ts: float | None, tz: ZoneInfo = SHANGHAI) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def inline(expr: object) -> WindowExpr:
    """An inline window expression, validated as config would be."""
    return CalendarConfig.model_validate({"windows": {"x": expr}}).windows["x"]


def make_up_saturday_in_term() -> date:
    """A real make-up workday on a Saturday during the autumn 2026 term."""
    return next(day for day in sorted(cn_constants.workdays)
                if day.weekday() == 5 and date(2026, 9, 1) <= day <= date(2026, 12, 31))


# Day kinds -------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "has", "lacks"), [
    (make_up_saturday_in_term(), {"workday", "school", "sat", "weekend", "term", "any"},
     {"off", "holiday", "vacation"}),
    (date(2026, 10, 1), {"holiday", "off", "term", "thu"}, {"workday", "school", "weekend"}),
    (date(2026, 10, 3), {"holiday", "off", "weekend", "sat"}, {"workday", "school"}),
    (date(2026, 9, 7), {"school", "workday", "term", "mon"}, {"off", "holiday", "weekend"}),
    (date(2026, 9, 12), {"off", "weekend", "term"}, {"holiday", "workday", "school"}),
    (date(2026, 8, 31), {"workday", "vacation"}, {"school", "term", "off"}),
])
def test_day_kinds(day: date, has: set[str], lacks: set[str]) -> None:
    kinds = calendar().day_kinds(day)
    assert has <= kinds
    assert not lacks & kinds


def test_make_up_saturday_has_class_and_weekday_holiday_has_none() -> None:
    saturday = make_up_saturday_in_term()
    assert saturday in cn_constants.workdays and saturday.weekday() == 5
    classes = calendar().window("class-hours")
    assert classes.active(at(f"{saturday} 09:00"))
    assert not classes.active(at(f"{saturday - timedelta(days=7)} 09:00"))
    assert not classes.active(at("2026-10-01 09:00"))  # Thursday, National Day
    assert classes.active(at("2026-09-24 09:00"))      # the Thursday a week before


def test_listed_days_override_the_statutory_calendar() -> None:
    cal = calendar(extra="holidays: [2026-09-07]\nworkdays: [2026-10-02]\n")
    assert {"holiday", "off"} <= cal.day_kinds(date(2026, 9, 7))
    assert {"workday", "school"} <= cal.day_kinds(date(2026, 10, 2))
    assert "workday" in cal.day_kinds(date(2026, 9, 8))          # the rest of 2026 unchanged
    assert "holiday" in cal.day_kinds(date(2026, 10, 1))


def test_statutory_none_only_weekends_and_listed_days_are_off() -> None:
    cal = calendar(SITE.replace("statutory: cn", "statutory: none"),
                   "holidays: [2026-09-07]\n")
    assert "school" in cal.day_kinds(date(2026, 10, 1))
    assert "off" in cal.day_kinds(make_up_saturday_in_term())
    assert "off" in cal.day_kinds(date(2026, 9, 7))
    assert "school" in cal.day_kinds(date(2027, 1, 4))
    assert cal.data_ends() is None


# Beyond the statutory data -------------------------------------------------------------------

MESSAGE = ("no statutory holiday data for 2027-01-04 (chinese-calendar covers 2004–2026): list "
           "2027's holidays and make-up workdays under calendar.holidays and calendar.workdays")


@pytest.mark.parametrize("expr", [
    "school-day", "class-hours", {"days": ["workday"]}, {"days": ["off"]},
    {"days": ["holiday"]}, {"not": "school-day"}, {"any": [{"days": ["weekend"]}, "school-day"]},
])
def test_unknown_year_raises_when_the_answer_needs_holidays(expr: object) -> None:
    window = calendar().window(inline(expr))
    with pytest.raises(CalendarError) as caught:
        window.active(at("2027-01-04 10:00"))
    assert str(caught.value) == MESSAGE
    assert caught.value.date == date(2027, 1, 4)


def test_unknown_year_day_kinds_raise() -> None:
    with pytest.raises(CalendarError, match="2027-01-04"):
        calendar().day_kinds(date(2027, 1, 4))


@pytest.mark.parametrize(("expr", "moment", "expected"), [
    ({"days": ["weekend"]}, "2027-01-04 10:00", False),
    ({"days": ["weekend"]}, "2027-01-09 10:00", True),
    ({"days": ["term"]}, "2027-01-04 10:00", True),
    ({"days": ["vacation"]}, "2027-01-04 10:00", False),
    ({"days": ["mon"]}, "2027-01-04 10:00", True),
    ({"days": ["any"]}, "2027-01-04 10:00", True),
    ("class-hours", "2027-01-04 20:00", False),           # outside the hours: no day needed
    ("school-day", "2027-02-15 10:00", False),            # between terms: never a school day
    ({"any": [{"days": ["weekend"]}, "school-day"]}, "2027-01-09 10:00", True),
    ({"all": [{"days": ["weekend"]}, "school-day"]}, "2027-01-04 10:00", False),
])
def test_unknown_year_answers_what_needs_no_holidays(expr: object, moment: str,
                                                     expected: bool) -> None:
    assert calendar().window(inline(expr)).active(at(moment)) is expected


def test_listing_a_year_makes_it_known() -> None:
    cal = calendar(extra=LISTED_2027)
    assert cal.window("school-day").active(at("2027-01-04 10:00"))
    assert not cal.window("school-day").active(at("2027-01-01 10:00"))    # listed holiday
    assert "holiday" in cal.day_kinds(date(2027, 2, 10))
    assert "workday" in cal.day_kinds(date(2027, 2, 11))                  # not listed: weekday
    assert {"workday", "vacation"} <= cal.day_kinds(date(2027, 2, 20))    # listed Saturday
    assert "school" not in cal.day_kinds(date(2027, 2, 20))               # spring starts 22nd
    assert "off" in cal.day_kinds(date(2027, 2, 27))                      # plain Saturday


@pytest.mark.parametrize(("extra", "ends"), [
    ("", date(2026, 12, 31)),
    (LISTED_2027, date(2027, 12, 31)),
    ("holidays: [2027-01-01, 2028-01-01]\n", date(2028, 12, 31)),
    ("holidays: [2028-01-01]\n", date(2026, 12, 31)),    # 2027 still unknown
])
def test_data_ends(extra: str, ends: date) -> None:
    assert calendar(extra=extra).data_ends() == ends


def test_next_change_into_an_unknown_year_raises() -> None:
    window = calendar().window("school-day")
    assert window.active(at("2026-12-31 12:00"))
    with pytest.raises(CalendarError, match="2027-01-01"):
        window.next_change(at("2026-12-31 12:00"))
    listed = calendar(extra=LISTED_2027).window("school-day")
    assert local(listed.next_change(at("2026-12-31 12:00"))) == "2027-01-01 00:00"


# Windows -----------------------------------------------------------------------------------

CASES: list[tuple[str, str, bool]] = [
    # terms are inclusive
    ("school-day", "2026-08-31 10:00", False),    # Monday, still vacation
    ("school-day", "2026-09-01 00:00", True),
    ("school-day", "2026-12-31 23:59", True),
    # class hours: ends excluded
    ("class-hours", "2026-09-07 07:59", False),
    ("class-hours", "2026-09-07 08:00", True),
    ("class-hours", "2026-09-07 11:59", True),
    ("class-hours", "2026-09-07 12:00", False),
    ("class-hours", "2026-09-07 14:00", True),
    ("class-hours", "2026-09-07 17:29", True),
    ("class-hours", "2026-09-07 17:30", False),
    ("class-hours", "2026-09-12 09:00", False),   # Saturday
    ("class-hours", "2026-09-25 09:00", False),   # Friday, Mid-Autumn Festival
    ("class-hours", "2026-09-20 09:00", True),    # Sunday, make-up workday
    ("peak-hours", "2026-09-07 06:59", False),
    ("peak-hours", "2026-09-07 07:00", True),
    ("peak-hours", "2026-09-07 08:00", False),
    ("peak-hours", "2026-09-07 16:50", True),
    ("peak-hours", "2026-09-07 17:59", True),
    ("peak-hours", "2026-09-07 18:00", False),
    ("peak-hours", "2026-09-13 07:30", False),    # Sunday
    # an overnight range belongs to the day it starts on
    ("school-night", "2026-09-11 21:59", False),  # Friday
    ("school-night", "2026-09-11 22:00", True),
    ("school-night", "2026-09-12 05:59", True),   # Saturday morning, started Friday
    ("school-night", "2026-09-12 06:00", False),
    ("school-night", "2026-09-12 23:00", False),  # Saturday night
    ("school-night", "2026-09-14 03:00", False),  # Monday morning, started Sunday
    ("school-night", "2026-09-14 22:00", True),
    ("school-night", "2026-09-30 23:00", True),   # Wednesday before National Day
    ("school-night", "2026-10-01 05:00", True),
    ("school-night", "2026-10-01 22:00", False),
    ("night", "2026-08-10 23:00", True),          # any day
    ("night", "2026-09-12 21:45", False),
    # composites
    ("quiet", "2026-09-12 12:00", True),          # Saturday: off
    ("quiet", "2026-09-07 12:00", False),
    ("quiet", "2026-09-07 23:00", True),          # night
    ("quiet", "2026-10-01 12:00", True),          # holiday
    ("outside-class-hours", "2026-09-07 10:00", False),
    ("outside-class-hours", "2026-09-07 13:00", True),
    ("outside-class-hours", "2026-09-12 10:00", True),
    ("after-school", "2026-09-07 13:00", True),
    ("after-school", "2026-09-07 18:00", True),
    ("after-school", "2026-09-07 10:00", False),
    ("after-school", "2026-09-12 13:00", False),  # Saturday is no school day
]


@pytest.mark.parametrize(("name", "moment", "expected"), CASES)
def test_window_active(name: str, moment: str, expected: bool) -> None:
    assert calendar().window(name).active(at(moment)) is expected


@pytest.mark.parametrize(("expr", "moment", "expected"), [
    ({"days": ["term"]}, "2026-08-31 23:59", False),
    ({"days": ["term"]}, "2027-01-22 23:59", True),    # last day of term
    ({"days": ["term"]}, "2027-01-23 00:00", False),
    ({"days": ["vacation"]}, "2027-02-01 12:00", True),
    ({"days": ["vacation", "sun"]}, "2026-09-13 12:00", True),
    ({"days": ["sat", "sun"], "hours": ["10:00-11:00"]}, "2026-09-13 10:30", True),
    ({"days": ["sat", "sun"], "hours": ["10:00-11:00"]}, "2026-09-14 10:30", False),
])
def test_inline_window_active(expr: object, moment: str, expected: bool) -> None:
    assert calendar().window(inline(expr)).active(at(moment)) is expected


def test_without_terms_every_workday_is_a_school_day() -> None:
    cal = calendar("windows: {}\n")
    assert "school" in cal.day_kinds(date(2026, 8, 31))
    assert "vacation" in cal.day_kinds(date(2026, 8, 31))
    assert "school" not in cal.day_kinds(date(2026, 10, 1))


# Zone overrides --------------------------------------------------------------------------

def test_zone_override_by_tag() -> None:
    cal = calendar()
    dorm = cal.window("night", "dorm-2", ("dormitory", "boarding"))
    default = cal.window("night", "gate", ("outdoor",))
    assert dorm.name == "night (dorm-2)"
    assert default.name == "night"
    assert dorm.active(at("2026-09-07 21:45")) and not default.active(at("2026-09-07 21:45"))
    assert dorm.active(at("2026-09-08 06:15")) and not default.active(at("2026-09-08 06:15"))
    # the override's days: term only
    assert not dorm.active(at("2026-08-10 23:00")) and default.active(at("2026-08-10 23:00"))


def test_zone_override_by_id_keeps_the_leaf_days() -> None:
    guard = calendar().window("night", "guard-room")
    assert guard.name == "night (guard-room)"
    assert guard.active(at("2026-08-10 20:30"))      # vacation: days stay `any`
    assert guard.active(at("2026-08-11 06:59"))
    assert not guard.active(at("2026-08-11 07:00"))


def test_first_matching_override_wins() -> None:
    cal = calendar()
    # dorm-1 is listed by id in the second override, but its tag matches the first
    both = cal.window("night", "dorm-1", ("boarding",))
    assert both.active(at("2026-09-07 21:45")) and not both.active(at("2026-09-07 20:30"))
    assert cal.window("night", "dorm-1").active(at("2026-09-07 20:30"))


def test_overrides_apply_inside_named_windows() -> None:
    quiet = calendar().window("quiet", "dorm-2", ("boarding",))
    assert quiet.name == "quiet (dorm-2)"
    assert quiet.active(at("2026-09-07 21:45"))
    assert not calendar().window("quiet", "gate").active(at("2026-09-07 21:45"))


def test_keys_follow_behaviour() -> None:
    cal = calendar()
    dorm_a = cal.window("night", "dorm-a", ("boarding",))
    dorm_b = cal.window("night", "dorm-b", ("boarding", "girls"))
    gate = cal.window("night", "gate")
    assert dorm_a.key == dorm_b.key
    assert gate.key != dorm_a.key
    assert gate.key == cal.window("night").key
    assert gate.key == cal.window(inline({"hours": ["22:00-06:00"]})).key
    assert dorm_a.key == cal.window(inline({"days": ["term"], "hours": ["21:30-06:30"]})).key
    assert cal.window("class-hours").key != cal.window("peak-hours").key
    assert cal.window("quiet").key != cal.window("quiet", "dorm-a", ("boarding",)).key


def test_unknown_or_cyclic_window_cannot_be_resolved() -> None:
    cal = calendar("windows: {a: {not: b}, b: {any: [a]}}\n")
    with pytest.raises(ValueError, match="unknown window 'nope'"):
        cal.window("nope")
    with pytest.raises(ValueError, match="cycle"):
        cal.window("a")


# next_change -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "start", "change"), [
    ("class-hours", "2026-09-07 07:00", "2026-09-07 08:00"),
    ("class-hours", "2026-09-07 10:00", "2026-09-07 12:00"),
    ("class-hours", "2026-09-07 12:00", "2026-09-07 14:00"),
    ("class-hours", "2026-09-11 17:30", "2026-09-14 08:00"),   # Friday -> Monday
    ("class-hours", "2026-09-30 17:30", "2026-10-08 08:00"),   # National Day week
    ("class-hours", "2026-10-09 17:30", "2026-10-10 08:00"),   # make-up Saturday
    ("school-night", "2026-09-11 12:00", "2026-09-11 22:00"),
    ("school-night", "2026-09-11 22:00", "2026-09-12 06:00"),
    ("school-night", "2026-09-12 06:00", "2026-09-14 22:00"),
    ("school-day", "2026-09-11 10:00", "2026-09-12 00:00"),
    ("quiet", "2026-09-11 22:30", "2026-09-14 06:00"),         # night, weekend, night
    ("night", "2026-09-07 05:59", "2026-09-07 06:00"),
])
def test_next_change_exact(name: str, start: str, change: str) -> None:
    assert local(calendar().window(name).next_change(at(start))) == change


def test_next_change_until() -> None:
    window = calendar().window("class-hours")
    new_year = at("2027-01-01 00:00")
    with pytest.raises(CalendarError, match="2027-01-01"):
        window.next_change(at("2026-12-31 17:30"))
    assert window.next_change(at("2026-12-31 17:30"), until=new_year) is None
    assert window.next_change(at("2026-12-31 07:00"), until=new_year) == at("2026-12-31 08:00")
    assert window.next_change(at("2026-12-31 07:00"), until=at("2026-12-31 08:00")) is None
    assert window.next_change(at("2026-12-31 07:00"), until=at("2026-12-31 08:01")) \
        == at("2026-12-31 08:00")


def test_next_change_can_go_back_in_time() -> None:
    window = calendar().window("class-hours")
    assert window.next_change(at("2026-09-14 09:00")) == at("2026-09-14 12:00")
    assert window.next_change(at("2026-09-07 09:00")) == at("2026-09-07 12:00")
    assert window.next_change(at("2026-09-14 13:00")) == at("2026-09-14 14:00")


def test_walking_a_year_of_class_hours() -> None:
    cal = calendar("windows: {class-hours: {days: [school], hours: [08:00-12:00, 14:00-17:30]}}\n")
    window = cal.window("class-hours")
    openings: list[str] = []
    ts: float | None = at("2026-01-01 00:00")
    while ts is not None and ts < at("2026-12-31 17:30"):  # the last change of 2026
        ts = window.next_change(ts)
        assert ts is not None
        assert window.active(ts) != window.active(ts - 1)
        if window.active(ts):
            openings.append(local(ts) or "")
    school_days = [day for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
                   if "school" in cal.day_kinds(day)]
    assert len(openings) == 2 * len(school_days) > 400
    assert openings[:2] == ["2026-01-04 08:00", "2026-01-04 14:00"]   # make-up Sunday
    assert {opening[:10] for opening in openings} == {str(day) for day in school_days}


def test_inline_window_names() -> None:
    cal = calendar()
    assert cal.window(inline({"days": ["school"], "hours": ["08:00-12:00"]})).name \
        == "school 08:00-12:00"
    assert cal.window(inline({"any": ["night", {"not": {"days": ["off"]}}]})).name \
        == "night or (not (off))"


def test_next_change_from_between_minutes() -> None:
    window = calendar().window("class-hours")
    assert window.next_change(at("2026-09-07 07:59") + 59.5) == at("2026-09-07 08:00")
    assert window.next_change(at("2026-09-07 08:00")) == at("2026-09-07 12:00")


@pytest.mark.parametrize(("text", "expr", "start", "change"), [
    (SITE, {"days": ["term"]}, "2026-09-01 00:00", "2027-01-23 00:00"),
    (SITE, {"days": ["any"]}, "2026-09-01 00:00", None),
    (SITE, {"not": {"days": ["any"]}}, "2026-09-01 00:00", None),
    ("windows: {}\n", {"days": ["vacation"]}, "2026-09-01 00:00", None),   # no terms
    ("terms: [{name: t, start: 2026-01-01, end: 2027-12-31}]\n", {"days": ["vacation"]},
     "2026-01-01 00:00", None),                                           # 730 days away
])
def test_next_change_far_or_never(text: str, expr: object, start: str,
                                  change: str | None) -> None:
    assert local(calendar(text).window(inline(expr)).next_change(at(start))) == change


def brute_force(make: Callable[[], Window], start: float, minutes: int, tz: ZoneInfo) -> int:
    """Check `next_change` against stepping minute by minute; returns the changes seen.

    One window answers every question in order; a fresh one answers every 97th, so
    that starting from an arbitrary instant is checked too."""
    window = make()
    states = [window.active(start + 60 * i) for i in range(minutes + 1)]
    changes = [i for i in range(1, len(states)) if states[i] != states[i - 1]]
    assert states == [window.active(start + 60 * i + 30) for i in range(minutes)] + [states[-1]]
    following = iter(changes)
    upcoming = next(following, None)
    for i in range(minutes):
        if upcoming is not None and upcoming <= i:
            upcoming = next(following, None)
        if upcoming is None:
            break
        expected = start + 60 * upcoming
        for offset in (0, 30):
            asked = make() if (i + offset) % 97 == 0 else window
            found = asked.next_change(start + 60 * i + offset)
            assert found == expected, (
                f"{window.name} from {local(start + 60 * i + offset, tz)}: "
                f"{local(found, tz)} instead of {local(expected, tz)}")
    return len(changes)


@pytest.mark.parametrize("name", [
    "class-hours", "peak-hours", "night", "school-night", "quiet", "after-school",
    "outside-class-hours", "school-day",
])
def test_next_change_agrees_with_minute_stepping(name: str) -> None:
    # Mid-Autumn Festival, the make-up Sunday, National Day week and the make-up Saturday
    assert brute_force(lambda: calendar().window(name), at("2026-09-18 00:00"), 24 * 60 * 24,
                       SHANGHAI) >= 5


def test_next_change_agrees_with_minute_stepping_for_a_dorm() -> None:
    def make() -> Window:
        return calendar().window("quiet", "dorm-2", ("boarding",))

    assert brute_force(make, at("2026-08-26 00:00"), 14 * 24 * 60, SHANGHAI) >= 10


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("start", ["2026-03-07 00:00", "2026-10-31 00:00"])
@pytest.mark.parametrize("expr", [
    {"hours": ["01:30-02:30"]},
    {"hours": ["02:15-03:00"]},
    {"days": ["sat"], "hours": ["23:00-01:45"]},
    {"days": ["sun"]},
    {"any": [{"hours": ["00:30-01:10"]}, {"days": ["mon"], "hours": ["01:50-02:10"]}]},
])
def test_next_change_across_clock_changes(expr: object, start: str) -> None:
    def make() -> Window:
        return SchoolCalendar(CalendarConfig(statutory="none"), NEW_YORK).window(inline(expr))

    assert brute_force(make, at(start, NEW_YORK), 3 * 24 * 60, NEW_YORK) >= 2


def test_clock_change_inside_a_range_is_a_change() -> None:
    cal = SchoolCalendar(CalendarConfig(statutory="none"), NEW_YORK)
    window = cal.window(inline({"hours": ["02:15-03:00"]}))
    # 2026-03-08 the clock jumps from 02:00 to 03:00: the range never opens that night
    assert local(window.next_change(at("2026-03-08 01:00", NEW_YORK)), NEW_YORK) \
        == "2026-03-09 02:15"
    # 2026-11-01 01:00-02:00 happens twice: a range inside it opens twice
    repeated = cal.window(inline({"hours": ["01:30-02:30"]}))
    first_open = at("2026-11-01 01:30", NEW_YORK)
    closes = repeated.next_change(first_open)
    assert closes == first_open + 1800                          # 02:00 EDT -> 01:00 EST
    assert repeated.next_change(closes) == closes + 1800        # 01:30 EST
    assert repeated.next_change(closes + 1800) == closes + 3 * 1800   # 02:30 EST


# Config ----------------------------------------------------------------------------------

def test_site_example_parses() -> None:
    parsed = config()
    quiet = parsed.windows["quiet"]
    assert not isinstance(quiet, str | WindowLeaf)
    assert parsed.windows["school-day"] == WindowLeaf(days=("school",))
    night = parsed.windows["night"]
    assert isinstance(night, WindowLeaf)
    assert night.days == ("any",) and night.zones[0].days == ("term",)
    assert night.zones[1].days is None


@pytest.mark.parametrize(("windows", "message"), [
    ({"x": {"days": ["sunday"]}}, "Input should be 'school'"),
    ({"x": {"days": []}}, "give at least one"),
    ({"x": {"hours": ["25:00-01:00"]}}, "bad hour range '25:00-01:00'"),
    ({"x": {"hours": ["8:00-12:00"]}}, "bad hour range"),
    ({"x": {"hours": ["08:00-08:00"]}}, "is empty"),
    ({"x": {"zones": [{"hours": ["08:00-09:00"]}]}}, "an override needs `zones` or `tags`"),
    ({"x": {"not": "a", "days": ["any"]}}, "Extra inputs are not permitted"),
    ({"x": {"any": []}}, "give at least one"),
    ({"x": 5}, "valid string"),
])
def test_bad_window_config(windows: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CalendarConfig.model_validate({"windows": windows})


def test_error_paths_drop_no_data_keys() -> None:
    with pytest.raises(ValidationError) as caught:
        CalendarConfig.model_validate({"windows": {"x": {"any": [{"days": ["sunday"]}]}}})
    loc = caught.value.errors()[0]["loc"]
    assert [part for part in loc if not str(part).startswith("window-")] \
        == ["windows", "x", "any", 0, "days", 0]


ZONES = {"gate", "dorm-1"}
TAGS = {"boarding", "outdoor"}


@pytest.mark.parametrize(("text", "errors"), [
    (SITE.replace("guard-room", "gate"), []),
    ("windows: {a: {not: b}}\n", [(("windows", "a", "not"), "unknown window 'b'")]),
    ("windows: {a: {any: [{days: [off]}, {all: [c]}]}}\n",
     [(("windows", "a", "any", 1, "all", 0), "unknown window 'c'")]),
    ("windows: {a: {not: b}, b: {any: [a]}}\n",
     [(("windows", "a"), "windows refer to each other in a cycle: a -> b -> a")]),
    ("windows: {a: a}\n", [(("windows", "a"), "windows refer to each other in a cycle: a -> a")]),
    ("terms: [{name: autumn, start: 2026-09-01, end: 2027-01-22},\n"
     "        {name: spring, start: 2027-01-22, end: 2027-07-09}]\n",
     [(("terms", 1), "term 'spring' overlaps term 'autumn'")]),
    ("terms: [{name: autumn, start: 2026-09-01, end: 2026-01-22}]\n",
     [(("terms", 0, "end"), "term 'autumn' ends (2026-01-22) before it starts (2026-09-01)")]),
    ("terms: [{name: t, start: 2026-09-01, end: 2026-10-01},\n"
     "        {name: t, start: 2027-09-01, end: 2027-10-01}]\n",
     [(("terms", 1, "name"), "duplicate term name 't'")]),
    ("holidays: [2027-01-01, 2027-02-20]\nworkdays: [2027-01-02, 2027-02-20]\n",
     [(("workdays", 1), "2027-02-20 is listed both as a holiday and as a workday")]),
    ("windows:\n  night:\n    zones: [{zones: [gate, lab], tags: [dorm, boarding]}]\n",
     [(("windows", "night", "zones", 0, "zones", 1), "unknown zone 'lab'"),
      (("windows", "night", "zones", 0, "tags", 0), "no zone has tag 'dorm'")]),
    ("windows:\n  q: {not: {zones: [{zones: [lab]}]}}\n",
     [(("windows", "q", "not", "zones", 0, "zones", 0), "unknown zone 'lab'")]),
])
def test_reference_errors(text: str, errors: list[tuple[tuple[str | int, ...], str]]) -> None:
    assert config(text).reference_errors(ZONES, TAGS) == errors
