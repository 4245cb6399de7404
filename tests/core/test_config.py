"""Config loading: every problem reported as file:line: key.path: message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.app.config import load_config
from gateway.core.configfile import ConfigError
from tests.core.support import school_config

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
site: {id: s1, name: School One, timezone: Asia/Shanghai}
zones:
  - {id: gate, name: Main gate}
devices:
  - id: pb-1
    type: panic_button
    name: Guard room alarm
    zone: gate
channels:
  - type: file
    id: log
    path: alerts.jsonl
rules:
  - {id: panic, select: {type: panic_button}, when: {point: pressed}, severity: critical,
     category: panic, title: "Alarm {device}", channels: [log], latching: true}
api:
  token: test-token-0001
"""


def line(text: str, needle: str) -> int:
    """The 1-based line of `text` holding `needle`."""
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def write(tmp_path: Path, text: str, name: str = "gw.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_good_config_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.devices[0].id == "pb-1"
    assert config.rules[0].latching


def test_example_school_config_is_valid() -> None:
    config = load_config(REPO / "config" / "school.yaml")
    assert config.site.timezone == "Asia/Shanghai"
    assert {d.type for d in config.devices} >= {"panic_button", "gate_sensor"}


def test_every_error_is_reported_with_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("    zone: gate\n", "    zone: gate\n    colour: red\n")
    text = text.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus")
    text = text.replace("channels: [log]", "channels: [log, police]")
    path = write(tmp_path, text)
    found = problems(path)
    assert f"{path}:1: site.timezone: Value error, unknown time zone 'Mars/Olympus'" in found
    assert f"{path}:{line(text, 'colour')}: devices[0].colour: unknown key" in found
    # Cross-references are only checked once the fields are valid.
    fixed = text.replace("    colour: red\n", "").replace("Mars/Olympus", "Asia/Shanghai")
    found = problems(write(tmp_path, fixed))
    assert found == [f"{path}:{line(fixed, 'police')}: rules[0].channels[1]: "
                     "unknown channel 'police'"]


def test_missing_field_and_wrong_type(tmp_path: Path) -> None:
    text = GOOD.replace("    name: Guard room alarm\n", "") + "  port: x\n"
    path = write(tmp_path, text)
    found = problems(path)
    assert any(p.startswith(f"{path}:{line(text, 'pb-1')}: devices[0].name: Field required")
               for p in found)
    assert any(p.startswith(f"{path}:{line(text, 'port: x')}: api.port: Input should be a "
                            "valid integer") for p in found)


def test_unknown_device_type_and_zone(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("type: panic_button", "type: doorbell"))
    [found] = problems(path)
    assert found.startswith(f"{path}:{line(GOOD, 'pb-1')}: devices[0]: unknown type "
                            "'doorbell'; known: ")
    assert "panic_button" in found and "gate_sensor" in found
    path = write(tmp_path, GOOD.replace("type: panic_button", "type: panic_buton"))
    [found] = problems(path)
    assert "unknown type 'panic_buton' (did you mean 'panic_button'?); known: " in found
    path = write(tmp_path, GOOD.replace("zone: gate", "zone: roof"))
    assert problems(path) == [f"{path}:{line(GOOD, 'zone: gate')}: devices[0].zone: "
                              "unknown zone 'roof'"]


def test_yaml_syntax_error_is_reported_where_it_is(tmp_path: Path) -> None:
    text = GOOD + "more: [unclosed\n"
    path = write(tmp_path, text)
    [found] = problems(path)
    assert found.startswith(f"{path}:{line(text, 'unclosed')}: (top): YAML syntax")
    text = GOOD.replace("    name: Guard room alarm", "    name Guard room alarm")
    [found] = problems(write(tmp_path, text))
    assert found.startswith(f"{path}:{line(text, 'name Guard')}: (top): YAML syntax")


def test_duplicate_keys_and_ids(tmp_path: Path) -> None:
    text = GOOD + "api: {token: u}\n"
    path = write(tmp_path, text)
    assert problems(path) == [f"{path}:{line(text, 'token: u')}: api: duplicate key"]
    text = GOOD.replace("  - {id: gate, name: Main gate}\n",
                        "  - {id: gate, name: Main gate}\n  - {id: gate, name: Again}\n")
    path = write(tmp_path, text)
    assert problems(path) == [f"{path}:{line(text, 'Again')}: zones[1].id: duplicate zone id "
                              "'gate'"]


def test_secrets_from_environment_and_files(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "token.secret").write_text("s3cret-from-file\n")
    monkeypatch.setenv("ALERT_LOG", "from-env.jsonl")
    text = GOOD.replace("path: alerts.jsonl", "path: ${ALERT_LOG}").replace(
        "token: test-token-0001", "token: !file token.secret\n  port: ${API_PORT:-9000}")
    config = load_config(write(tmp_path, text))
    assert config.api.token.get_secret_value() == "s3cret-from-file"
    assert config.api.port == 9000
    assert str(config.channels[0].path) == "from-env.jsonl"  # type: ignore[union-attr]
    assert "s3cret" not in repr(config)


def test_missing_environment_variable_and_secret_file(tmp_path: Path) -> None:
    text = GOOD.replace("path: alerts.jsonl", "path: ${NOT_SET_ANYWHERE}").replace(
        "token: test-token-0001", "token: !file missing.secret")
    path = write(tmp_path, text)
    found = problems(path)
    assert (f"{path}:{line(text, 'NOT_SET')}: channels[0].path: environment variable "
            "NOT_SET_ANYWHERE is not set") in found
    assert any(p.startswith(f"{path}:{line(text, 'missing.secret')}: api.token: cannot read")
               for p in found)


def test_a_short_fixed_token_is_refused_and_an_empty_one_is_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD.replace("token: test-token-0001", "token: short")
    path = write(tmp_path, text)
    assert problems(path) == [f"{path}:{line(text, 'token:')}: api.token: Value error, "
                              "must have at least 12 characters (or leave it out)"]
    monkeypatch.delenv("API_TOKEN", raising=False)
    for written in ['""', "${API_TOKEN:-}"]:
        path = write(tmp_path, GOOD.replace("token: test-token-0001", f"token: {written}"))
        assert load_config(path).api.token is None


def with_hold(written: str) -> str:
    """GOOD with the panic rule held for the duration `written`."""
    return GOOD.replace("latching: true}", f"latching: true, for: {written}}}")


def test_a_duration_is_a_number_or_text_and_finite(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLD", "90")
    for written, seconds in [("90", 90.0), ('"90"', 90.0), ('"${HOLD}"', 90.0),
                             ('"1.5"', 1.5), ("1h30m", 5400.0)]:
        assert load_config(write(tmp_path, with_hold(written))).rules[0].for_ == seconds
    for written, shown in [(".nan", "nan"), (".inf", "inf")]:
        text = with_hold(written)
        path = write(tmp_path, text)
        assert problems(path) == [f"{path}:{line(text, 'for:')}: rules[0].for: Value error, "
                                  f"duration must be a finite number, got {shown}"]
    text = with_hold('"90x"')
    path = write(tmp_path, text)
    assert problems(path) == [f"{path}:{line(text, 'for:')}: rules[0].for: Value error, "
                              "bad duration '90x': write e.g. 90s, 5m, 2h, 1h30m"]


def test_included_rule_file_errors_name_that_file(tmp_path: Path) -> None:
    rules = write(tmp_path, "- {id: r1, select: {type: panic_button}, when: {point: pressed},\n"
                            "   severity: apocalyptic, category: panic, title: x}\n",
                  "rules.yaml")
    text = (GOOD.split("rules:")[0]
            + "rules:\n  - !include rules.yaml\napi: {token: test-token-0001}\n")
    found = problems(write(tmp_path, text))
    assert len(found) == 1
    assert found[0].startswith(f"{rules}:2: rules[0].severity: Input should be")


def test_an_included_device_file_is_that_item_of_the_list(tmp_path: Path) -> None:
    device = ("id: pb-2\ntype: panic_button\nname: Library alarm\nzone: gate\n"
              "colour: red\n")
    included = write(tmp_path, device, "dev.yaml")
    text = GOOD.replace("channels:\n", "  - !include dev.yaml\nchannels:\n", 1)
    path = write(tmp_path, text)
    assert problems(path) == [
        f"{included}:{line(device, 'colour')}: devices[1].colour: unknown key"]
    write(tmp_path, device.replace("colour: red\n", ""), "dev.yaml")
    config = load_config(path)
    assert [d.id for d in config.devices] == ["pb-1", "pb-2"]


def test_bad_title_placeholder(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"Alarm {device}"', '"Alarm {room}"'))
    [found] = problems(path)
    assert found.startswith(f"{path}:{line(GOOD, 'Alarm')}: rules[0].title: Value error, "
                            "bad placeholder 'room'")


def test_check_config_command_exits_1_with_the_report(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("zone: gate", "zone: roof"))
    result = subprocess.run([sys.executable, "-m", "gateway.cli.main", "check-config", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"{path}:{line(GOOD, 'zone: gate')}: devices[0].zone: unknown zone 'roof'" \
        in result.stderr
    assert "Traceback" not in result.stderr
    ok = subprocess.run([sys.executable, "-m", "gateway.cli.main", "check-config",
                         str(REPO / "config" / "school.yaml")],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr


def test_a_misspelled_time_zone_gets_a_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("timezone: Asia/Shanghai", "timezone: Asia/Shangai")
    [found] = problems(write(tmp_path, text))
    assert found.endswith("unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)")


def test_a_missing_include_is_reported_where_it_is_written(tmp_path: Path) -> None:
    text = GOOD.replace("channels:\n", "  - !include gone.yaml\nchannels:\n", 1)
    path = write(tmp_path, text)
    assert problems(path) == [
        f"{path}:{line(text, 'gone.yaml')}: devices[1]: !include gone.yaml: no such file "
        f"({tmp_path / 'gone.yaml'})"]


def test_schema_errors_duplicates_and_unknown_zones_come_in_one_report(tmp_path: Path) -> None:
    path = tmp_path / "four.yaml"
    path.write_text("""\
site: {id: s1, name: School One, timezone: Asia/Shanghai}
zones:
  - {id: gate, name: Main gate}
  - {id: gate, name: Gate again}
devices:
  - {id: pb-1, type: panic_button, name: Guard room alarm, zone: gaet}
  - {id: pb-2, type: smoke_detector, name: A301 alarm, zone: gate}
rules:
  - {id: panic, select: {type: panic_button}, when: {point: pressed}, severity: urgent,
     category: panic, title: "Alarm {device}"}
api: {token: test-token-0001}
""")
    found = problems(path)
    assert [p.split(": ")[0] for p in found] == [f"{path}:{n}" for n in (4, 6, 7, 9)]
    assert found[0].endswith("zones[1].id: duplicate zone id 'gate'")
    assert found[1].endswith("devices[0].zone: unknown zone 'gaet' (did you mean 'gate'?)")
    assert "unknown type 'smoke_detector'" in found[2]
    assert found[3].startswith(f"{path}:9: rules[0].severity:")


def test_a_hazard_from_an_unknown_rule_is_a_config_error(tmp_path: Path) -> None:
    for repeat, expected in [
            ("{rule: forcd, category: building, responsible: guard}",
             "hazards.from_rules[0].rule: unknown rule 'forcd' (did you mean 'forced'?)"),
            ("{rule: forced, category: ghosts, responsible: guard}",
             "hazards.from_rules[0].category: Input should be 'exit'")]:
        with pytest.raises(ConfigError) as caught:
            school_config(tmp_path, f"hazards:\n  from_rules:\n    - {repeat}\n")
        assert expected in "\n".join(caught.value.problems)
