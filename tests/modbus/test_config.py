"""Modbus config: register maps validate, errors come with their file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.base import AdapterContext
from adapters.modbus import ModbusConfigError, ModbusSettings, build_adapters
from adapters.modbus.config import FirePanelConfig, SerialConnection, reference_errors
from gateway.app.config import load_config
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from gateway.core.configfile import ConfigError

HEAD = """\
site: {id: school-1, name: No. 1 Middle School}
zones:
  - {id: building-a, name: Teaching building A}
api: {token: test-token-0001}
"""


def _load(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "site.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [p.replace(str(path), "site.yaml") for p in caught.value.problems]


def _line(body: str, text: str) -> int:
    """Line number (in the whole file) of the first line containing `text`."""
    lines = (HEAD + body).splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def _device(points: str, extra: str = "") -> str:
    return f"""\
devices:
  - id: fp-a
    type: fire_panel
    name: Building A fire panel
    zone: building-a
    connection: {{host: 127.0.0.1, port: 5020}}
{extra}    points:
{points}"""


def test_a_site_with_panels_and_gates_loads(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(HEAD + """\
adapters:
  modbus:
    polling: {interval_s: 2}
    templates:
      small_panel:
        points:
          - {point: fire, table: discrete_input, address: 0, type: bit, urgent_values: [true]}
devices:
  - {id: fp-a, type: fire_panel, name: A, zone: building-a,
     connection: {host: 10.0.0.5}, counts: {zones: 24}}
  - {id: fp-b, type: fire_panel, name: B, zone: building-a, template: small_panel,
     connection: {kind: rtu, port: /dev/ttyUSB0, baudrate: 19200, parity: E}, unit_id: 3}
  - {id: gc-main, type: gate_controller, name: Main gate, zone: building-a,
     connection: {host: 10.0.0.9, port: 1502}}
""")
    config = load_config(path)
    panel, rtu_panel, _gate = config.devices
    assert isinstance(panel, FirePanelConfig) and panel.counts == {"zones": 24}
    assert isinstance(rtu_panel.connection, SerialConnection)  # type: ignore[union-attr]
    assert config.adapters.modbus.polling.interval_s == 2
    assert reference_errors(config.adapters.modbus, config.devices) == []
    ctx = AdapterContext("school-1", VirtualClock(), EventBus())
    adapters = build_adapters(config.adapters.modbus, config.devices, ctx)
    assert sorted(a.name for a in adapters) == [
        "modbus rtu:/dev/ttyUSB0", "modbus tcp:10.0.0.5:502", "modbus tcp:10.0.0.9:1502"]


def test_overlapping_points_are_reported_at_the_second_point(tmp_path: Path) -> None:
    body = _device("""\
      - {point: temperature, table: input_register, address: 10, type: float32}
      - {point: humidity, table: input_register, address: 11}
""")
    problems = _load(tmp_path, body)
    line = _line(body, "humidity")
    assert problems == [f"site.yaml:{line}: devices[0].points[1]: Value error, humidity "
                        "(input_register 11) overlaps temperature (input_register 10-11)"]


def test_bits_of_one_register_may_share_it_but_not_overlap(tmp_path: Path) -> None:
    body = _device("""\
      - {point: door, table: holding_register, address: 0, type: bit, bit: 3}
      - {point: mode, table: holding_register, address: 0, type: bitfield, bit: 4, bits: 4}
      - {point: alarm, table: holding_register, address: 0, type: bit, bit: 6}
""")
    problems = _load(tmp_path, body)
    assert problems == [f"site.yaml:{_line(body, 'alarm')}: devices[0].points[2]: Value error, "
                        "alarm (holding_register 0) overlaps mode (holding_register 0)"]


def test_address_out_of_range_and_unknown_type(tmp_path: Path) -> None:
    body = _device("""\
      - {point: counter, table: input_register, address: 65535, type: uint32}
      - {point: level, table: input_register, address: 70000}
      - {point: voltage, table: input_register, address: 5, type: float64}
      - {point: flag, table: coil, address: 5, type: uint16}
""")
    problems = _load(tmp_path, body)
    assert problems[0] == (f"site.yaml:{_line(body, 'counter')}: devices[0].points[0]: "
                           "Value error, the last value ends past address 65535")
    assert problems[1].startswith(f"site.yaml:{_line(body, 'level')}: "
                                  "devices[0].points[1].address: Input should be less than")
    assert problems[2].startswith(f"site.yaml:{_line(body, 'float64')}: "
                                  "devices[0].points[2].type: Input should be 'bit'")
    assert problems[3] == (f"site.yaml:{_line(body, 'flag')}: devices[0].points[3]: Value "
                           "error, coil values are single bits: type must be bit, not uint16")
    assert len(problems) == 4


def test_float32_at_the_odd_end_of_a_readable_block(tmp_path: Path) -> None:
    body = _device("""\
      - {point: flow, table: holding_register, address: 100, type: float32}
      - {point: pressure, table: holding_register, address: 109, type: float32}
""", extra="    readable: [{table: holding_register, start: 100, end: 109}]\n")
    problems = _load(tmp_path, body)
    assert problems == [
        f"site.yaml:{_line(body, 'pressure')}: devices[0].points[1]: Value error, pressure is "
        "a float32 at 109-110 and runs past the end of readable block 100-109"]


def test_rtu_line_settings_are_validated(tmp_path: Path) -> None:
    body = """\
devices:
  - {id: fp-a, type: fire_panel, name: A, zone: building-a,
     connection: {kind: rtu, port: /dev/ttyS0, baudrate: 12345, bytesize: 7}}
"""
    problems = _load(tmp_path, body)
    assert any("connection.baudrate: Input should be 1200, 2400" in p for p in problems)
    problems = _load(tmp_path, body.replace("12345", "19200"))
    assert problems == [f"site.yaml:{_line(body, 'bytesize')}: devices[0].connection.rtu: "
                        "Value error, Modbus RTU needs 8 data bits"]


def test_unknown_template_and_clashing_units_stop_the_adapter() -> None:
    devices = [
        FirePanelConfig.model_validate({
            "type": "fire_panel", "id": f"fp-{i}", "name": "x", "zone": "z",
            "template": template, "connection": {"host": "10.0.0.5"}})
        for i, template in enumerate(["fire_panel", "fire_panel_v9"])]
    assert reference_errors(ModbusSettings(), devices) == [
        (("devices", 1, "template"), "unknown register-map template 'fire_panel_v9' "
                                     "(known: fire_panel, gate_controller)")]
    ctx = AdapterContext("school-1", VirtualClock(), EventBus())
    with pytest.raises(ModbusConfigError) as caught:
        build_adapters(ModbusSettings(), devices, ctx)
    assert caught.value.problems[0].startswith("devices[fp-1]: unknown register-map template")
    assert "unit id 1 is already fp-0's on tcp:10.0.0.5:502" in caught.value.problems[1]


def test_counts_that_make_a_template_overlap_itself_are_caught() -> None:
    device = FirePanelConfig.model_validate({
        "type": "fire_panel", "id": "fp-a", "name": "x", "zone": "z",
        "counts": {"zones": 250}, "connection": {"host": "10.0.0.5"}})
    problems = reference_errors(ModbusSettings(), [device])
    assert problems[0] == (("devices", 0), "loop.1.devices (input_register 300) overlaps "
                                           "zone.201.state (input_register 300)")


def test_template_errors_point_at_the_template_line(tmp_path: Path) -> None:
    body = """\
adapters:
  modbus:
    templates:
      acme_panel:
        points:
          - {point: "zone.{n}.state", table: input_register, address: 10, repeat: 8}
          - {point: fire_count, table: input_register, address: 17}
"""
    problems = _load(tmp_path, body)
    assert problems == [
        f"site.yaml:{_line(body, 'fire_count')}: adapters.modbus.templates.acme_panel."
        "points[1]: Value error, fire_count (input_register 17) overlaps zone.8.state "
        "(input_register 17)"]
