"""The simulators: the fire panel's state machine, Modbus writes, the HTTP control
interface, RTU framing, and the gate controller's commands."""

from __future__ import annotations

import asyncio
import json

from pymodbus.client import AsyncModbusTcpClient

from gateway.core.clock import VirtualClock
from simulators.modbus import FirePanel, FirePanelSimulator, GateControllerSimulator
from simulators.modbus.fire_panel import FIRE, NONE, PRE_ALARM, ZoneState
from tests.modbus.conftest import Recorder, fire_panel, pollers


def test_alarms_latch_and_reset_clears_only_what_is_gone() -> None:
    panel = FirePanel(zones=4)
    panel.detect(1, PRE_ALARM)
    assert panel.zone(1).state == ZoneState.PRE_ALARM and panel.pre_alarm
    panel.detect(1, FIRE)
    panel.detect(2, FIRE)
    assert panel.zone(1).state == ZoneState.FIRE and panel.fire
    assert panel.silence() and panel.silenced
    panel.detect(3, FIRE)  # a new alarm sounds again
    assert not panel.silenced
    panel.detect(1, NONE)  # smoke gone in zone 1, still there in 2 and 3
    assert panel.zone(1).state == ZoneState.FIRE  # latched
    panel.reset()
    assert [z.state for z in panel.zones] == [ZoneState.NORMAL, ZoneState.FIRE, ZoneState.FIRE,
                                              ZoneState.NORMAL]


def test_disable_isolates_a_zone_and_troubles_are_faults() -> None:
    panel = FirePanel(zones=3)
    panel.set_disabled(2, True)
    panel.detect(2, FIRE)
    assert panel.zone(2).state == ZoneState.DISABLED and not panel.fire
    panel.set_disabled(2, False)  # enabled with smoke still present: alarm
    assert panel.zone(2).state == ZoneState.FIRE
    panel.zone_fault(3)
    assert panel.zone(3).state == ZoneState.FAULT and panel.fault
    panel.zone_fault(3, on=False)
    assert panel.zone(3).state == ZoneState.FAULT  # latched until reset
    panel.zone_supervisory(1)
    assert panel.supervisory
    panel.zone_supervisory(1, on=False)
    panel.detect(2, NONE)
    panel.reset()
    assert not (panel.fault or panel.fire or panel.supervisory)
    panel.set_mains_lost(True)
    assert panel.fault and panel.battery_voltage < 27
    panel.set_mains_lost(False)
    panel.set_loop_devices(1, 30)  # two detectors stopped answering
    assert panel.fault


async def _http(port: int, method: str, target: str) -> tuple[int, dict[str, object]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_http_control_drives_the_panel_the_adapter_sees(recorder: Recorder) -> None:
    async with FirePanelSimulator(zones=4, control_port=0) as sim, \
            pollers([fire_panel("fp-a", sim.port, counts={"zones": 4})], recorder,
                    VirtualClock()) as (poller,):
        assert sim.control_port is not None
        await poller.poll()
        await recorder.take_settled()
        status, body = await _http(sim.control_port, "POST", "/fire?zone=2")
        assert status == 200 and body["state"]["zones"]["2"] == "fire"  # type: ignore[index]
        status, _ = await _http(sim.control_port, "POST", "/mains-power-loss?on=true")
        assert status == 200
        assert (await _http(sim.control_port, "POST", "/fire?zone=9"))[0] == 400
        assert (await _http(sim.control_port, "POST", "/flood"))[0] == 404
        await poller.poll()
        changes = {e.point: e.value for e in await recorder.take_settled()}
        assert changes["zone.2.state"] == "fire" and changes["power_fault"] is True
        assert changes["fault"] is True and changes["battery_voltage"] == 25.6
        status, state = await _http(sim.control_port, "GET", "/state")
        assert state["power_fault"] is True


async def test_modbus_coils_silence_and_reset_the_panel() -> None:
    async with FirePanelSimulator(zones=2) as sim:
        client = AsyncModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
        try:
            await client.connect()
            sim.inject_fire(1)
            sim.clear(1)
            assert not (await client.write_coil(0, True, device_id=1)).isError()
            assert sim.panel.silenced
            assert not (await client.write_coil(1, True, device_id=1)).isError()
            assert not sim.panel.fire
            flags = await client.read_discrete_inputs(0, count=8, device_id=1)
            assert flags.bits[:8] == [False] * 8
        finally:
            client.close()


async def test_a_write_to_an_undefined_coil_is_an_illegal_data_address() -> None:
    async with FirePanelSimulator(zones=2) as sim:
        client = AsyncModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
        try:
            await client.connect()
            refused = await client.write_coil(9, True, device_id=1)
            assert refused.isError() and refused.exception_code == 2
            refused = await client.write_coils(1, [True, True], device_id=1)
            assert refused.isError() and refused.exception_code == 2
            refused = await client.write_register(250, 7, device_id=1)
            assert refused.isError() and refused.exception_code == 2
        finally:
            client.close()


async def test_holding_registers_keep_what_is_written() -> None:
    async with FirePanelSimulator(zones=2) as sim:
        client = AsyncModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
        try:
            await client.connect()
            assert not (await client.write_register(3, 1234, device_id=1)).isError()
            assert not (await client.write_registers(197, [1, 2, 3], device_id=1)).isError()
            read = await client.read_holding_registers(0, count=5, device_id=1)
            assert read.registers == [0, 0, 0, 1234, 0]
            read = await client.read_holding_registers(196, count=4, device_id=1)
            assert read.registers == [0, 1, 2, 3]
        finally:
            client.close()


async def test_rtu_framing_over_a_serial_server(recorder: Recorder) -> None:
    sim = FirePanelSimulator(zones=2, device_id=7)
    sim.server.framing = "rtu"
    async with sim:
        sim.inject_fire(2)
        device = fire_panel("fp-rtu", 0, counts={"zones": 2}, unit_id=7,
                            connection={"kind": "rtu",
                                        "port": f"socket://127.0.0.1:{sim.port}",
                                        "baudrate": 19200})
        async with pollers([device], recorder, VirtualClock()) as (poller,):
            await poller.poll()
            values = {e.point: e.value for e in await recorder.take_settled()}
    assert values["availability"] == "online"
    assert values["zone.2.state"] == "fire" and values["fire"] is True


async def test_gate_controller_obeys_coil_commands() -> None:
    async with GateControllerSimulator(gates=2, bollards=2) as sim:
        client = AsyncModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
        try:
            await client.connect()
            await client.write_coil(1, True, device_id=1)  # open gate 2
            await client.write_coil(49, False, device_id=1)  # lower bollard 2
            state = await client.read_discrete_inputs(0, count=64, device_id=1)
            assert state.bits[1] and not state.bits[17]  # open, not forced
            assert state.bits[48] and not state.bits[49]
            refused = await client.write_coil(60, True, device_id=1)
            assert refused.isError() and refused.exception_code == 2
        finally:
            client.close()
