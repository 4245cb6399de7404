"""Modbus answers into point values (adapters/modbus): the register codec for every point
type a config can declare, and the handling of whatever PDU a device answers.

Documented errors: a decoder raises `ValueError` for registers that hold no usable value
(a float that is not finite); reading raises only `ModbusError`s."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import ValidationError
from pymodbus.pdu import DecodePDU

from adapters.modbus.codec import register_decoder
from adapters.modbus.connection import ModbusError, _values
from adapters.modbus.points import DataType, RegisterPoint, Table

TYPES: tuple[str, ...] = get_args(DataType)
TABLES = tuple(Table)
SCALES = (1.0, 0.1, 0.001, 10.0, -1.0, 1e300, 1e-300)
_DECODER = DecodePDU(is_server=False)  # a client's, as pymodbus builds it


def point_spec(fields: dict[str, Any]) -> RegisterPoint | None:
    """The register point of `fields`, or None when no config could declare it."""
    try:
        return RegisterPoint.model_validate({"point": "p", "address": 0, **fields})
    except ValidationError:
        return None


def decode(spec: RegisterPoint, registers: Sequence[int]) -> None:
    """Decode `registers` (16-bit words, as many as the point is wide) and check the value."""
    width = spec.width
    words = list(registers[:width]) + [0] * (width - len(registers))
    try:
        value = register_decoder(spec)(words)
    except ValueError:
        return
    if spec.table.is_bits or spec.type == "bit":
        assert type(value) is bool, value
    elif spec.type == "string":
        assert type(value) is str and len(value) <= 2 * width, value
    elif spec.enum is not None:
        assert type(value) is str, value
    else:
        assert type(value) in (int, float), value
        assert not isinstance(value, float) or math.isfinite(value), value


def answer(pdu: bytes, table: Table, count: int) -> None:
    """A client's view of one answer PDU to a read of `count` values of `table`."""
    response = _DECODER.decode(pdu)
    if response is None:  # pymodbus drops it: the read times out
        return
    try:
        values = _values(response, table, count)
    except ModbusError:
        return
    assert len(values) == count, (values, count)
    kind = bool if table.is_bits else int
    assert all(type(v) is kind for v in values), values
    assert kind is bool or all(0 <= v <= 0xFFFF for v in values), values


def _spec_of(data: bytes) -> RegisterPoint | None:
    b = data.ljust(8, b"\0")
    fields: dict[str, Any] = {
        "table": TABLES[b[0] % 4].value, "type": TYPES[b[1] % len(TYPES)],
        "byte_order": "big" if b[2] & 1 else "little",
        "word_order": "big" if b[2] & 2 else "little",
        "bit": b[3] % 16, "bits": 1 + b[4] % 16, "length": b[5] % 8,
        "scale": SCALES[b[6] % len(SCALES)], "offset": float(b[7] - 128)}
    if b[2] & 4:
        fields["enum"] = {0: "normal", 1: "alarm", 0xFFFF: "max"}
    return point_spec(fields)


def target() -> Callable[[bytes], None]:
    def one(data: bytes) -> None:
        if not data:
            return
        if data[0] & 1:
            spec = _spec_of(data[1:9])
            if spec is not None:
                words = [int.from_bytes(data[i:i + 2], "big") for i in range(9, len(data), 2)]
                decode(spec, words)
        elif len(data) >= 3:
            answer(data[3:], TABLES[data[1] % 4], 1 + data[2] % 125)
    return one


SEEDS = (b"\x01\x03\x06\x03\x00\x00\x00\x00\x80" + b"\x40\x49\x0f\xd0",
         b"\x01\x02\x06\x03\x00\x00\x00\x00\x80" + b"\x7f\xc0\x00\x00",
         b"\x00\x02\x02" + bytes([3, 4, 0, 1, 0, 2]), b"\x00\x00\x08" + bytes([1, 1, 0xA5]),
         b"\x00\x02\x01" + bytes([0x83, 2]))
