"""What every simulated Modbus device shares: its registers served over Modbus TCP and an
optional HTTP control interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from pymodbus.constants import ExcCodes

from simulators.modbus.control import Command, ControlServer
from simulators.modbus.server import RegisterBank, SimulatedModbusServer, TableName


class SimulatedModbusDevice(ABC):
    """Subclasses build their model, then call `_serve()`; `_refresh()` writes the model
    into the registers, `_write()` takes a master's writes, `_commands()` are the control
    interface's commands (`control_port`: None: no interface, 0: any free port)."""

    bank: RegisterBank
    server: SimulatedModbusServer
    control: ControlServer | None

    def _serve(self, bank: RegisterBank, state: Callable[[], Any], *, port: int, host: str,
               device_id: int, control_port: int | None) -> None:
        self.bank = bank
        self.server = SimulatedModbusServer(bank, port=port, host=host, unit_id=device_id,
                                            on_write=self._write)
        self.control = (ControlServer(self._commands(), state, host=host, port=control_port)
                        if control_port is not None else None)
        self._refresh()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def control_port(self) -> int | None:
        return self.control.port if self.control else None

    async def start(self) -> None:
        await self.server.start()
        if self.control:
            await self.control.start()

    async def stop(self) -> None:
        if self.control:
            await self.control.stop()
        await self.server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @abstractmethod
    def _refresh(self) -> None: ...

    @abstractmethod
    def _write(self, table: TableName, address: int,
               values: Sequence[int] | Sequence[bool]) -> ExcCodes | None: ...

    @abstractmethod
    def _commands(self) -> Mapping[str, Command]: ...
