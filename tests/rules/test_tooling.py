"""`campusgw rules check` and `campusgw rules test`, and invalid rules at their lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.main import app
from gateway.core.configfile import ConfigError
from tests.rules.support import SITE, rule, site_config

ROOT = Path(__file__).resolve().parents[2]
SCHOOL = ROOT / "config" / "school.yaml"
SCENARIOS = sorted((ROOT / "config" / "scenarios").glob("*.yaml"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def written(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(SITE.format(rules=rules, more_devices="", tmp=tmp_path))
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# -- invalid rules stop loading, each at its line ------------------------------------------

@pytest.mark.parametrize(("bad", "message"), [
    ("{id: r, select: {type: gate_sensor}, when: {point: opn}, severity: high, "
     "category: intrusion, title: t}",
     "rules[0].when.point: unknown point 'opn': gate_sensor gs-main has open, forced, "
     "heartbeat"),
    ("{id: r, select: {type: gate_sensor}, when: {point: open}, for: 5 minutes, "
     "severity: high, category: intrusion, title: t}",
     "rules[0].for: Value error, bad duration '5 minutes'"),
    ("{id: r, select: {type: gate_sensor}, when: {point: open}, during: nite, "
     "severity: high, category: intrusion, title: t}",
     "rules[0].during: unknown window 'nite' (known: class-hours, night, "
     "outside-class-hours, peak-hours)"),
    ("{id: r, select: {type: gate_sensr}, when: {point: open}, severity: high, "
     "category: intrusion, title: t}", "rules[0].select.type[0]: unknown device type"),
    ("{id: r, select: {zones: [attic]}, when: {point: open}, severity: high, "
     "category: intrusion, title: t}", "rules[0].select.zones[0]: unknown zone 'attic'"),
    ("{id: r, select: {type: charging_monitor}, when: {all: [{point: smoke}, "
     "{device: relay-9, point: closed}]}, severity: high, category: hazard, title: t}",
     "rules[0].when.all[1].device: unknown device 'relay-9'"),
    ("{id: r, select: {type: gate_sensor}, when: {event: open}, for: 1m, "
     "severity: high, category: intrusion, title: t}",
     "rules[0]: Value error, `for` needs a state condition"),
    ("{id: r, select: {type: gate_sensor}, when: {point: open}, count: 3, "
     "severity: high, category: intrusion, title: t}",
     "rules[0]: Value error, count and within go together"),
    ("{id: r, select: {type: gate_sensor}, when: {point: open}, severity: high, "
     "category: intrusion, title: t, channels: [pager]}",
     "rules[0].channels[0]: unknown channel 'pager'"),
])
def test_an_invalid_rule_is_reported_at_its_line(tmp_path: Path, bad: str,
                                                 message: str) -> None:
    path = written(tmp_path, rule(bad))
    with pytest.raises(ConfigError) as caught:
        site_config(tmp_path, rule(bad))
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:{line_of(path, '- {id: r,')}: {message}")


# -- rules check ----------------------------------------------------------------------------

def test_rules_check_passes_the_school_and_warns_about_the_calendar() -> None:
    code, output = run("rules", "check", "--config", str(SCHOOL), "--at", "2026-11-29 09:00")
    assert code == 0
    assert "warning: statutory holiday data ends in 32 days (2026-12-31)" in output
    assert output.rstrip().endswith("rules, 1 warning(s)")
    code, _ = run("rules", "check", "--config", str(SCHOOL), "--at", "2026-11-29 09:00",
                  "--strict")
    assert code == 1


def test_rules_check_finds_rules_that_can_never_fire(tmp_path: Path) -> None:
    rules = "\n".join(rule(text) for text in (
        "{id: nobody, select: {type: gate_sensor, zones: [canteen]}, when: {point: open}, "
        "severity: high, category: intrusion, title: t}",
        "{id: contradiction, select: {type: gas_detector}, when: {all: [{point: lel_percent, "
        "ge: 50}, {point: lel_percent, lt: 10}]}, severity: high, category: hazard, title: t}",
        "{id: both, select: {type: gate_sensor}, when: {all: [{point: open, equals: true}, "
        "{point: open, equals: false}]}, severity: high, category: intrusion, title: t}",
        "{id: never-open, select: {type: gate_sensor}, when: {point: open}, "
        "during: {all: [class-hours, night]}, severity: high, category: intrusion, title: t}",
        "{id: fine, select: {type: gate_sensor}, when: {point: open}, during: night, "
        "severity: high, category: intrusion, title: t}",
        # Under `not` (or `any`) an impossible part does not stop the rule firing.
        "{id: fine-too, select: {type: gate_sensor}, when: {any: [{point: forced}, {not: "
        "{all: [{point: open, equals: true}, {point: open, equals: false}]}}]}, "
        "severity: high, category: intrusion, title: t}",
    ))
    path = written(tmp_path, rules)
    path.write_text(path.read_text().replace(
        'class-hours: {days: [school], hours: ["08:00-12:00", "14:00-17:30"]}',
        'class-hours: {days: [school], hours: ["08:00-12:00", "11:00-17:30"]}'))
    code, output = run("rules", "check", "--config", str(path), "--at", "2026-10-14 09:00")
    assert code == 0, output
    warnings = [line for line in output.splitlines() if ": warning: " in line]
    where = {line.split(": warning: ")[0].split(": ", 1)[1]: line.split(": warning: ")[1]
             for line in warnings}
    assert where == {
        "calendar.windows.class-hours.hours[1]": "11:00-17:30 overlaps 08:00-12:00",
        "rules[0].select": "never fires: it selects no device",
        "rules[1].when": "never fires: lel_percent: no number is above 50 and below 10",
        "rules[2].when": "never fires: open: equals both True and False",
        "rules[3].during": "never fires: its window is never open in the next year",
    }
    assert all(line.startswith(f"{path}:") for line in warnings)
    assert f"{path}:{line_of(path, '- {id: nobody')}: rules[0].select" in output


def test_rules_check_reports_config_errors_and_fails(tmp_path: Path) -> None:
    path = written(tmp_path, rule("{id: r, select: {type: gate_sensor}, when: {point: opn}, "
                                  "severity: high, category: intrusion, title: t}"))
    code, output = run("rules", "check", "--config", str(path))
    assert code == 1
    assert "unknown point 'opn'" in output


# -- rules test -----------------------------------------------------------------------------

def test_the_example_scenarios_pass_against_the_default_pack() -> None:
    assert len(SCENARIOS) >= 6
    code, output = run("rules", "test", "--config", str(SCHOOL), *map(str, SCENARIOS))
    assert code == 0, output
    assert f"{len(SCENARIOS)} of {len(SCENARIOS)} scenario(s) passed" in output
    assert "FAIL" not in output


def test_a_scenario_whose_expectation_is_not_met_fails(tmp_path: Path) -> None:
    scenario = tmp_path / "late.yaml"
    scenario.write_text("""\
name: the rooftop door at 21:00 is not night yet
start: "2026-10-14 20:55"
steps:
  - {at: "21:00", device: gs-a-roof, point: open, value: true}
run_until: "21:30"
expect:
  - {raised: rooftop-door-night, device: gs-a-roof, at: "21:00"}
""")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 1
    assert ("FAIL  raised rooftop-door-night device=gs-a-roof at=21:00  — instead: no raised "
            "of rooftop-door-night (nothing of it happened)") in output
    assert "0 of 1 scenario(s) passed" in output


def test_a_failed_expectation_says_what_happened_instead(tmp_path: Path) -> None:
    scenario = tmp_path / "close.yaml"
    scenario.write_text("""name: the rooftop door at night, expected at the wrong time and severity
start: "2026-10-14 22:00"
steps:
  - {at: "22:10", device: gs-a-roof, point: open, value: true}
run_until: "22:30"
expect:
  - {raised: rooftop-door-night, at: "22:05", severity: critical}
  - {not_raised: rooftop-door-night}
""")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 1
    assert ("instead: raised at 2026-10-14 22:10:00, severity high") in output, output
    assert "FAIL  not_raised rooftop-door-night  — instead: raised at 2026-10-14 22:10:00" in output


def test_a_recorded_sequence_replays_like_a_scripted_one(tmp_path: Path) -> None:
    (tmp_path / "recorded.jsonl").write_text(
        '{"ts": "2026-10-14T22:10:00+08:00", "device_id": "gs-a-roof", "point": "open", '
        '"value": true, "quality": "good"}\n'
        '{"ts": "2026-10-14T22:12:00+08:00", "device_id": "gs-a-roof", "point": "open", '
        '"value": false}\n')
    scenario = tmp_path / "recorded.yaml"
    scenario.write_text("""\
name: a recorded night
start: "2026-10-14 22:00"
recording: recorded.jsonl
expect:
  - {raised: rooftop-door-night, at: "22:10"}
  - {resolved: rooftop-door-night, at: "22:12"}
""")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 0, output


def test_a_broken_scenario_names_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("name: x\nstart: '2026-10-14 10:00'\nsteps:\n"
                        "  - {at: '10:01', device: gs-east, value: true}\n")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 2
    assert f"{scenario}:4: steps[0]: Value error, a device step needs its point" in output


def test_a_bad_time_names_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "late.yaml"
    scenario.write_text("name: x\nstart: '2026-10-14 10:00'\nsteps:\n"
                        "  - {at: '25:61', device: gs-east, point: open, value: true}\n")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 2
    assert f"{scenario}:4: steps[0].at: Value error, bad time '25:61'" in output


def test_a_bad_recorded_event_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "recorded.jsonl").write_text(
        '{"ts": "2026-10-14T22:10:00+08:00", "device_id": "gs-a-roof", "point": "open", '
        '"value": true}\n{"ts": "2026-10-14T22:12:00+08:00", "point": "open"}\n')
    scenario = tmp_path / "recorded.yaml"
    scenario.write_text("name: x\nstart: '2026-10-14 22:00'\nrecording: recorded.jsonl\n")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 2
    assert f"{tmp_path / 'recorded.jsonl'}:2: bad recorded event: no 'device_id'" in output
    assert "Traceback" not in output


def test_a_misspelled_point_in_a_scenario_fails_with_a_suggestion(tmp_path: Path) -> None:
    scenario = tmp_path / "typo.yaml"
    scenario.write_text("""\
name: a typo in the point
start: "2026-10-14 21:55"
steps:
  - {at: "22:00", device: gs-a-roof, point: opne, value: true}
""")
    code, output = run("rules", "test", "--config", str(SCHOOL), str(scenario))
    assert code == 1
    assert "gs-a-roof has no point 'opne' (did you mean 'open'?); its points: " in output
