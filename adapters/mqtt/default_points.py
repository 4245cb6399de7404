"""Default point mappings per device type: the topics and payloads the simulator speaks
and docs/mqtt.md describes for integrators."""

from __future__ import annotations

from adapters.mqtt.mapping import PointMapping

PANIC_BUTTON_POINTS: tuple[PointMapping, ...] = (
    PointMapping(point="pressed", topic="{prefix}/panic_button/{id}/state",
                 json_field="pressed", urgent=True),
    PointMapping(point="tamper", topic="{prefix}/panic_button/{id}/state", json_field="tamper"),
    PointMapping(point="battery_low", topic="{prefix}/panic_button/{id}/state",
                 json_field="battery_low"),
    PointMapping(point="heartbeat", topic="{prefix}/panic_button/{id}/heartbeat",
                 json_field="seq", kind="int"),
)
"""One-button alarm (一键报警): `{"pressed": bool, "tamper": bool, "battery_low": bool}` on
`state`, `{"seq": int}` on `heartbeat`."""

GATE_SENSOR_POINTS: tuple[PointMapping, ...] = (
    PointMapping(point="open", topic="{prefix}/gate_sensor/{id}/state", json_field="open"),
    PointMapping(point="forced", topic="{prefix}/gate_sensor/{id}/state", json_field="forced",
                 urgent=True),
    PointMapping(point="heartbeat", topic="{prefix}/gate_sensor/{id}/heartbeat",
                 json_field="seq", kind="int"),
)
"""Gate position sensor: `{"open": bool, "forced": bool}` on `state`, `{"seq": int}` on
`heartbeat`."""

GAS_DETECTOR_POINTS: tuple[PointMapping, ...] = (
    PointMapping(point="gas_alarm", topic="{prefix}/gas_detector/{id}/state", json_field="alarm",
                 urgent=True),
    PointMapping(point="lel_percent", topic="{prefix}/gas_detector/{id}/state", json_field="lel",
                 kind="float"),
    PointMapping(point="fault", topic="{prefix}/gas_detector/{id}/state", json_field="fault"),
    PointMapping(point="heartbeat", topic="{prefix}/gas_detector/{id}/heartbeat",
                 json_field="seq", kind="int"),
)
"""Combustible gas detector (可燃气体探测器): `{"alarm": bool, "lel": number, "fault": bool}`
on `state` (`lel`: gas concentration in % of the lower explosive limit), `{"seq": int}` on
`heartbeat`."""

CHARGING_MONITOR_POINTS: tuple[PointMapping, ...] = (
    PointMapping(point="smoke", topic="{prefix}/charging_monitor/{id}/state", json_field="smoke",
                 urgent=True),
    PointMapping(point="temperature_c", topic="{prefix}/charging_monitor/{id}/state",
                 json_field="temperature", kind="float"),
    PointMapping(point="circuit_on", topic="{prefix}/charging_monitor/{id}/state",
                 json_field="circuit_on"),
    PointMapping(point="heartbeat", topic="{prefix}/charging_monitor/{id}/heartbeat",
                 json_field="seq", kind="int"),
)
"""E-bike charging area monitor (电动自行车集中充电区): `{"smoke": bool, "temperature": number,
"circuit_on": bool}` on `state` (`temperature` in °C; `circuit_on`: the charging circuit is
energised), `{"seq": int}` on `heartbeat`."""
