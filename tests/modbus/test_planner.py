"""The read planner: fewest requests within the protocol's limits and the config's gap."""

from __future__ import annotations

from adapters.modbus.planner import MAX_BITS, MAX_REGISTERS, plan_reads
from adapters.modbus.points import ReadableRange, RegisterPoint, ResolvedPoint, Table
from adapters.modbus.templates import FIRE_PANEL


def _points(*entries: RegisterPoint) -> list[ResolvedPoint]:
    return [p for e in entries for p in e.expand()]


def _spans(points: list[ResolvedPoint], **kwargs: object) -> list[tuple[str, int, int]]:
    return [(b.table.value, b.start, b.count) for b in plan_reads(points, **kwargs)]  # type: ignore[arg-type]


IR, HR, DI = Table.INPUT_REGISTER, Table.HOLDING_REGISTER, Table.DISCRETE_INPUT


def test_the_reference_panel_needs_four_reads_for_64_points() -> None:
    points = [p for e in FIRE_PANEL.points for p in e.expand({"zones": 49, "loops": 4})]
    assert len(points) == 64
    assert _spans(points) == [("discrete_input", 0, 7), ("input_register", 3, 6),
                              ("input_register", 100, 49), ("input_register", 300, 4)]


def test_gaps_up_to_the_limit_are_read_through() -> None:
    points = _points(RegisterPoint(point="a", table=HR, address=0),
                     RegisterPoint(point="b", table=HR, address=5, type="float32"),
                     RegisterPoint(point="c", table=HR, address=20))
    assert _spans(points, max_gap_registers=12) == [("holding_register", 0, 7),
                                                    ("holding_register", 20, 1)]
    assert _spans(points, max_gap_registers=13) == [("holding_register", 0, 21)]
    assert _spans(points, max_gap_registers=0) == [("holding_register", 0, 1),
                                                   ("holding_register", 5, 2),
                                                   ("holding_register", 20, 1)]


def test_blocks_respect_the_protocol_limits_and_never_split_a_value() -> None:
    registers = _points(RegisterPoint(point="r.{n}", table=IR, address=0, type="uint32",
                                      repeat=100))
    blocks = plan_reads(registers, max_gap_registers=0)
    assert [b.count for b in blocks] == [124, 76]  # 125 would split the 63rd value
    assert all(b.count <= MAX_REGISTERS for b in blocks)
    bits = _points(RegisterPoint(point="d.{n}", table=DI, address=0, type="bit",
                                 repeat=2000, stride=2))
    bit_blocks = plan_reads(bits, max_gap_bits=1)
    assert [b.count for b in bit_blocks] == [1999, 1999]
    assert all(b.count <= MAX_BITS for b in bit_blocks)
    assert sum(len(b.points) for b in bit_blocks) == 2000


def test_reads_never_cross_a_readable_range() -> None:
    points = _points(RegisterPoint(point="a", table=HR, address=8, type="uint32"),
                     RegisterPoint(point="b", table=HR, address=10))
    readable = [ReadableRange(table=HR, start=0, end=9), ReadableRange(table=HR, start=10,
                                                                       end=19)]
    assert _spans(points, readable=readable) == [("holding_register", 8, 2),
                                                 ("holding_register", 10, 1)]
    assert _spans(points) == [("holding_register", 8, 3)]


def test_bits_of_one_register_share_one_read() -> None:
    points = _points(RegisterPoint(point="x", table=HR, address=3, type="bit", bit=0),
                     RegisterPoint(point="y", table=HR, address=3, type="bit", bit=9))
    blocks = plan_reads(points)
    assert [(b.start, b.count, len(b.points)) for b in blocks] == [(3, 1, 2)]
