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
