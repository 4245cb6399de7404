"""A gate controller simulator: gates, a vehicle barrier, anti-ramming bollards and
vehicle lanes with plate recognition, served over Modbus TCP.

Register layout (zero-based addresses; n counts from 0):

- discrete inputs 0+n: gate n+1 open; 16+n: gate n+1 forced open (opened without a
  command); 32+n: barrier n+1 up; 48+n: bollard n+1 raised
- coils (commands, read back the command): 0+n open gate n+1 (1) or close it (0);
  32+n raise barrier n+1; 48+n raise bollard n+1
- input registers 0+n: vehicles passed in lane n+1 (uint16, wraps);
  100+8n..107+8n: plate of the last vehicle in lane n+1 (UTF-8, NUL-padded, 16 bytes)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from pymodbus.constants import ExcCodes

from simulators.modbus.control import bool_arg, int_arg, serve_until_cancelled
from simulators.modbus.device import SimulatedModbusDevice
from simulators.modbus.server import RegisterBank, TableName

MAX_EACH = 16
GATE_OPEN, GATE_FORCED, BARRIER_UP, BOLLARD_RAISED = 0, 16, 32, 48
PASSAGES, PLATES, PLATE_REGISTERS = 0, 100, 8


class GateController:
    """The controller's state, independent of any protocol."""

    def __init__(self, gates: int = 2, barriers: int = 1, bollards: int = 2,
                 lanes: int = 1) -> None:
        for name, count in (("gates", gates), ("barriers", barriers), ("bollards", bollards),
                            ("lanes", lanes)):
            if not 0 <= count <= MAX_EACH:
                raise ValueError(f"{name} must be 0-{MAX_EACH}")
        self.gate_open = [False] * gates
        self.gate_commanded = [False] * gates
        self.barrier_up = [False] * barriers
        self.bollard_raised = [True] * bollards  # anti-ramming: up unless lowered
        self.passages = [0] * lanes
        self.plates = [""] * lanes

    @staticmethod
    def _index(items: Sequence[object], number: int, what: str) -> int:
        if not 1 <= number <= len(items):
            raise ValueError(f"{what} must be 1-{len(items)}")
        return number - 1

    def command_gate(self, number: int, open_: bool) -> None:
        """The controller is told to open or close a gate; it moves."""
        i = self._index(self.gate_open, number, "gate")
        self.gate_commanded[i] = open_
        self.gate_open[i] = open_

    def force_gate(self, number: int) -> None:
        """The gate is pushed open with no open command."""
        i = self._index(self.gate_open, number, "gate")
        self.gate_open[i] = True

    def close_gate(self, number: int) -> None:
        self.command_gate(number, False)

    def forced(self, i: int) -> bool:
        return self.gate_open[i] and not self.gate_commanded[i]

    def set_barrier(self, number: int, up: bool) -> None:
        self.barrier_up[self._index(self.barrier_up, number, "barrier")] = up

    def set_bollard(self, number: int, raised: bool) -> None:
        self.bollard_raised[self._index(self.bollard_raised, number, "bollard")] = raised

    def vehicle_passes(self, lane: int, plate: str = "") -> None:
        i = self._index(self.passages, lane, "lane")
        if len(plate.encode("utf-8")) > 2 * PLATE_REGISTERS:
            raise ValueError(f"plate longer than {2 * PLATE_REGISTERS} bytes")
        self.plates[i] = plate
        self.passages[i] = (self.passages[i] + 1) & 0xFFFF

    def write_registers(self, bank: RegisterBank) -> None:
        di, coils, ir = bank.discrete_inputs, bank.coils, bank.input_registers
        for i, is_open in enumerate(self.gate_open):
            di[GATE_OPEN + i] = is_open
            di[GATE_FORCED + i] = self.forced(i)
            coils[GATE_OPEN + i] = self.gate_commanded[i]
        for i, up in enumerate(self.barrier_up):
            di[BARRIER_UP + i] = coils[BARRIER_UP + i] = up
        for i, raised in enumerate(self.bollard_raised):
            di[BOLLARD_RAISED + i] = coils[BOLLARD_RAISED + i] = raised
        for i, count in enumerate(self.passages):
            ir[PASSAGES + i] = count
            data = self.plates[i].encode("utf-8").ljust(2 * PLATE_REGISTERS, b"\0")
            base = PLATES + i * PLATE_REGISTERS
            ir[base:base + PLATE_REGISTERS] = [int.from_bytes(data[j:j + 2], "big")
                                               for j in range(0, len(data), 2)]

    def summary(self) -> dict[str, Any]:
        return {
            "gates": {str(i + 1): {"open": o, "forced": self.forced(i)}
                      for i, o in enumerate(self.gate_open)},
            "barriers": {str(i + 1): {"up": u} for i, u in enumerate(self.barrier_up)},
            "bollards": {str(i + 1): {"raised": r} for i, r in enumerate(self.bollard_raised)},
            "lanes": {str(i + 1): {"passages": n, "plate": self.plates[i]}
                      for i, n in enumerate(self.passages)},
        }


class GateControllerSimulator(SimulatedModbusDevice):
    """A `GateController` served over Modbus TCP as unit `device_id`, with an optional
    HTTP control interface (`control_port`; None: none, 0: any free port)."""

    def __init__(self, port: int = 0, device_id: int = 1, *, gates: int = 2, barriers: int = 1,
                 bollards: int = 2, lanes: int = 1, host: str = "127.0.0.1",
                 control_port: int | None = None) -> None:
        self.controller = GateController(gates, barriers, bollards, lanes)
        self._serve(RegisterBank.sized(bits=64, registers=PLATES + MAX_EACH * PLATE_REGISTERS),
                    self.controller.summary, port=port, host=host, device_id=device_id,
                    control_port=control_port)

    def _refresh(self) -> None:
        self.controller.write_registers(self.bank)

    def open_gate(self, gate: int) -> None:
        self.controller.command_gate(gate, True)
        self._refresh()

    def close_gate(self, gate: int) -> None:
        self.controller.close_gate(gate)
        self._refresh()

    def force_gate(self, gate: int) -> None:
        self.controller.force_gate(gate)
        self._refresh()

    def raise_barrier(self, barrier: int = 1, up: bool = True) -> None:
        self.controller.set_barrier(barrier, up)
        self._refresh()

    def lower_barrier(self, barrier: int = 1) -> None:
        self.raise_barrier(barrier, False)

    def raise_bollard(self, bollard: int, raised: bool = True) -> None:
        self.controller.set_bollard(bollard, raised)
        self._refresh()

    def lower_bollard(self, bollard: int) -> None:
        self.raise_bollard(bollard, False)

    def vehicle_passes(self, lane: int = 1, plate: str = "") -> None:
        self.controller.vehicle_passes(lane, plate)
        self._refresh()

    def _write(self, table: TableName, address: int,
               values: Sequence[int] | Sequence[bool]) -> ExcCodes | None:
        """Coil writes are commands: gates 0..., barriers 32..., bollards 48...; any
        other address is illegal (exception 2)."""
        if table != "coil":
            return ExcCodes.ILLEGAL_ADDRESS
        try:
            for offset, value in enumerate(values):
                self._command(address + offset, bool(value))
        except ValueError:
            return ExcCodes.ILLEGAL_ADDRESS
        self._refresh()
        return None

    def _command(self, coil: int, on: bool) -> None:
        c = self.controller
        if BOLLARD_RAISED <= coil < BOLLARD_RAISED + MAX_EACH:
            c.set_bollard(coil - BOLLARD_RAISED + 1, on)
        elif BARRIER_UP <= coil < BARRIER_UP + MAX_EACH:
            c.set_barrier(coil - BARRIER_UP + 1, on)
        elif GATE_OPEN <= coil < GATE_OPEN + MAX_EACH:
            c.command_gate(coil - GATE_OPEN + 1, on)
        else:
            raise ValueError(f"no command at coil {coil}")

    def _commands(self) -> dict[str, Any]:
        return {
            "open-gate": lambda p: self.open_gate(int_arg(p, "gate")),
            "close-gate": lambda p: self.close_gate(int_arg(p, "gate")),
            "force-gate": lambda p: self.force_gate(int_arg(p, "gate")),
            "barrier": lambda p: self.raise_barrier(int(p.get("barrier", "1")),
                                                    bool_arg(p, "up")),
            "bollard": lambda p: self.raise_bollard(int_arg(p, "bollard"),
                                                    bool_arg(p, "raised")),
            "vehicle": lambda p: self.vehicle_passes(int(p.get("lane", "1")),
                                                     p.get("plate", "")),
        }


def gate_controller_command(
    port: Annotated[int, typer.Option(help="Modbus TCP port to listen on.")] = 5021,
    device_id: Annotated[int, typer.Option(help="Modbus unit id of the controller.")] = 1,
    gates: Annotated[int, typer.Option(help="Number of gates.")] = 2,
    barriers: Annotated[int, typer.Option(help="Number of vehicle barriers.")] = 1,
    bollards: Annotated[int, typer.Option(help="Number of anti-ramming bollards.")] = 2,
    lanes: Annotated[int, typer.Option(help="Number of vehicle lanes with plate readers.")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    control_port: Annotated[int, typer.Option(
        help="HTTP control port: POST /open-gate?gate=N, /close-gate, /force-gate, "
             "/barrier?barrier=N&up=true, /bollard?bollard=N&raised=false, "
             "/vehicle?lane=N&plate=...; GET /state.")] = 8521,
) -> None:
    """Run a simulated gate, barrier and bollard controller (Modbus TCP server)."""
    simulator = GateControllerSimulator(port=port, device_id=device_id, gates=gates,
                                        barriers=barriers, bollards=bollards, lanes=lanes,
                                        host=host, control_port=control_port)
    banner = (f"gate controller: {gates} gates, {barriers} barriers, {bollards} bollards, "
              f"{lanes} lanes, unit {device_id}, Modbus TCP {host}:{{port}}, "
              f"control http://{host}:{{control_port}}/")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_until_cancelled(simulator, banner))
