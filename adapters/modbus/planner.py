"""The read planner: a device's points merged into the fewest block reads.

Computed once when the adapter starts. A block never exceeds the protocol's limits
(125 registers, 2,000 bits), never spans more than the configured gap of unused
addresses, never crosses the end of a readable range, and never splits a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.modbus.points import ReadableRange, ResolvedPoint, Table

MAX_REGISTERS = 125
MAX_BITS = 2000


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read request: `count` values of `table` from `start`, and the points in it."""

    table: Table
    start: int
    count: int
    points: tuple[ResolvedPoint, ...]


def plan_reads(points: Sequence[ResolvedPoint], readable: Sequence[ReadableRange] = (),
               max_gap_registers: int = 16, max_gap_bits: int = 64) -> list[ReadBlock]:
    """Blocks covering every point, in table and address order."""
    blocks: list[ReadBlock] = []
    for table in Table:
        mine = sorted((p for p in points if p.table == table), key=lambda p: (p.address, p.end))
        if not mine:
            continue
        limit = MAX_BITS if table.is_bits else MAX_REGISTERS
        max_gap = max_gap_bits if table.is_bits else max_gap_registers
        ranges = [r for r in readable if r.table == table]
        group = [mine[0]]
        start, end = mine[0].address, mine[0].end
        for point in mine[1:]:
            joins = (point.address - end - 1 <= max_gap
                     and max(end, point.end) - start + 1 <= limit
                     and _range_of(point, ranges) == _range_of(group[0], ranges))
            if joins:
                group.append(point)
                end = max(end, point.end)
                continue
            blocks.append(ReadBlock(table, start, end - start + 1, tuple(group)))
            group, start, end = [point], point.address, point.end
        blocks.append(ReadBlock(table, start, end - start + 1, tuple(group)))
    return blocks


def _range_of(point: ResolvedPoint, ranges: Sequence[ReadableRange]) -> int:
    for i, r in enumerate(ranges):
        if r.holds(point):
            return i
    return -1
