"""A pymodbus TCP server over a plain register bank, with injectable misbehaviour
(slow answers, exception responses) for fault tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simutils import SimUtils

TableName = Literal["coil", "discrete_input", "holding_register", "input_register"]

_TABLE_OF_FUNCTION: dict[int, TableName] = {
    1: "coil", 5: "coil", 15: "coil",
    2: "discrete_input",
    3: "holding_register", 6: "holding_register", 16: "holding_register",
    22: "holding_register", 23: "holding_register",
    4: "input_register",
}

WriteHandler = Callable[[TableName, int, Sequence[int] | Sequence[bool]], ExcCodes | None]
"""Called with (table, address, values) for a write request; returns None to accept it,
or the exception to answer with (`ILLEGAL_ADDRESS` for an address the device does not
define, `ILLEGAL_VALUE` for a value it does not take). A handler that accepts a write
stores what should read back."""


@dataclass
class RegisterBank:
    """The four tables of a simulated device; the device model writes here."""

    coils: list[bool] = field(default_factory=lambda: [False] * 16)
    discrete_inputs: list[bool] = field(default_factory=lambda: [False] * 16)
    holding_registers: list[int] = field(default_factory=lambda: [0] * 16)
    input_registers: list[int] = field(default_factory=lambda: [0] * 16)

    @classmethod
    def sized(cls, bits: int, registers: int) -> RegisterBank:
        """A bank with `bits` coils and discrete inputs (rounded up to 16) and
        `registers` holding and input registers."""
        bits = -(-bits // 16) * 16
        return cls([False] * bits, [False] * bits, [0] * registers, [0] * registers)

    def store(self, name: TableName, address: int,
              values: Sequence[int] | Sequence[bool]) -> bool:
        """Write `values` from `address` on (so they read back); False, writing nothing,
        if they do not fit the table."""
        end = address + len(values)
        if address < 0 or end > len(self.table(name)):
            return False
        if name == "coil":
            self.coils[address:end] = [bool(v) for v in values]
        elif name == "discrete_input":
            self.discrete_inputs[address:end] = [bool(v) for v in values]
        elif name == "holding_register":
            self.holding_registers[address:end] = [int(v) & 0xFFFF for v in values]
        else:
            self.input_registers[address:end] = [int(v) & 0xFFFF for v in values]
        return True

    def table(self, name: TableName) -> list[bool] | list[int]:
        if name == "coil":
            return self.coils
        if name == "discrete_input":
            return self.discrete_inputs
        if name == "holding_register":
            return self.holding_registers
        return self.input_registers


class SimulatedModbusServer:
    """Serves a `RegisterBank` as unit `unit_id` over Modbus TCP.

    `framing="rtu"` frames requests as Modbus RTU over the TCP stream (a serial line
    behind a transparent serial server). `response_delay_s` delays every answer (a slow
    device); `exception_code` makes every request answer with that Modbus exception
    (2: illegal address, 6: busy, ...).
    """

    def __init__(self, bank: RegisterBank, *, port: int = 0, host: str = "127.0.0.1",
                 unit_id: int = 1, on_write: WriteHandler | None = None,
                 framing: Literal["socket", "rtu"] = "socket") -> None:
        self.bank = bank
        self.framing = framing
        self.host = host
        self.requested_port = port
        self.unit_id = unit_id
        self.on_write = on_write
        self.response_delay_s = 0.0
        self.exception_code: int | None = None
        self._server: ModbusTcpServer | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    async def start(self) -> None:
        bank = self.bank
        device = SimDevice(
            id=self.unit_id,
            simdata=(
                [SimData(0, values=[False] * len(bank.coils), datatype=DataType.BITS)],
                [SimData(0, values=[False] * len(bank.discrete_inputs),
                         datatype=DataType.BITS)],
                [SimData(0, count=len(bank.holding_registers), values=0,
                         datatype=DataType.REGISTERS)],
                [SimData(0, count=len(bank.input_registers), values=0,
                         datatype=DataType.REGISTERS)],
            ),
            action=self._action,
        )
        framer = FramerType.RTU if self.framing == "rtu" else FramerType.SOCKET
        server = ModbusTcpServer(device, address=(self.host, self.requested_port), framer=framer)
        await server.serve_forever(background=True)
        self._server = server
        listener = server.transport
        sockets = getattr(listener, "sockets", None)
        self._port = sockets[0].getsockname()[1] if sockets else self.requested_port

    async def stop(self) -> None:
        """Stop listening and drop every client connection."""
        server, self._server = self._server, None
        if server is None:
            return
        await server.shutdown()  # type: ignore[no-untyped-call]
        await asyncio.sleep(0)

    async def _action(self, function_code: int, start_address: int, address: int,
                      count: int, registers: list[int],
                      values: list[int] | list[bool] | None) -> ExcCodes | None:
        """Answer from the bank (pymodbus calls this before it reads its own copy)."""
        if self.response_delay_s:
            await asyncio.sleep(self.response_delay_s)
        if self.exception_code is not None:
            return ExcCodes(self.exception_code)
        table = _TABLE_OF_FUNCTION[function_code]
        if values is not None:
            if self.on_write is None:
                return None if self.bank.store(table, address, values) else \
                    ExcCodes.ILLEGAL_ADDRESS
            return self.on_write(table, address, values)
        source = self.bank.table(table)
        if table in ("coil", "discrete_input"):
            packed = SimUtils.bitsToRegisters([bool(b) for b in source])
            registers[:len(packed)] = packed
        else:
            registers[:len(source)] = source
        return None
