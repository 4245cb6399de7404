"""Turning raw registers and bits into point values, as each point's config says."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence

from adapters.modbus.points import RegisterPoint
from gateway.core.events import PointValue

RegisterDecoder = Callable[[Sequence[int]], PointValue]


def _to_bytes(registers: Sequence[int], byte_order: str) -> bytes:
    data = bytearray()
    for register in registers:
        high, low = (register >> 8) & 0xFF, register & 0xFF
        data += bytes((high, low)) if byte_order == "big" else bytes((low, high))
    return bytes(data)


def _ordered_words(registers: Sequence[int], word_order: str) -> Sequence[int]:
    return registers if word_order == "big" else list(reversed(registers))


_STRUCT = {"uint16": ">H", "int16": ">h", "uint32": ">I", "int32": ">i", "float32": ">f"}


def register_decoder(spec: RegisterPoint) -> RegisterDecoder:
    """A function from the point's registers (exactly its width) to its value; it raises
    `ValueError` for registers that hold no number (a float that is NaN or infinite)."""
    if spec.type == "string":
        return lambda regs: _to_bytes(regs, spec.byte_order).rstrip(b"\0").decode(
            "utf-8", errors="replace")
    if spec.type in ("bit", "bitfield"):
        shift, mask = spec.bit, (1 << spec.bits) - 1
        if spec.type == "bit":
            return lambda regs: bool((_swap(regs[0], spec.byte_order) >> shift) & 1)
        return _finish(spec, lambda regs: (_swap(regs[0], spec.byte_order) >> shift) & mask)
    if spec.type == "uint16":
        if spec.byte_order == "big":
            return _finish(spec, lambda regs: regs[0])
        return _finish(spec, lambda regs: _swap(regs[0], "little"))
    if spec.type == "int16":
        order = spec.byte_order
        return _finish(spec, lambda regs: _signed16(_swap(regs[0], order)))
    fmt = struct.Struct(_STRUCT[spec.type])

    def raw(regs: Sequence[int]) -> int | float:
        data = _to_bytes(_ordered_words(regs, spec.word_order), spec.byte_order)
        value: int | float = fmt.unpack(data)[0]
        return value

    return _finish(spec, raw)


def _signed16(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


def _swap(register: int, byte_order: str) -> int:
    if byte_order == "big":
        return register
    return ((register & 0xFF) << 8) | (register >> 8)


def _finish(spec: RegisterPoint,
            raw: Callable[[Sequence[int]], int | float]) -> RegisterDecoder:
    """Apply the enumeration, or scale and offset, to a raw number."""
    if spec.enum is not None:
        names = spec.enum

        def named(regs: Sequence[int]) -> PointValue:
            code = int(raw(regs))
            return names.get(code, f"unknown_{code}")

        return named
    if spec.scale == 1.0 and spec.offset == 0.0:
        if spec.type == "float32":
            return lambda regs: _tidy(float(raw(regs)))
        return raw
    scale, offset = spec.scale, spec.offset
    if spec.type == "float32":
        return lambda regs: _tidy(raw(regs) * scale + offset)
    return lambda regs: _finite(round(raw(regs) * scale + offset, 9))


def _tidy(value: float) -> float:
    """A float32's value to its own precision (27.3, not 27.299999237060547)."""
    return float(f"{_finite(value):.7g}")


def _finite(value: float) -> float:
    """`value`, unless it is NaN or infinite (a sensor's "no reading", or a scale that
    overflows): that is no value, as an MQTT payload's would not be."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number ({value})")
    return value


def changed(old: PointValue, new: PointValue, deadband: float) -> bool:
    """Whether `new` is news compared with `old`."""
    if old is None or type(old) is not type(new):
        return True
    if deadband and isinstance(old, int | float) and isinstance(new, int | float) \
            and not isinstance(new, bool):
        return abs(new - old) >= deadband
    return old != new
