"""The adapter against the simulators over real Modbus TCP: decoding, change-only events,
priority lane, full refresh."""

from __future__ import annotations

import struct
from typing import Any

from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY
from simulators.modbus import FirePanelSimulator, GateControllerSimulator
from tests.modbus.conftest import Recorder, fire_panel, gate_controller, pollers


async def test_fire_in_a_zone_publishes_only_what_changed(recorder: Recorder,
                                                          clock: VirtualClock) -> None:
    async with FirePanelSimulator(zones=8) as sim, \
            pollers([fire_panel("fp-a", sim.port)], recorder, clock) as (poller,):
        await poller.poll()
        first = await recorder.take_settled()
        values = {e.point: e.value for e in first}
        assert values[AVAILABILITY] == "online"
        assert values["zone.8.state"] == "normal" and values["fire"] is False
        assert values["battery_voltage"] == 27.3 and values["cabinet_temperature"] == 23.5
        assert values["loop.2.devices"] == 32
        assert len(first) == 1 + 7 + 4 + 8 + 2

        await poller.poll()
        assert await recorder.take_settled() == []

        sim.inject_fire(3)
        await poller.poll()
        events = await recorder.take_settled()
        assert {e.point: e.value for e in events} == {
            "fire": True, "zone.3.state": "fire", "zones_in_fire": 1, "event_count": 1}
        urgent = {e.point for e in events if e.urgent}
        assert urgent == {"fire", "zone.3.state"}
        assert events[0].urgent  # the priority lane goes first

        sim.clear(3)  # the smoke is gone but the alarm stays latched
        await poller.poll()
        assert {e.point for e in await recorder.take_settled()} == {"event_count"}

        sim.reset()
        await poller.poll()
        changes = {e.point: e.value for e in await recorder.take_settled()}
        assert changes["zone.3.state"] == "normal" and changes["fire"] is False


def _registers(fmt: str, value: float | bytes, byte_order: str = "big",
               word_order: str = "big") -> list[int]:
    """Encode with struct, then lay the bytes out as a device of that order would."""
    data = struct.pack(">" + fmt, value)
    words = [data[i:i + 2] for i in range(0, len(data), 2)]
    if word_order == "little":
        words.reverse()
    if byte_order == "little":
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


ORDERS = [("big", "big"), ("big", "little"), ("little", "big"), ("little", "little")]


def _typed_points() -> tuple[list[dict[str, Any]], dict[int, int], dict[str, Any]]:
    """Points of every data type and order, the registers a device would hold, and the
    values the adapter must read."""
    points: list[dict[str, Any]] = []
    registers: dict[int, int] = {}
    expected: dict[str, Any] = {}
    address = 0

    def add(name: str, kind: str, regs: list[int], value: Any, **extra: Any) -> None:
        nonlocal address
        points.append({"point": name, "table": "holding_register", "address": address,
                       "type": kind, **extra})
        for i, reg in enumerate(regs):
            registers[address + i] = reg
        expected[name] = value
        address += len(regs)

    for byte_order, word_order in ORDERS:
        tag = f"{byte_order[0]}{word_order[0]}"
        orders = {"byte_order": byte_order, "word_order": word_order}
        add(f"u32_{tag}", "uint32", _registers("I", 3_000_000_123, byte_order, word_order),
            3_000_000_123, **orders)
        add(f"i32_{tag}", "int32", _registers("i", -123_456_789, byte_order, word_order),
            -123_456_789, **orders)
        add(f"f32_{tag}", "float32", _registers("f", 3.14159, byte_order, word_order),
            3.14159, **orders)
    for byte_order in ("big", "little"):
        tag = byte_order[0]
        add(f"u16_{tag}", "uint16", _registers("H", 0xBEEF, byte_order), 0xBEEF,
            byte_order=byte_order)
        add(f"i16_{tag}", "int16", _registers("h", -1234, byte_order), -1234,
            byte_order=byte_order)
        add(f"plate_{tag}", "string",
            _registers("12s", "苏E12345".encode(), byte_order), "苏E12345",
            length=6, byte_order=byte_order)
    add("scaled", "int16", _registers("h", -1234), -118.4, scale=0.1, offset=5)
    add("float_scaled", "float32", _registers("f", 2.5), 6.0, scale=2, offset=1)
    status = (1 << 5) | (0b1010 << 8)
    add("door_open", "bit", [status], True, bit=5)
    points.append({"point": "door_closed", "table": "holding_register",
                   "address": address - 1, "type": "bit", "bit": 6})
    expected["door_closed"] = False
    points.append({"point": "mode", "table": "holding_register", "address": address - 1,
                   "type": "bitfield", "bit": 8, "bits": 4,
                   "enum": {10: "maintenance", 0: "auto"}})
    expected["mode"] = "maintenance"
    return points, registers, expected


async def test_every_data_type_and_order_decodes_right(recorder: Recorder,
                                                       clock: VirtualClock) -> None:
    points, registers, expected = _typed_points()
    async with FirePanelSimulator() as sim:
        for address, value in registers.items():
            sim.bank.holding_registers[address] = value
        device = fire_panel("fp-types", sim.port, points=points)
        async with pollers([device], recorder, clock) as (poller,):
            await poller.poll()
            await recorder.settle()
            values = recorder.points("fp-types")
    assert values.pop(AVAILABILITY) == "online"
    assert values == expected
    assert len(poller.blocks) == 1  # consecutive registers: one read


async def test_gate_forced_and_every_vehicle_with_its_plate(recorder: Recorder,
                                                            clock: VirtualClock) -> None:
    async with GateControllerSimulator(gates=2, lanes=1) as sim, \
            pollers([gate_controller("gc-main", sim.port)], recorder, clock) as (poller,):
        await poller.poll()
        first = {e.point: e.value for e in await recorder.take_settled()}
        assert first["gate.1.open"] is False and first["bollard.2.raised"] is True
        assert first["vehicle.1.plate"] == ""

        sim.force_gate(1)
        await poller.poll()
        events = await recorder.take_settled()
        assert {(e.point, e.value, e.urgent) for e in events} == {
            ("gate.1.open", True, False), ("gate.1.forced", True, True)}

        sim.close_gate(1)
        sim.open_gate(2)  # commanded: open, not forced
        await poller.poll()
        assert {e.point: e.value for e in await recorder.take_settled()} == {
            "gate.1.open": False, "gate.1.forced": False, "gate.2.open": True}

        for _ in range(2):  # the same car twice: the plate comes with each passage
            sim.vehicle_passes(1, "京A12345")
            await poller.poll()
            assert {e.point: e.value for e in await recorder.take_settled()} == {
                "vehicle.1.passages": sim.controller.passages[0],
                "vehicle.1.plate": "京A12345"}

        sim.lower_bollard(2)
        await poller.poll()
        await recorder.settle()
        assert recorder.points() == {"bollard.2.raised": False}


async def test_periodic_refresh_republishes_every_point(recorder: Recorder,
                                                        clock: VirtualClock) -> None:
    async with FirePanelSimulator(zones=4) as sim, \
            pollers([fire_panel("fp-a", sim.port, refresh_s=60, counts={"zones": 4})],
                    recorder, clock) as (poller,):
        await poller.poll()
        everything = {e.point for e in await recorder.take_settled()} - {AVAILABILITY}
        await clock.advance(30)
        await poller.poll()
        assert await recorder.take_settled() == []
        await clock.advance(30)
        await poller.poll()
        assert {e.point for e in await recorder.take_settled()} == everything
