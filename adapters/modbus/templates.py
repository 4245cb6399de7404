"""Built-in register maps of the bundled simulators' layout (the reference mapping in
docs/modbus.md). Sites with other panels define their own templates in config."""

from __future__ import annotations

from adapters.modbus.points import RegisterPoint, Table
from adapters.modbus.register_map import RegisterMap

ZONE_STATES = {0: "normal", 1: "pre_alarm", 2: "fire", 3: "fault", 4: "supervisory",
               5: "disabled"}
"""Zone state codes of the reference panel (input registers 100...)."""

_DI = Table.DISCRETE_INPUT
_IR = Table.INPUT_REGISTER


def _flag(point: str, address: int, urgent: bool = False) -> RegisterPoint:
    return RegisterPoint(point=point, table=_DI, address=address, type="bit",
                         urgent_values=(True,) if urgent else ())


FIRE_PANEL = RegisterMap(
    description="Reference fire alarm control panel (campusgw sim fire-panel).",
    points=(
        _flag("fire", 0, urgent=True),
        _flag("pre_alarm", 1, urgent=True),
        _flag("fault", 2),
        _flag("supervisory", 3),
        _flag("silenced", 4),
        _flag("power_fault", 5),
        _flag("battery_fault", 6),
        RegisterPoint(point="zones_in_fire", table=_IR, address=3, type="uint16"),
        RegisterPoint(point="event_count", table=_IR, address=4, type="uint32"),
        RegisterPoint(point="battery_voltage", table=_IR, address=6, type="float32",
                      deadband=0.05),
        RegisterPoint(point="cabinet_temperature", table=_IR, address=8, type="int16",
                      scale=0.1, deadband=0.2),
        RegisterPoint(point="zone.{n}.state", table=_IR, address=100, type="uint16",
                      repeat=8, repeat_key="zones", enum=ZONE_STATES,
                      urgent_values=("fire", "pre_alarm")),
        RegisterPoint(point="loop.{n}.devices", table=_IR, address=300, type="uint16",
                      repeat=2, repeat_key="loops"),
    ),
)

GATE_CONTROLLER = RegisterMap(
    description="Reference gate, barrier and bollard controller (campusgw sim gate-controller).",
    points=(
        RegisterPoint(point="gate.{n}.open", table=_DI, address=0, type="bit", repeat=2,
                      repeat_key="gates"),
        RegisterPoint(point="gate.{n}.forced", table=_DI, address=16, type="bit", repeat=2,
                      repeat_key="gates", urgent_values=(True,)),
        RegisterPoint(point="barrier.{n}.up", table=_DI, address=32, type="bit", repeat=1,
                      repeat_key="barriers"),
        RegisterPoint(point="bollard.{n}.raised", table=_DI, address=48, type="bit", repeat=2,
                      repeat_key="bollards"),
        RegisterPoint(point="vehicle.{n}.passages", table=_IR, address=0, type="uint16",
                      repeat=1, repeat_key="lanes"),
        RegisterPoint(point="vehicle.{n}.plate", table=_IR, address=100, type="string",
                      length=8, repeat=1, repeat_key="lanes",
                      publish_with="vehicle.{n}.passages"),
    ),
)

BUILTIN_TEMPLATES: dict[str, RegisterMap] = {
    "fire_panel": FIRE_PANEL,
    "gate_controller": GATE_CONTROLLER,
}
