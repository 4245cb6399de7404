"""A fire alarm control panel (火灾报警控制器) simulator.

`FirePanel` is the panel's logic: per-zone detector conditions, latched alarms and
troubles, disable/isolate, silence, and a reset that clears only what is no longer
there. `FirePanelSimulator` serves it over Modbus TCP (register layout below and in
docs/modbus.md) with an HTTP control interface; `fire_panel_command` runs one from the
command line.

Register layout (zero-based addresses):

- discrete inputs 0-6: fire, pre_alarm, fault, supervisory, silenced, power_fault,
  battery_fault; 7: some zone disabled
- input register 0: the same flags as bits 0-7; 1: zones; 2: loops; 3: zones in fire;
  4-5: event counter (uint32, high word first); 6-7: battery voltage (float32, high word
  first); 8: cabinet temperature (int16, 0.1 °C)
- input registers 100...: zone state codes (0 normal, 1 pre_alarm, 2 fire, 3 fault,
  4 supervisory, 5 disabled); 300...: devices answering on each loop
- coils: writing 1 to coil 0 silences, to coil 1 resets (they read back 0)
- holding registers 0-199: a free parameter area (read/write: written values read back)
- a write anywhere else answers exception 2 (illegal data address)
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any

import typer
from pymodbus.constants import ExcCodes

from simulators.modbus.control import bool_arg, int_arg, serve_until_cancelled
from simulators.modbus.device import SimulatedModbusDevice
from simulators.modbus.server import RegisterBank, TableName

MAX_ZONES = 200
MAX_LOOPS = 16
ZONE_BASE = 100
LOOP_BASE = 300
HOLDING_REGISTERS = 200
COIL_SILENCE = 0
COIL_RESET = 1


class ZoneState(IntEnum):
    """Zone state codes, as input registers 100... show them."""

    NORMAL = 0
    PRE_ALARM = 1
    FIRE = 2
    FAULT = 3
    SUPERVISORY = 4
    DISABLED = 5


NONE, PRE_ALARM, FIRE = 0, 1, 2
"""Detector levels."""


@dataclass
class Zone:
    """What a zone's detectors say now (conditions) and what the panel holds (latched)."""

    level: int = NONE
    fault: bool = False
    supervisory: bool = False
    disabled: bool = False
    latched_level: int = NONE
    latched_fault: bool = False
    latched_supervisory: bool = False

    @property
    def state(self) -> ZoneState:
        if self.disabled:
            return ZoneState.DISABLED
        if self.latched_level == FIRE:
            return ZoneState.FIRE
        if self.latched_level == PRE_ALARM:
            return ZoneState.PRE_ALARM
        if self.latched_supervisory:
            return ZoneState.SUPERVISORY
        if self.latched_fault:
            return ZoneState.FAULT
        return ZoneState.NORMAL

    def latch(self) -> None:
        """Take in the present conditions (alarms and troubles latch)."""
        if self.disabled:
            return
        self.latched_level = max(self.latched_level, self.level)
        self.latched_fault = self.latched_fault or self.fault
        self.latched_supervisory = self.latched_supervisory or self.supervisory

    def reset(self) -> None:
        """Forget what is gone; what is still there stays."""
        self.latched_level = NONE if self.disabled else self.level
        self.latched_fault = self.fault and not self.disabled
        self.latched_supervisory = self.supervisory and not self.disabled


class FirePanel:
    """The panel's logic, independent of any protocol."""

    def __init__(self, zones: int = 8, loops: int = 2, devices_per_loop: int = 32) -> None:
        if not 1 <= zones <= MAX_ZONES:
            raise ValueError(f"zones must be 1-{MAX_ZONES}")
        if not 1 <= loops <= MAX_LOOPS:
            raise ValueError(f"loops must be 1-{MAX_LOOPS}")
        self.zones = [Zone() for _ in range(zones)]
        self.loop_devices = [devices_per_loop] * loops
        self.loop_expected = [devices_per_loop] * loops
        self.mains_lost = False
        self.battery_low = False
        self.panel_fault = False
        self.silenced = False
        self.event_count = 0
        self.cabinet_temperature = 23.5

    def zone(self, number: int) -> Zone:
        if not 1 <= number <= len(self.zones):
            raise ValueError(f"zone must be 1-{len(self.zones)}")
        return self.zones[number - 1]

    def _changed(self, new_alarm: bool = False) -> None:
        self.event_count = (self.event_count + 1) & 0xFFFFFFFF
        if new_alarm:
            self.silenced = False  # a new alarm sounds again

    def detect(self, number: int, level: int) -> None:
        """A zone's detectors report `level` (NONE, PRE_ALARM or FIRE) from now on."""
        zone = self.zone(number)
        before = zone.state
        zone.level = level
        zone.latch()
        self._changed(new_alarm=zone.state != before
                      and zone.state in (ZoneState.FIRE, ZoneState.PRE_ALARM))

    def zone_fault(self, number: int, on: bool = True) -> None:
        zone = self.zone(number)
        zone.fault = on
        zone.latch()
        self._changed()

    def zone_supervisory(self, number: int, on: bool = True) -> None:
        zone = self.zone(number)
        zone.supervisory = on
        zone.latch()
        self._changed()

    def set_disabled(self, number: int, disabled: bool) -> None:
        """Disable (isolate) a zone, or enable it again (then present conditions count)."""
        zone = self.zone(number)
        zone.disabled = disabled
        if disabled:
            zone.latched_level, zone.latched_fault, zone.latched_supervisory = NONE, False, False
        else:
            zone.latch()
        self._changed(new_alarm=not disabled and zone.level > NONE)

    def set_panel_fault(self, on: bool) -> None:
        self.panel_fault = on
        self._changed()

    def set_mains_lost(self, on: bool) -> None:
        self.mains_lost = on
        self._changed()

    def set_battery_low(self, on: bool) -> None:
        self.battery_low = on
        self._changed()

    def set_loop_devices(self, loop: int, count: int) -> None:
        if not 1 <= loop <= len(self.loop_devices):
            raise ValueError(f"loop must be 1-{len(self.loop_devices)}")
        if not 0 <= count <= 65535:
            raise ValueError("count must be 0-65535")
        self.loop_devices[loop - 1] = count
        self._changed()

    def silence(self) -> bool:
        """Silence the sounders; only while there is an alarm. True if it did."""
        if not (self.fire or self.pre_alarm) or self.silenced:
            return False
        self.silenced = True
        self._changed()
        return True

    def reset(self) -> None:
        """Clear every latched condition that is gone; keep those still present."""
        for zone in self.zones:
            zone.reset()
        self.silenced = False
        self._changed()

    def _any(self, state: ZoneState) -> bool:
        return any(z.state == state for z in self.zones)

    @property
    def fire(self) -> bool:
        return self._any(ZoneState.FIRE)

    @property
    def pre_alarm(self) -> bool:
        return self._any(ZoneState.PRE_ALARM)

    @property
    def supervisory(self) -> bool:
        return self._any(ZoneState.SUPERVISORY)

    @property
    def loop_fault(self) -> bool:
        return any(n < e for n, e in zip(self.loop_devices, self.loop_expected, strict=True))

    @property
    def fault(self) -> bool:
        return (self._any(ZoneState.FAULT) or self.panel_fault or self.mains_lost
                or self.battery_low or self.loop_fault)

    @property
    def battery_voltage(self) -> float:
        if self.battery_low:
            return 21.2
        return 25.6 if self.mains_lost else 27.3

    def flags(self) -> list[bool]:
        return [self.fire, self.pre_alarm, self.fault, self.supervisory, self.silenced,
                self.mains_lost, self.battery_low, any(z.disabled for z in self.zones)]

    def write_registers(self, bank: RegisterBank) -> None:
        """Show the panel's state in the register layout."""
        flags = self.flags()
        bank.discrete_inputs[:len(flags)] = flags
        ir = bank.input_registers
        ir[0] = sum(1 << i for i, on in enumerate(flags) if on)
        ir[1] = len(self.zones)
        ir[2] = len(self.loop_devices)
        ir[3] = sum(1 for z in self.zones if z.state == ZoneState.FIRE)
        ir[4:6] = [self.event_count >> 16, self.event_count & 0xFFFF]
        ir[6:8] = list(struct.unpack(">HH", struct.pack(">f", self.battery_voltage)))
        ir[8] = round(self.cabinet_temperature * 10) & 0xFFFF
        for i, zone in enumerate(self.zones):
            ir[ZONE_BASE + i] = int(zone.state)
        for i, count in enumerate(self.loop_devices):
            ir[LOOP_BASE + i] = count

    def summary(self) -> dict[str, Any]:
        return {
            "fire": self.fire, "pre_alarm": self.pre_alarm, "fault": self.fault,
            "supervisory": self.supervisory, "silenced": self.silenced,
            "power_fault": self.mains_lost, "battery_fault": self.battery_low,
            "event_count": self.event_count,
            "zones": {str(i + 1): z.state.name.lower() for i, z in enumerate(self.zones)},
            "loops": {str(i + 1): n for i, n in enumerate(self.loop_devices)},
        }


class FirePanelSimulator(SimulatedModbusDevice):
    """A `FirePanel` served over Modbus TCP as unit `device_id`, with an optional HTTP
    control interface (`control_port`; None: none, 0: any free port)."""

    def __init__(self, port: int = 0, zones: int = 8, device_id: int = 1, *, loops: int = 2,
                 host: str = "127.0.0.1", control_port: int | None = None) -> None:
        self.panel = FirePanel(zones=zones, loops=loops)
        self._serve(RegisterBank.sized(bits=16, registers=max(LOOP_BASE + MAX_LOOPS,
                                                              HOLDING_REGISTERS)),
                    self.panel.summary, port=port, host=host, device_id=device_id,
                    control_port=control_port)

    def _refresh(self) -> None:
        self.panel.write_registers(self.bank)

    # What an integrator does to a panel under test.
    def inject_fire(self, zone: int) -> None:
        self.panel.detect(zone, FIRE)
        self._refresh()

    def inject_pre_alarm(self, zone: int) -> None:
        self.panel.detect(zone, PRE_ALARM)
        self._refresh()

    def clear(self, zone: int) -> None:
        """The zone's detectors are quiet again (the alarm stays latched until reset)."""
        self.panel.detect(zone, NONE)
        self._refresh()

    def inject_fault(self, zone: int | None = None, on: bool = True) -> None:
        """A zone fault (open circuit, detector missing), or a panel fault with no zone."""
        if zone is None:
            self.panel.set_panel_fault(on)
        else:
            self.panel.zone_fault(zone, on)
        self._refresh()

    def clear_fault(self, zone: int | None = None) -> None:
        self.inject_fault(zone, on=False)

    def supervisory(self, zone: int, on: bool = True) -> None:
        """A supervisory signal (valve closed, pump off) in a zone."""
        self.panel.zone_supervisory(zone, on)
        self._refresh()

    def disable(self, zone: int) -> None:
        self.panel.set_disabled(zone, True)
        self._refresh()

    def enable(self, zone: int) -> None:
        self.panel.set_disabled(zone, False)
        self._refresh()

    def mains_power_loss(self, on: bool = True) -> None:
        self.panel.set_mains_lost(on)
        self._refresh()

    def battery_fault(self, on: bool = True) -> None:
        self.panel.set_battery_low(on)
        self._refresh()

    def set_loop_devices(self, loop: int, count: int) -> None:
        self.panel.set_loop_devices(loop, count)
        self._refresh()

    def silence(self) -> None:
        self.panel.silence()
        self._refresh()

    def reset(self) -> None:
        self.panel.reset()
        self._refresh()

    def _write(self, table: TableName, address: int,
               values: Sequence[int] | Sequence[bool]) -> ExcCodes | None:
        """Modbus writes: coil 0 silences, coil 1 resets; holding registers 0-199 keep what
        is written. Any other address is illegal (exception 2)."""
        if table == "holding_register":
            if address + len(values) > HOLDING_REGISTERS:
                return ExcCodes.ILLEGAL_ADDRESS
            self.bank.store(table, address, values)
            return None
        coils = range(address, address + len(values))
        if table != "coil" or not set(coils) <= {COIL_SILENCE, COIL_RESET}:
            return ExcCodes.ILLEGAL_ADDRESS
        for coil, value in zip(coils, values, strict=True):
            if value and coil == COIL_SILENCE:
                self.silence()
            elif value:
                self.reset()
            self.bank.coils[coil] = False
        return None

    def _commands(self) -> dict[str, Any]:
        def zone(p: dict[str, str]) -> int:
            return int_arg(p, "zone")

        def optional_zone(p: dict[str, str]) -> int | None:
            return int_arg(p, "zone") if "zone" in p else None

        return {
            "fire": lambda p: self.inject_fire(zone(p)),
            "pre-alarm": lambda p: self.inject_pre_alarm(zone(p)),
            "clear": lambda p: self.clear(zone(p)),
            "fault": lambda p: self.inject_fault(optional_zone(p), bool_arg(p, "on")),
            "supervisory": lambda p: self.supervisory(zone(p), bool_arg(p, "on")),
            "disable": lambda p: self.disable(zone(p)),
            "enable": lambda p: self.enable(zone(p)),
            "mains-power-loss": lambda p: self.mains_power_loss(bool_arg(p, "on")),
            "battery-fault": lambda p: self.battery_fault(bool_arg(p, "on")),
            "loop-devices": lambda p: self.set_loop_devices(int_arg(p, "loop"),
                                                            int_arg(p, "count")),
            "silence": lambda p: self.silence(),
            "reset": lambda p: self.reset(),
        }


def fire_panel_command(
    port: Annotated[int, typer.Option(help="Modbus TCP port to listen on.")] = 5020,
    zones: Annotated[int, typer.Option(help="Number of detection zones.")] = 8,
    device_id: Annotated[int, typer.Option(help="Modbus unit id of the panel.")] = 1,
    loops: Annotated[int, typer.Option(help="Number of detector loops.")] = 2,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    control_port: Annotated[int, typer.Option(
        help="HTTP control port: POST /fire?zone=N, /pre-alarm, /clear, /fault, /disable, "
             "/enable, /supervisory, /mains-power-loss?on=true, /battery-fault, /silence, "
             "/reset; GET /state.")] = 8520,
) -> None:
    """Run a simulated fire alarm control panel (Modbus TCP server)."""
    simulator = FirePanelSimulator(port=port, zones=zones, device_id=device_id, loops=loops,
                                   host=host, control_port=control_port)
    banner = (f"fire panel: {zones} zones, unit {device_id}, Modbus TCP {host}:{{port}}, "
              f"control http://{host}:{{control_port}}/")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_until_cancelled(simulator, banner))
