"""A Modbus TCP server built on PyPI `pyModbusTCP` (its ModbusServer and DataBank),
serving register_layout.py. Usage: python pymodbustcp_server.py PORT; prints `ready` once
it listens, and serves until it is terminated."""

from __future__ import annotations

import signal
import sys

from pyModbusTCP.server import DataBank, ModbusServer
from register_layout import (
    DISCRETE_INPUTS,
    HOLDING_REGISTERS,
    INPUT_REGISTERS,
    TABLE_SIZE,
)


def main(port: int) -> None:
    bank = DataBank(coils_size=TABLE_SIZE, d_inputs_size=TABLE_SIZE,
                    h_regs_size=TABLE_SIZE, i_regs_size=TABLE_SIZE)
    bank.set_holding_registers(0, HOLDING_REGISTERS)
    bank.set_input_registers(0, INPUT_REGISTERS)
    bank.set_discrete_inputs(0, DISCRETE_INPUTS)
    server = ModbusServer(host="127.0.0.1", port=port, no_block=True, data_bank=bank)
    server.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main(int(sys.argv[1]))
