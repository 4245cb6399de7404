"""Register points as config: where a value lives in a Modbus device and how to decode it.

A `RegisterPoint` may stand for a row of identical points (`repeat`): `zone.{n}.state`
at input registers 100, 101, ... Overlaps between the points of one map are found while
the map validates, so the loader reports them at the offending point's line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from gateway.core.config import StrictModel
from gateway.core.events import PointValue

MAX_ADDRESS = 65535


class Table(StrEnum):
    """The four Modbus data tables."""

    COIL = "coil"
    DISCRETE_INPUT = "discrete_input"
    HOLDING_REGISTER = "holding_register"
    INPUT_REGISTER = "input_register"

    @property
    def is_bits(self) -> bool:
        return self in (Table.COIL, Table.DISCRETE_INPUT)


DataType = Literal["bit", "bitfield", "uint16", "int16", "uint32", "int32", "float32", "string"]
Order = Literal["big", "little"]

REGISTER_WIDTH: dict[str, int] = {
    "bit": 1, "bitfield": 1, "uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2,
}


class RegisterPoint(StrictModel):
    """One point (or a row of `repeat` points) of a device's register map."""

    point: str = Field(
        description="Point name; with `repeat`, `{n}` is replaced by the point's number, "
                    "e.g. `zone.{n}.state`.",
        pattern=r"^[A-Za-z0-9_.{}-]+$")
    table: Table = Field(description="Modbus table: coil, discrete_input, holding_register "
                                     "or input_register.")
    address: int = Field(ge=0, le=MAX_ADDRESS,
                         description="Zero-based address of the (first) value.")
    type: DataType = Field(default="uint16",
                           description="Data type: bit, bitfield, uint16, int16, uint32, int32, "
                                       "float32 or string. Coils and discrete inputs are bits.")
    bit: int = Field(default=0, ge=0, le=15,
                     description="For bit and bitfield in a register: lowest bit (0 = LSB).")
    bits: int = Field(default=1, ge=1, le=16, description="For bitfield: number of bits.")
    length: int = Field(default=0, ge=0, le=125,
                        description="For string: number of registers (2 bytes each, "
                                    "UTF-8, NUL-padded).")
    byte_order: Order = Field(default="big",
                              description="Byte order inside each register (big: high byte "
                                          "first).")
    word_order: Order = Field(default="big",
                              description="Register order of 32-bit values (big: high word "
                                          "first).")
    scale: float = Field(default=1.0, description="Multiply the raw number by this.")
    offset: float = Field(default=0.0, description="Then add this.")
    enum: dict[int, str] | None = Field(
        default=None, description="Raw code to name, e.g. {2: fire}; unknown codes read "
                                  "`unknown_<code>`.")
    deadband: float = Field(default=0.0, ge=0,
                            description="Numeric changes smaller than this are not events.")
    urgent_values: tuple[bool | int | float | str, ...] = Field(
        default=(), description="Values that take the bus's priority lane (fire, pre_alarm).")
    publish_with: str | None = Field(
        default=None, description="Also publish this point whenever the named point changes "
                                  "(a plate with every passage count); `{n}` allowed.")
    repeat: int = Field(default=1, ge=1, le=2000,
                        description="Number of identical points this entry stands for.")
    repeat_key: str | None = Field(
        default=None, description="Name under which a device's `counts` overrides `repeat`, "
                                  "e.g. `zones`.")
    stride: int = Field(default=0, ge=0,
                        description="Address step between repeated points; 0: the value's "
                                    "width.")
    first: int = Field(default=1, ge=0, description="Number `{n}` of the first point.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.table.is_bits and self.type != "bit":
            raise ValueError(f"{self.table.value} values are single bits: type must be bit, "
                             f"not {self.type}")
        if self.type == "bitfield" and self.bit + self.bits > 16:
            raise ValueError(f"bitfield of {self.bits} bits from bit {self.bit} does not fit "
                             "in a 16-bit register")
        if self.type == "string" and self.length == 0:
            raise ValueError("a string needs `length` (registers)")
        if self.enum is not None and self.type in ("float32", "string"):
            raise ValueError(f"enum applies to integer types, not {self.type}")
        if self.repeat > 1 and "{n}" not in self.point:
            raise ValueError("a repeated point needs `{n}` in its name")
        if self.address + (self.repeat - 1) * self.step + self.width - 1 > MAX_ADDRESS:
            raise ValueError(f"the last value ends past address {MAX_ADDRESS}")
        _check_against_siblings(self)
        return self

    @property
    def width(self) -> int:
        """Addresses one value occupies (registers, or bits in bit tables)."""
        if self.table.is_bits:
            return 1
        if self.type == "string":
            return self.length
        return REGISTER_WIDTH[self.type]

    @property
    def step(self) -> int:
        return self.stride or self.width

    def expand(self, counts: dict[str, int] | None = None) -> list[ResolvedPoint]:
        """The concrete points this entry stands for."""
        repeat = self.repeat
        if counts and self.repeat_key and self.repeat_key in counts:
            repeat = counts[self.repeat_key]
        resolved = []
        for i in range(repeat):
            number = str(self.first + i)
            resolved.append(ResolvedPoint(
                name=self.point.replace("{n}", number),
                table=self.table,
                address=self.address + i * self.step,
                width=self.width,
                spec=self,
                publish_with=(self.publish_with.replace("{n}", number)
                              if self.publish_with else None),
            ))
        return resolved


@dataclass(frozen=True, slots=True)
class ResolvedPoint:
    """One concrete point: name, place, and the entry that says how to decode it."""

    name: str
    table: Table
    address: int
    width: int
    spec: RegisterPoint
    publish_with: str | None = None

    @property
    def end(self) -> int:
        """Last address used (inclusive)."""
        return self.address + self.width - 1

    def bit_mask(self) -> int:
        """Bits of the register used (registers only): whole-register types use all 16."""
        if self.spec.type == "bit":
            return 1 << self.spec.bit
        if self.spec.type == "bitfield":
            return ((1 << self.spec.bits) - 1) << self.spec.bit
        return 0xFFFF


def overlap(a: ResolvedPoint, b: ResolvedPoint) -> bool:
    """Whether two points claim the same bits."""
    if a.table != b.table or a.end < b.address or b.end < a.address:
        return False
    if a.table.is_bits or a.width > 1 or b.width > 1:
        return True
    return bool(a.bit_mask() & b.bit_mask())


class ReadableRange(StrictModel):
    """Addresses a device answers in one request; reads never cross its ends."""

    table: Table = Field(description="Modbus table of the range.")
    start: int = Field(ge=0, le=MAX_ADDRESS, description="First readable address.")
    end: int = Field(ge=0, le=MAX_ADDRESS, description="Last readable address (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def holds(self, point: ResolvedPoint) -> bool:
        return self.table == point.table and self.start <= point.address <= self.end


@dataclass
class _MapContext:
    seen: list[ResolvedPoint]
    readable: list[ReadableRange]


# While a register map validates, its points register here one by one, so that a point
# overlapping an earlier one, or running off a readable range, fails at its own location.
_map_context: ContextVar[_MapContext | None] = ContextVar("_map_context", default=None)


@contextmanager
def map_check(readable: list[ReadableRange] | None = None) -> Iterator[None]:
    """Check the points validated inside this block against each other and `readable`."""
    token = _map_context.set(_MapContext([], list(readable or [])))
    try:
        yield
    finally:
        _map_context.reset(token)


def readable_problem(point: ResolvedPoint, readable: list[ReadableRange]) -> str | None:
    """Why `point` cannot be read whole from the device's readable ranges, if so."""
    ranges = [r for r in readable if r.table == point.table]
    if not ranges:
        return None
    for r in ranges:
        if r.holds(point):
            if point.end > r.end:
                return (f"{point.name} is a {point.spec.type} at {point.address}-{point.end} "
                        f"and runs past the end of readable block {r.start}-{r.end}")
            return None
    return (f"{point.name} ({point.table.value} {point.address}) is outside every readable "
            "block")


def _check_against_siblings(point: RegisterPoint) -> None:
    context = _map_context.get()
    if context is None:
        return
    seen = context.seen
    mine = point.expand()
    for new in mine:
        if problem := readable_problem(new, context.readable):
            raise ValueError(problem)
    for new in mine:
        for old in seen:
            if overlap(new, old):
                raise ValueError(
                    f"{new.name} ({new.table.value} {new.address}"
                    f"{'' if new.width == 1 else f'-{new.end}'}) overlaps {old.name} "
                    f"({old.table.value} {old.address}{'' if old.width == 1 else f'-{old.end}'})")
    seen.extend(mine)


def check_overlaps(points: list[ResolvedPoint]) -> list[str]:
    """Every pair of overlapping points, as messages (for maps built from several parts)."""
    problems = []
    ordered = sorted(points, key=lambda p: (p.table.value, p.address))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.table != a.table or b.address > a.end:
                break
            if overlap(a, b):
                problems.append(f"{b.name} ({b.table.value} {b.address}) overlaps {a.name} "
                                f"({a.table.value} {a.address})")
    return problems


def validate_map_wrap(data: Any, handler: Any) -> Any:
    """Body of a wrap validator for models with `points` and `readable` fields."""
    readable: list[ReadableRange] = []
    if isinstance(data, dict):
        for item in data.get("readable") or ():
            with suppress(ValueError):  # reported by the model's own validation
                readable.append(ReadableRange.model_validate(item))
    with map_check(readable):
        return handler(data)


def value_matches(value: PointValue, candidates: tuple[bool | int | float | str, ...]) -> bool:
    """Whether `value` is one of `candidates` (bools never equal ints here)."""
    return any(type(value) is type(c) and value == c for c in candidates)
