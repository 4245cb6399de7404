"""Registers that hold no number (a float32 that is NaN or infinite, as a sensor without a
reading sends): a fault that names the point, once; every other value still read."""

from __future__ import annotations

import pytest

from adapters.modbus.codec import register_decoder
from adapters.modbus.points import RegisterPoint, Table
from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY
from simulators.modbus import FirePanelSimulator
from tests.modbus.conftest import Recorder, fire_panel, pollers

NAN = [0x7FC0, 0x0000]
INFINITY = [0x7F80, 0x0000]


@pytest.mark.parametrize("registers", [NAN, INFINITY, [0xFF80, 0x0000]])
def test_a_float32_that_is_not_finite_is_no_value(registers: list[int]) -> None:
    decode = register_decoder(RegisterPoint(point="v", table=Table.INPUT_REGISTER, address=0,
                                            type="float32"))
    with pytest.raises(ValueError, match="not a finite number"):
        decode(registers)


def test_a_scale_that_overflows_is_no_value() -> None:
    decode = register_decoder(RegisterPoint(point="v", table=Table.INPUT_REGISTER, address=0,
                                            type="uint32", scale=1e300))
    with pytest.raises(ValueError, match="not a finite number"):
        decode([0xFFFF, 0xFFFF])


async def test_a_nan_register_is_a_fault_and_the_rest_of_its_block_still_reads(
        recorder: Recorder) -> None:
    async with FirePanelSimulator() as sim, \
            pollers([fire_panel("fp-a", sim.port)], recorder, VirtualClock()) as (poller,):
        await poller.poll()
        first = {e.point: e.value for e in await recorder.take_settled()}
        assert (first[AVAILABILITY], first["battery_voltage"]) == ("online", 27.3)

        sim.bank.input_registers[6:8] = NAN
        sim.bank.input_registers[8] = 400  # cabinet temperature, in the same block
        for _ in range(3):
            await poller.poll()
        events = await recorder.take_settled()
        assert [(e.value, e.detail) for e in events if e.point == AVAILABILITY] == [
            ("fault", "battery_voltage is unusable: not a finite number (nan)")]
        assert "battery_voltage" not in {e.point for e in events}
        assert {e.point: e.value for e in events}["cabinet_temperature"] == 40.0

        sim.bank.input_registers[6:8] = [0x41DA, 0x6666]  # 27.3 again
        await poller.poll()
        events = await recorder.take_settled()
    assert [e.value for e in events if e.point == AVAILABILITY] == ["online"]
    assert poller.availability.value == "online"
