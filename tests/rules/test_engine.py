"""The rule engine on a scripted clock: conditions, selectors, durations, windows, counts,
grouping, modes and persistence of held conditions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.core.alerts import AlertSpec, Category, Severity
from gateway.core.events import Quality
from gateway.core.modes import Mode, ModeBook
from rules.compiled import CALENDAR_RULE
from tests.rules.support import Driver, local, rule, site_config

DAY = "2026-10-14"  # a Wednesday in the autumn term


def one(tmp_path: Path, text: str, at: str = f"{DAY} 09:00", **kwargs: object) -> Driver:
    return Driver.start(site_config(tmp_path, rule(text)), at, **kwargs)  # type: ignore[arg-type]


# -- conditions ---------------------------------------------------------------------------

@pytest.mark.parametrize(("test", "value", "raises"), [
    ("{point: lel_percent, equals: 20}", 20, True),
    ("{point: lel_percent, equals: 20}", 21, False),
    ("{point: fault, equals: true}", 1, False),  # true never equals 1
    ("{point: lel_percent, not_equals: 0}", 5, True),
    ("{point: lel_percent, in: [10, 20]}", 20, True),
    ("{point: lel_percent, not_in: [10, 20]}", 20, False),
    ("{point: lel_percent, gt: 20}", 20, False),
    ("{point: lel_percent, ge: 20}", 20, True),
    ("{point: lel_percent, lt: 5}", 4.9, True),
    ("{point: lel_percent, le: 5}", 5.1, False),
    ("{point: lel_percent, ge: 20}", "high", False),  # not a number: never compares
    ("{point: lel_percent, ge: 10, le: 30}", 25, True),  # comparators combine
    ("{point: lel_percent, ge: 10, le: 30}", 35, False),
    ("{point: fault}", True, True),  # a bare point must be true
])
def test_comparators(tmp_path: Path, test: str, value: object, raises: bool) -> None:
    driver = one(tmp_path, f"{{id: r, select: {{type: gas_detector}}, when: {test}, "
                           "severity: high, category: hazard, title: t}")
    point = re.search(r"point: (\w+)", test).group(1)  # type: ignore[union-attr]
    found = driver.send(f"{DAY} 09:01", "gas-1", point, value)  # type: ignore[arg-type]
    assert bool(found) is raises


def test_all_any_not_across_points_and_devices(tmp_path: Path) -> None:
    # Smoke at the charging area while the circuit is on, unless the roof door is open
    # (another device), or a high temperature with the circuit on.
    driver = one(tmp_path, """\
id: ebike
select: {type: charging_monitor}
when:
  all:
    - {point: circuit_on}
    - any: [{point: smoke}, {point: temperature_c, ge: 60}]
    - not: {device: gs-roof, point: open}
severity: critical
category: hazard
title: "Smoke or heat at {location}"
""")
    assert driver.send(f"{DAY} 09:01", "cm-1", "smoke", True) == []  # circuit unknown
    [raised] = driver.send(f"{DAY} 09:02", "cm-1", "circuit_on", True)
    assert isinstance(raised, AlertSpec)
    assert raised.title == "Smoke or heat at Dormitory charging shelter"
    [cleared] = driver.send(f"{DAY} 09:03", "gs-roof", "open", True)  # another device
    assert cleared.key == "ebike:cm-1"
    assert driver.send(f"{DAY} 09:04", "gs-roof", "open", False) != []
    driver.send(f"{DAY} 09:05", "cm-1", "smoke", False)
    assert len(driver.cleared()) == 2
    assert driver.send(f"{DAY} 09:06", "cm-1", "temperature_c", 61.5) != []


def test_an_event_test_is_true_only_for_its_event(tmp_path: Path) -> None:
    driver = one(tmp_path, """\
id: plate
select: {type: gate_controller}
when:
  all:
    - {event: vehicle.*.plate, not_in: [京A12345]}
    - {event: vehicle.*.plate, not_equals: ""}
group: "{device_id}:{value}"
severity: warning
category: traffic
title: "Unregistered vehicle {value} in lane {match}"
""")
    assert driver.send(f"{DAY} 09:01", "gc-main", "vehicle.1.plate", "京A12345") == []
    [first] = driver.send(f"{DAY} 09:02", "gc-main", "vehicle.1.plate", "沪B99999")
    assert isinstance(first, AlertSpec)
    assert first.title == "Unregistered vehicle 沪B99999 in lane 1"
    assert first.key == "plate:gc-main:沪B99999"
    [again] = driver.send(f"{DAY} 09:03", "gc-main", "vehicle.1.plate", "沪B99999")
    assert again.key == first.key  # the same vehicle again: a repeat of its incident
    assert driver.send(f"{DAY} 09:04", "gc-main", "vehicle.1.plate", "") == []
    assert driver.cleared() == []  # momentary: never auto-resolved


def test_control_characters_a_device_sends_never_reach_an_alerts_text(
        tmp_path: Path) -> None:
    """A NUL in a value would be refused by PostgreSQL and hold every alert behind it."""
    driver = one(tmp_path, """\
{id: plate, select: {type: gate_controller}, when: {event: vehicle.*.plate,
 not_equals: ""}, group: "{value}", severity: warning, category: traffic,
 title: "Vehicle {value}", message: "{value}"}""")
    [spec] = driver.send(f"{DAY} 09:02", "gc-main", "vehicle.1.plate", "沪B\x00999\x1b[2J")
    assert isinstance(spec, AlertSpec)
    assert spec.title == "Vehicle 沪B\ufffd999\ufffd[2J"
    assert (spec.key, spec.message) == ("plate:沪B\ufffd999\ufffd[2J", "沪B\ufffd999\ufffd[2J")


def test_changed_to_and_from(tmp_path: Path) -> None:
    driver = one(tmp_path, """\
{id: r, select: {type: fire_panel}, when: {point: zone.*.state, changed_from: fire,
 changed_to: normal}, severity: info, category: fire, title: "Zone {match} reset"}""")
    assert driver.send(f"{DAY} 09:00", "fp-a", "zone.2.state", "normal") == []  # no previous
    driver.send(f"{DAY} 09:01", "fp-a", "zone.2.state", "fire")
    [reset] = driver.send(f"{DAY} 09:02", "fp-a", "zone.2.state", "normal")
    assert reset.key == "r:fp-a:zone.2.state"
    assert reset.title == "Zone 2 reset"  # type: ignore[union-attr]
    assert driver.send(f"{DAY} 09:03", "fp-a", "zone.2.state", "normal") == []


def test_availability(tmp_path: Path) -> None:
    driver = one(tmp_path, "{id: offline, select: {}, when: {availability: offline}, "
                           "severity: warning, category: device_health, title: '{device} off'}")
    [raised] = driver.send(f"{DAY} 09:00", "gas-1", "availability", "offline")
    assert raised.key == "offline:gas-1"
    [cleared] = driver.send(f"{DAY} 09:05", "gas-1", "availability", "online")
    assert cleared.key == "offline:gas-1"


# -- selectors and grouping -------------------------------------------------------------

@pytest.mark.parametrize(("select", "expected"), [
    ("{devices: [gs-main, gs-roof]}", ["gs-main", "gs-roof"]),
    ("{type: gate_sensor}", ["gs-chem", "gs-dorm", "gs-east", "gs-main", "gs-roof"]),
    ("{type: gate_sensor, zones: [gate]}", ["gs-east", "gs-main"]),
    ("{type: gate_sensor, tags: [chemicals]}", ["gs-chem"]),
    ("{zone_tags: [rooftop, boarding]}", ["gs-dorm", "gs-roof"]),
    ("{type: [gate_sensor, panic_button], zones: [a1, roof]}", ["gs-roof", "pb-a1-1"]),
])
def test_selectors(tmp_path: Path, select: str, expected: list[str]) -> None:
    driver = one(tmp_path, f"{{id: r, select: {select}, when: {{point: open}}, "
                           "severity: high, category: intrusion, title: t}")
    for device in ("gs-main", "gs-east", "gs-roof", "gs-dorm", "gs-chem", "pb-a1-1"):
        driver.send(f"{DAY} 09:01", device, "open", True)
    assert sorted(spec.device_id for spec in driver.raised()) == expected


def test_one_rule_over_twenty_devices_makes_twenty_independent_alerts(tmp_path: Path) -> None:
    extra = "\n".join(f"  - {{id: door-{n}, type: gate_sensor, name: Door {n}, zone: a2, "
                      "tags: [exit]}" for n in range(20))
    config = site_config(tmp_path, rule(
        "{id: exit-open, select: {tags: [exit]}, when: {point: open}, severity: high, "
        "category: intrusion, title: '{device} open'}"), extra)
    driver = Driver.start(config, f"{DAY} 09:00")
    for n in range(20):
        driver.send(f"{DAY} 09:01", f"door-{n}", "open", True)
    keys = [spec.key for spec in driver.raised()]
    assert sorted(keys) == sorted(f"exit-open:door-{n}" for n in range(20))
    assert {spec.title for spec in driver.raised()} == {f"Door {n} open" for n in range(20)}
    [cleared] = driver.send(f"{DAY} 09:02", "door-7", "open", False)
    assert cleared.key == "exit-open:door-7"  # the other nineteen stay raised


def test_a_group_key_makes_one_incident_that_clears_with_its_last_member(
        tmp_path: Path) -> None:
    driver = one(tmp_path, "{id: gates, select: {zones: [gate], type: gate_sensor}, "
                           "when: {point: open}, group: '{zone_id}', severity: high, "
                           "category: perimeter, title: 'Gate open in {zone}'}")
    driver.send(f"{DAY} 09:01", "gs-main", "open", True)
    driver.send(f"{DAY} 09:02", "gs-east", "open", True)
    assert [spec.key for spec in driver.raised()] == ["gates:gate", "gates:gate"]
    assert driver.send(f"{DAY} 09:03", "gs-main", "open", False) == []
    [cleared] = driver.send(f"{DAY} 09:04", "gs-east", "open", False)
    assert cleared.key == "gates:gate"


# -- durations ------------------------------------------------------------------------

FOR_RULE = """\
{id: open-5m, select: {type: gate_sensor, tags: [gate]}, when: {point: open}, for: 5m,
 severity: high, category: perimeter, title: "{device} open for 5 min"}"""


def test_for_raises_when_held_and_an_interruption_restarts_it(tmp_path: Path) -> None:
    driver = one(tmp_path, FOR_RULE)
    driver.send(f"{DAY} 10:00", "gs-main", "open", True)
    assert driver.engine.stats() == {"rules": 1, "units": 1, "holding": 1, "scheduled": 1}
    assert driver.tick(f"{DAY} 10:04:59") == []
    driver.send(f"{DAY} 10:04:59", "gs-main", "open", False)
    driver.send(f"{DAY} 10:05:30", "gs-main", "open", True)
    assert driver.tick(f"{DAY} 10:10:29") == []
    [raised] = driver.tick(f"{DAY} 10:10:31")
    assert raised.ts == local(f"{DAY} 10:10:30")  # at its own deadline
    assert driver.engine.next_deadline() is None


def test_unavailable_and_bad_values_do_not_reset_a_for(tmp_path: Path) -> None:
    """A device that drops out keeps its last good value: the timer runs on, and the
    outage raises its own offline alert elsewhere."""
    driver = one(tmp_path, FOR_RULE)
    driver.send(f"{DAY} 10:00", "gs-main", "open", True)
    driver.send(f"{DAY} 10:02", "gs-main", "availability", "offline")
    driver.send(f"{DAY} 10:03", "gs-main", "open", None, Quality.BAD)
    driver.send(f"{DAY} 10:04", "gs-main", "availability", "online")
    driver.send(f"{DAY} 10:04:30", "gs-main", "open", True)  # the same value again
    [raised] = driver.tick(f"{DAY} 10:06")
    assert raised.ts == local(f"{DAY} 10:05")


def test_a_held_condition_survives_a_restart_inside_its_for(tmp_path: Path) -> None:
    config = site_config(tmp_path, rule(FOR_RULE.replace("open-5m", "night-gate")
                                        .replace("for: 5m,", "for: 5m, during: night,")))
    before = Driver.start(config, f"{DAY} 21:00")
    before.send(f"{DAY} 21:58", "gs-east", "open", True)
    assert before.tick(f"{DAY} 22:00") == []
    # The gateway stops at 22:00 and starts again at 22:01 with what the store kept.
    after = Driver.start(config, f"{DAY} 22:01", held=before.held)
    assert after.outcomes == []
    [raised] = after.tick(f"{DAY} 22:03:01")
    assert (raised.key, raised.ts) == ("night-gate:gs-east", local(f"{DAY} 22:03"))
    # Raised, and known to be raised: a second restart does not raise it again.
    again = Driver.start(config, f"{DAY} 22:10", held=after.held)
    assert again.outcomes == []
    [cleared] = again.send(f"{DAY} 22:11", "gs-east", "open", False)
    assert cleared.key == "night-gate:gs-east"
    assert again.held.held == {}


def test_a_restart_after_the_deadline_raises_at_once(tmp_path: Path) -> None:
    config = site_config(tmp_path, rule(FOR_RULE))
    before = Driver.start(config, f"{DAY} 10:00")
    before.send(f"{DAY} 10:01", "gs-main", "open", True)
    after = Driver.start(config, f"{DAY} 10:30", held=before.held)
    [raised] = after.outcomes
    assert raised.key == "open-5m:gs-main"


def test_count_within(tmp_path: Path) -> None:
    driver = one(tmp_path, "{id: tamper3, select: {type: panic_button}, when: {point: tamper}, "
                           "count: 3, within: 10m, severity: high, category: tamper, title: t}")
    for minute, value in ((0, True), (1, False), (2, True), (3, False)):
        driver.send(f"{DAY} 10:0{minute}", "pb-a1-1", "tamper", value)
    driver.send(f"{DAY} 10:11", "pb-a1-1", "tamper", True)  # the 10:00 one has aged out
    assert driver.raised() == []
    driver.send(f"{DAY} 10:11:10", "pb-a1-1", "tamper", False)
    [raised] = driver.send(f"{DAY} 10:11:20", "pb-a1-1", "tamper", True)  # 10:02, 10:11 and now
    assert raised.key == "tamper3:pb-a1-1"


def test_several_buttons_in_one_zone_within_a_minute(tmp_path: Path) -> None:
    driver = one(tmp_path, """\
{id: several, select: {type: panic_button}, when: {point: pressed}, count: 2, within: 1m,
 distinct: device, group: "{zone_id}", severity: critical, category: panic,
 title: "Several alarms in {zone}"}""")
    driver.send(f"{DAY} 10:00:00", "pb-a1-1", "pressed", True)
    driver.send(f"{DAY} 10:00:05", "pb-a1-1", "pressed", False)
    driver.send(f"{DAY} 10:00:10", "pb-a1-1", "pressed", True)  # the same button again
    driver.send(f"{DAY} 10:00:20", "pb-a2-1", "pressed", True)  # another zone
    assert driver.raised() == []
    [raised] = driver.send(f"{DAY} 10:00:40", "pb-a1-2", "pressed", True)
    assert (raised.key, raised.title) == ("several:a1", "Several alarms in Building A 1F")
    assert raised.latching  # a panic category latches by default


# -- calendar windows -------------------------------------------------------------------

NIGHT_RULE = """\
{id: night-gate, select: {type: gate_sensor}, when: {point: open}, during: night,
 severity: high, category: perimeter, title: "{device} open at night"}"""


def test_a_window_start_raises_for_a_gate_already_open_and_its_end_clears(
        tmp_path: Path) -> None:
    driver = one(tmp_path, NIGHT_RULE, at=f"{DAY} 21:00")
    assert driver.send(f"{DAY} 21:30", "gs-main", "open", True) == []
    [raised] = driver.tick(f"{DAY} 22:00:01")
    assert raised.ts == local(f"{DAY} 22:00")
    [cleared] = driver.tick("2026-10-15 06:00")
    assert cleared.reason == "outside night"


def test_a_zone_override_of_a_window(tmp_path: Path) -> None:
    driver = one(tmp_path, NIGHT_RULE, at=f"{DAY} 21:00")
    driver.send(f"{DAY} 21:20", "gs-dorm", "open", True)
    driver.send(f"{DAY} 21:20", "gs-main", "open", True)
    driver.tick(f"{DAY} 21:59")
    assert driver.timeline() == [("10-14 21:30:00", "raised", "night-gate:gs-dorm")]


CHEMICALS = """\
{id: chem, select: {tags: [chemicals]}, when: {point: open}, during: outside-class-hours,
 severity: high, category: intrusion, title: "Cabinet open outside class hours"}"""


@pytest.mark.parametrize(("moment", "raises"), [
    ("2026-10-14 09:00", False),  # Wednesday, in class
    ("2026-10-14 12:30", True),   # lunch break
    ("2026-10-10 09:00", False),  # Saturday, but a make-up workday (调休): in class
    ("2026-10-17 09:00", True),   # an ordinary Saturday
    ("2026-10-01 09:00", True),   # National Day, a Thursday
    ("2026-08-12 09:00", True),   # summer vacation Wednesday
])
def test_class_hours_follow_the_school_calendar(tmp_path: Path, moment: str,
                                                 raises: bool) -> None:
    driver = one(tmp_path, CHEMICALS, at=moment)
    assert bool(driver.send(moment, "gs-chem", "open", True)) is raises


def test_a_date_beyond_the_calendar_data_is_reported_not_guessed(tmp_path: Path) -> None:
    # Thursday 31 December: class ends at 17:30, and the window's next change would fall
    # in 2027, which the statutory data does not cover. That is said then, ahead of time.
    driver = one(tmp_path, CHEMICALS, at="2026-12-31 16:00")
    assert driver.outcomes == []
    assert driver.send("2026-12-31 16:10", "gs-chem", "open", True) == []  # in class
    driver.send("2026-12-31 16:20", "gs-chem", "open", False)
    [gap] = driver.tick("2026-12-31 17:30")
    assert isinstance(gap, AlertSpec)
    assert (gap.key, gap.category, gap.severity) == (
        f"{CALENDAR_RULE}:2027", Category.MAINTENANCE, Severity.HIGH)
    assert "2027" in gap.title and "calendar.holidays" in gap.message
    assert driver.send("2026-12-31 17:40", "gs-chem", "open", True) != []  # known: no class
    driver.send("2026-12-31 17:50", "gs-chem", "open", False)
    # In 2027 the window counts as open, so nothing is missed; the gap is not said again.
    assert driver.send("2027-01-04 09:00", "gs-chem", "open", True) != []
    assert driver.tick("2027-01-06 00:00") == []


# -- outcome ------------------------------------------------------------------------------

def test_the_spec_carries_the_rules_outcome(tmp_path: Path) -> None:
    driver = one(tmp_path, """\
id: fire
select: {type: fire_panel}
when: {point: zone.*.state, equals: fire}
severity: critical
category: fire
title: "Fire in zone {match}: {device} ({zone}, {location})"
message: "{point} is {value}"
sop: SOP-10
channels: [police, log]
snapshot: none
escalate:
  - {after: 2m, severity: critical, channels: [log], note: late}
""")
    [spec] = driver.send(f"{DAY} 10:00", "fp-a", "zone.3.state", "fire")
    assert isinstance(spec, AlertSpec)
    assert spec.key == "fire:fp-a:zone.3.state"
    assert spec.title == "Fire in zone 3: Building A panel (Building A 1F, Building A 1F)"
    assert spec.message == "zone.3.state is fire"
    assert (spec.sop, spec.channels, spec.snapshot) == ("SOP-10", ("police", "log"), ())
    assert spec.latching  # fire latches by default
    [step] = spec.escalation
    assert (step.after_s, step.severity, step.channels, step.note) == (
        120.0, Severity.CRITICAL, ("log",), "late")
    assert driver.send(f"{DAY} 10:01", "fp-a", "zone.1.state", "normal") == []


def test_drill_and_maintenance_modes(tmp_path: Path) -> None:
    modes = ModeBook()
    start, end = local(f"{DAY} 10:00"), local(f"{DAY} 11:00")
    modes.add(Mode(id="d1", kind="drill", zone="a1", device_id=None, starts=start, until=end,
                   actor="ops", note="", action="mark"))
    modes.add(Mode(id="m1", kind="maintenance", zone=None, device_id="pb-a1-2", starts=start,
                   until=end, actor="tech", note="", action="suppress"))
    modes.add(Mode(id="m2", kind="maintenance", zone=None, device_id="pb-a2-1", starts=start,
                   until=end, actor="tech", note="", action="mark"))
    driver = one(tmp_path, "{id: p, select: {type: panic_button}, when: {point: pressed}, "
                           "severity: critical, category: panic, title: '{device}', "
                           "channels: [police]}", modes=modes)
    [drill] = driver.send(f"{DAY} 10:30", "pb-a1-1", "pressed", True)
    assert drill.drill and drill.channels == ("police",)  # type: ignore[union-attr]
    assert driver.send(f"{DAY} 10:30", "pb-a1-2", "pressed", True) == []  # suppressed
    [marked] = driver.send(f"{DAY} 10:30", "pb-a2-1", "pressed", True)
    assert marked.title == "[maintenance] A201 alarm"  # type: ignore[union-attr]
    assert marked.channels == ()  # type: ignore[union-attr]
    driver.send(f"{DAY} 11:30", "pb-a1-1", "pressed", False)
    [real] = driver.send(f"{DAY} 11:31", "pb-a1-1", "pressed", True)
    assert not real.drill  # type: ignore[union-attr]


# -- index ------------------------------------------------------------------------------

def test_an_event_only_touches_the_rules_that_can_match_it(tmp_path: Path) -> None:
    config = site_config(tmp_path, "\n".join([
        rule("{id: a, select: {type: gate_sensor}, when: {point: open}, severity: high, "
             "category: intrusion, title: t}"),
        rule("{id: b, select: {type: panic_button}, when: {point: pressed}, severity: high, "
             "category: panic, title: t}"),
        rule("{id: c, select: {type: fire_panel}, when: {point: zone.*.state, equals: fire}, "
             "severity: high, category: fire, title: t}"),
    ]))
    driver = Driver.start(config, f"{DAY} 09:00")
    gate = driver.engine.index_of("gs-main")
    assert gate is not None and gate.exact == {"open": (0,)} and gate.globs == ()
    assert driver.engine.index_of("gs-main") is driver.engine.index_of("gs-east")  # shared
    panel = driver.engine.index_of("fp-a")
    assert panel is not None and panel.exact == {} and len(panel.globs) == 1
    driver.send(f"{DAY} 09:01", "gs-main", "heartbeat", 7)
    assert ("gs-main", "heartbeat") not in driver.engine.values  # no rule reads it


def test_a_held_glob_condition_survives_a_restart_with_its_match(tmp_path: Path) -> None:
    config = site_config(tmp_path, rule(
        "{id: fault, select: {type: fire_panel}, when: {point: zone.*.state, equals: fault}, "
        "for: 10m, severity: warning, category: maintenance, title: 'Zone {match} fault'}"))
    before = Driver.start(config, f"{DAY} 10:00")
    before.send(f"{DAY} 10:01", "fp-a", "zone.3.state", "fault")
    after = Driver.start(config, f"{DAY} 10:05", held=before.held)
    [raised] = after.tick(f"{DAY} 10:11")
    assert (raised.key, raised.title) == ("fault:fp-a:zone.3.state", "Zone 3 fault")
    [cleared] = after.send(f"{DAY} 10:12", "fp-a", "zone.3.state", "normal")
    assert cleared.key == "fault:fp-a:zone.3.state"
