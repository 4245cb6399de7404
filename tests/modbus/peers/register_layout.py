"""The registers every independent Modbus server in this folder serves (the same as
libmodbus_server.c), unit id 1; each table holds addresses 0-15 only, so a read beyond
them must be answered with exception 2 (illegal data address).

Holding registers 0-1: 3.14159 as float32, high word first; 2-3: the same, low word
first; 8-9: 3000000123 as uint32, high word first; 10: -1234 as int16. Input registers
0-3: 100, 200, 300, 400. Discrete inputs 0-7: 1 0 1 1 0 0 0 1.
"""

from __future__ import annotations

import struct

TABLE_SIZE = 16
UNIT_ID = 1


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


_PI = _words(struct.pack(">f", 3.14159))
HOLDING_REGISTERS = [0] * TABLE_SIZE
HOLDING_REGISTERS[0:2] = _PI
HOLDING_REGISTERS[2:4] = list(reversed(_PI))
HOLDING_REGISTERS[8:10] = _words(struct.pack(">I", 3_000_000_123))
HOLDING_REGISTERS[10] = 0x10000 - 1234
INPUT_REGISTERS = [100, 200, 300, 400] + [0] * (TABLE_SIZE - 4)
DISCRETE_INPUTS = [bool(b) for b in (1, 0, 1, 1, 0, 0, 0, 1)] + [False] * (TABLE_SIZE - 8)
