"""A Modbus TCP server built on PyPI `uModbus` (umodbus.server.tcp), serving
register_layout.py through its routes; an address no route covers is answered with
exception 2 by uModbus itself. Usage: python umodbus_server.py PORT; prints `ready` once it
listens, and serves until it is terminated."""

from __future__ import annotations

import sys
from socketserver import TCPServer

from register_layout import (
    DISCRETE_INPUTS,
    HOLDING_REGISTERS,
    INPUT_REGISTERS,
    TABLE_SIZE,
    UNIT_ID,
)
from umodbus.server.tcp import RequestHandler, get_server

TABLES: dict[int, list[int] | list[bool]] = {
    2: DISCRETE_INPUTS, 3: HOLDING_REGISTERS, 4: INPUT_REGISTERS}


class _Server(TCPServer):
    allow_reuse_address = True


def main(port: int) -> None:
    server = get_server(_Server, ("127.0.0.1", port), RequestHandler)

    @server.route(slave_ids=[UNIT_ID], function_codes=list(TABLES),
                  addresses=list(range(TABLE_SIZE)))
    def read(slave_id: int, function_code: int, address: int) -> int:
        return int(TABLES[function_code][address])

    print("ready", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
