"""Whatever registers a device holds and whatever it answers, the Modbus adapter decodes
a value of the point's type, refuses what holds no value, and raises only its own errors,
also through a real TCP connection to a server that answers garbage."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.modbus.config import TcpConnection
from adapters.modbus.connection import EndpointConnection, ModbusError
from adapters.modbus.points import Table
from tests.fuzz import BOUNDED, binary, text
from tests.fuzz.modbus_frames import TYPES, answer, decode, point_spec, target

WORDS = st.lists(st.integers(0, 0xFFFF), max_size=10)
SPECS = st.fixed_dictionaries({
    "table": st.sampled_from([t.value for t in Table]), "type": st.sampled_from(TYPES),
    "byte_order": st.sampled_from(["big", "little"]),
    "word_order": st.sampled_from(["big", "little"]),
    "bit": st.integers(0, 15), "bits": st.integers(1, 16), "length": st.integers(0, 6),
    "scale": st.floats(allow_nan=False, allow_infinity=False),
    "offset": st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
}, optional={"enum": st.dictionaries(st.integers(0, 0xFFFF), text(8),
                                     max_size=4)})


@BOUNDED
@given(SPECS, WORDS)
def test_any_registers_decode_to_a_value_of_the_points_type(fields: dict[str, object],
                                                            words: list[int]) -> None:
    spec = point_spec(fields)
    if spec is not None:
        decode(spec, words)


@BOUNDED
@given(binary(300), st.sampled_from(list(Table)), st.integers(1, 125))
def test_any_answer_pdu_is_values_or_a_modbus_error(pdu: bytes, table: Table,
                                                    count: int) -> None:
    answer(pdu, table, count)


@BOUNDED
@given(st.sampled_from(list(Table)), st.integers(1, 125), st.integers(0, 255),
       binary(260))
def test_a_well_framed_answer_of_any_content(table: Table, count: int, code: int,
                                             rest: bytes) -> None:
    answer(bytes([code]) + rest, table, count)
    answer(bytes([code, len(rest) % 256]) + rest, table, count)


@BOUNDED
@given(binary(200))
def test_the_fuzz_target_holds(data: bytes) -> None:
    target()(data)


@asynccontextmanager
async def answering(reply: list[bytes]) -> AsyncIterator[int]:
    """A TCP server that answers every request with its MBAP header (transaction id,
    unit) and `reply[0]` as the PDU, or with `reply[0]` alone when it is not a PDU."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(7)
                tid, _, length, unit = struct.unpack(">HHHB", header)
                await reader.readexactly(length - 1)
                pdu = reply[0]
                framed = struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu
                writer.write(framed if reply[1:] != [b"raw"] else pdu)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("framing", ["mbap", "raw"])
async def test_a_server_answering_garbage_gives_values_or_a_modbus_error(framing: str) -> None:
    reply: list[bytes] = [b"", framing.encode()]
    seen: list[bytes] = []

    @settings(BOUNDED, max_examples=60)
    @given(st.binary(min_size=1, max_size=40), st.sampled_from(list(Table)),
           st.integers(1, 20))
    def one(garbage: bytes, table: Table, count: int) -> None:
        seen.append(garbage)
        reply[0] = garbage
        loop.run_until_complete(read_once(table, count))

    async def read_once(table: Table, count: int) -> None:
        connection = EndpointConnection(TcpConnection(host="127.0.0.1", port=port),
                                        connect_timeout_s=1.0)
        try:
            values = await connection.read(table, 0, count, 1, 0.05)
            assert len(values) == count
        except ModbusError:
            pass
        finally:
            connection.close()

    loop = asyncio.new_event_loop()
    try:
        async with answering(reply) as port:
            await asyncio.to_thread(one)
    finally:
        loop.close()
    assert len(seen) >= 30
