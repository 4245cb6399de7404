"""Devices that stop, refuse, dawdle or answer wrong: availability, backoff, logging once,
and no effect on the other devices."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest

from adapters.modbus import ModbusSettings, build_endpoint_adapters
from adapters.modbus.config import PollingDefaults
from gateway.core.bus import EventBus
from gateway.core.clock import SystemClock, VirtualClock
from gateway.core.events import AVAILABILITY, Availability, Event, PointValue
from gateway.devices.registry import DeviceRegistry
from simulators.modbus import FirePanelSimulator
from tests.modbus.conftest import Recorder, fire_panel, pollers

POLLER_LOG = "adapters.modbus.poller"


def settings(**polling: float) -> ModbusSettings:
    return ModbusSettings(polling=PollingDefaults.model_validate(polling))


def _records(caplog: pytest.LogCaptureFixture, device_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == POLLER_LOG and r.getMessage().startswith(device_id)]


async def test_stopped_panel_goes_offline_backs_off_and_recovers_in_full(
        recorder: Recorder, clock: VirtualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=POLLER_LOG)
    modbus = settings(offline_after=3, retry_initial_s=2.0, retry_max_s=8.0)
    async with FirePanelSimulator() as sim_a, FirePanelSimulator() as sim_b, \
            pollers([fire_panel("fp-a", sim_a.port), fire_panel("fp-b", sim_b.port)],
                    recorder, clock, modbus) as (a, b):
        await asyncio.gather(a.poll(), b.poll())
        await recorder.take_settled()
        await sim_a.stop()

        for second in range(3):  # N failures in a row make it offline, not fewer
            sim_b.inject_fire(second + 1)
            await asyncio.gather(a.poll(), b.poll())
            events = await recorder.take_settled()
            a_states = [e.value for e in events if e.device_id == "fp-a"]
            assert a_states == ([] if second < 2 else ["offline"])
            assert {e.point for e in events if e.device_id == "fp-b"} >= {
                f"zone.{second + 1}.state"}  # the other panel is unaffected
            await clock.advance(1)
        assert a.retry_at is not None

        # Offline: retried with growing, capped delays; polls in between are skipped.
        delays = []
        for _ in range(5):
            retry_at, started = a.retry_at, clock.now()
            assert retry_at is not None
            attempts = a.polls
            while clock.now() < retry_at:
                await a.poll()
                await clock.advance(0.25)
            await a.poll()
            assert a.polls == attempts + 1
            delays.append(retry_at - started)
        assert a.skipped > 0
        assert all(d <= 8.0 for d in delays)
        assert delays[0] <= 2.0 < delays[2]

        async with FirePanelSimulator(port=sim_a.port) as restarted:
            restarted.inject_pre_alarm(5)
            while a.availability.value != "online":
                await clock.advance(0.5)
                await a.poll()
            events = await recorder.take_settled()
        a_events = {e.point: e.value for e in events if e.device_id == "fp-a"}
        assert a_events[AVAILABILITY] == "online"
        assert a_events["zone.5.state"] == "pre_alarm"
        assert len(a_events) == 1 + 7 + 4 + 8 + 2  # state re-read in full
    logs = _records(caplog, "fp-a")
    assert len(logs) == 2
    assert "offline" in logs[0] and "back online" in logs[1]


async def test_exception_responses_are_faults_once_per_episode(
        recorder: Recorder, clock: VirtualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=POLLER_LOG)
    async with FirePanelSimulator() as sim, \
            pollers([fire_panel("fp-a", sim.port)], recorder, clock, settings()) as (poller,):
        await poller.poll()
        await recorder.take_settled()
        sim.server.exception_code = 6
        for _ in range(3):
            await poller.poll()
        events = await recorder.take_settled()
        assert [(e.value, e.detail) for e in events] == [
            ("fault", "modbus exception 6 (server device busy)")]
        sim.server.exception_code = 4
        await poller.poll()
        assert [e.detail for e in await recorder.take_settled()] == [
            "modbus exception 4 (server device failure)"]
        sim.server.exception_code = None
        sim.inject_fire(2)
        await poller.poll()
        await poller.poll()
        events = await recorder.take_settled()
        assert [e.value for e in events if e.point == AVAILABILITY] == ["online"]
        assert {e.point for e in events} >= {"fire", "zone.2.state"}
    assert len(_records(caplog, "fp-a")) == 3  # busy, failure, cleared
    assert poller.availability.value == "online"


async def test_unserved_address_is_a_fault_and_the_rest_still_reads(
        recorder: Recorder, clock: VirtualClock) -> None:
    extra = [{"point": "aux", "table": "input_register", "address": 5000}]
    async with FirePanelSimulator() as sim, \
            pollers([fire_panel("fp-a", sim.port, points=extra, template="fire_panel")],
                    recorder, clock, settings()) as (poller,):
        await poller.poll()
        events = await recorder.take_settled()
    by_point = {e.point: e for e in events}
    assert by_point[AVAILABILITY].value == "fault"
    assert by_point[AVAILABILITY].detail == "modbus exception 2 (illegal data address)"
    assert by_point["zone.1.state"].value == "normal"
    assert "aux" not in by_point


async def test_an_urgent_value_never_overtakes_the_fault_it_came_with(
        recorder: Recorder, clock: VirtualClock) -> None:
    """Exception 2 on one block and a fire on another, in the first poll: the urgent
    value must not reach the registry before the fault, or the registry would announce
    the panel online over it."""
    extra = [{"point": "aux", "table": "input_register", "address": 5000}]
    async with FirePanelSimulator() as sim:
        device = fire_panel("fp-a", sim.port, points=extra, template="fire_panel")
        registry = DeviceRegistry("school-1", [device], clock, recorder.bus)
        recorder.bus.subscribe(registry.observe)
        sim.inject_fire(3)
        async with pollers([device], recorder, clock, settings()) as (poller,):
            await poller.poll()
            events = await recorder.take_settled()
    assert any(e.point == "fire" and e.value is True and e.urgent for e in events)
    assert [e.value for e in events if e.point == AVAILABILITY] == ["fault"]
    assert events[0].point == AVAILABILITY  # before every value, urgent or not
    state = registry.devices["fp-a"]
    assert state.availability is Availability.FAULT
    assert state.availability_detail == "modbus exception 2 (illegal data address)"


async def test_availability_keeps_its_place_among_a_devices_values() -> None:
    """On a busy bus: a value queued before `offline` is not delivered after it, and an
    urgent value queued after `fault` does not overtake it; other devices' bulk events
    still wait behind urgent ones."""
    bus = EventBus()
    seen: list[tuple[str, str, object]] = []
    bus.subscribe(lambda e: seen.append((e.device_id, e.point, e.value)))

    def event(device: str, point: str, value: PointValue, urgent: bool = False) -> Event:
        return Event("school-1", device, point, value, 0.0, urgent=urgent)

    bus.publish(event("fp-b", "temperature", 21))
    bus.publish(event("fp-a", "fault", False))
    bus.publish(event("fp-a", AVAILABILITY, "offline"))
    bus.publish(event("fp-c", AVAILABILITY, "fault"))
    bus.publish(event("fp-c", "fire", True, urgent=True))
    bus.publish(event("fp-d", "fire", True, urgent=True))
    task = asyncio.create_task(bus.run())
    try:
        await bus.drain()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert seen == [("fp-a", "fault", False), ("fp-a", AVAILABILITY, "offline"),
                    ("fp-c", AVAILABILITY, "fault"), ("fp-c", "fire", True),
                    ("fp-d", "fire", True), ("fp-b", "temperature", 21)]


async def test_slow_device_times_out_without_delaying_another(
        recorder: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=POLLER_LOG)
    modbus = settings(timeout_s=0.2, offline_after=2, retry_initial_s=0.05,
                      retry_max_s=0.1)
    async with FirePanelSimulator() as slow, FirePanelSimulator() as fast, \
            pollers([fire_panel("fp-slow", slow.port), fire_panel("fp-fast", fast.port)],
                    recorder, SystemClock(), modbus) as (s, f):
        slow.server.response_delay_s = 0.6
        for _ in range(2):
            began = time.monotonic()
            fast_done = asyncio.ensure_future(f.poll())
            slow_done = asyncio.ensure_future(s.poll())
            await fast_done
            assert time.monotonic() - began < 0.15
            await slow_done
            assert 0.18 < time.monotonic() - began < 0.5
        assert s.availability.value == "offline"
        assert f.availability.value == "online"
        assert s.connection.timeouts == 2
        slow.server.response_delay_s = 0.0
        await asyncio.sleep(0.7)  # the last late answer has gone nowhere
        await asyncio.sleep(0.15)
        await s.poll()
        assert s.availability.value == "online"
    await recorder.settle()
    assert recorder.availability("fp-slow") == ["offline", "online"]
    assert "no answer within 0.2 s" in _records(caplog, "fp-slow")[0]


async def _short_answer_server(reader: asyncio.StreamReader,
                               writer: asyncio.StreamWriter) -> None:
    """Answers every read with one register fewer than asked (a bad implementation)."""
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        while True:
            header = await reader.readexactly(7)
            body = await reader.readexactly(int.from_bytes(header[4:6], "big") - 1)
            function, count = body[0], int.from_bytes(body[3:5], "big")
            data = b"".join(i.to_bytes(2, "big") for i in range(count - 1))
            pdu = bytes((function, len(data))) + data
            writer.write(header[:4] + (len(pdu) + 1).to_bytes(2, "big") + header[6:7] + pdu)
            await writer.drain()
    writer.close()


async def test_response_of_the_wrong_length_is_a_fault(recorder: Recorder,
                                                       clock: VirtualClock) -> None:
    server = await asyncio.start_server(_short_answer_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    points = [{"point": "level.{n}", "table": "input_register", "address": 0, "repeat": 3}]
    try:
        async with pollers([fire_panel("fp-odd", port, points=points)], recorder, clock,
                           settings(timeout_s=0.5)) as (poller,):
            await poller.poll()
            events = await recorder.take_settled()
    finally:
        server.close()
        await server.wait_closed()
    assert [(e.point, e.value, e.detail) for e in events] == [
        (AVAILABILITY, "fault", "expected 3 registers, got 2")]


async def test_scheduled_polls_stay_on_time_while_a_panel_is_down(recorder: Recorder) -> None:
    modbus = settings(interval_s=0.1, jitter_s=0.0, offline_after=2, retry_initial_s=0.2,
                      retry_max_s=0.4, timeout_s=0.3)
    async with FirePanelSimulator() as sim_down, FirePanelSimulator() as sim_up:
        adapters = build_endpoint_adapters(
            modbus, [fire_panel("fp-down", sim_down.port), fire_panel("fp-up", sim_up.port)],
            recorder.context(SystemClock()))
        tasks = [asyncio.create_task(a.run()) for a in adapters]
        try:
            await asyncio.sleep(0.4)
            await sim_down.stop()
            polls_before = adapters[1].pollers[0].polls
            await asyncio.sleep(1.0)
            polls_during = adapters[1].pollers[0].polls - polls_before
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    down, up = adapters[0].pollers[0], adapters[1].pollers[0]
    assert down.availability.value == "offline"
    assert down.skipped > 0
    assert up.availability.value == "online"
    assert 8 <= polls_during <= 11
    assert up.max_lateness_s < 0.1


async def test_gateway_saying_the_target_is_silent_means_offline(
        recorder: Recorder, clock: VirtualClock) -> None:
    async with FirePanelSimulator() as sim, \
            pollers([fire_panel("fp-rtu-behind-gw", sim.port)], recorder, clock,
                    settings(offline_after=2)) as (poller,):
        await poller.poll()
        await recorder.take_settled()
        sim.server.exception_code = 11
        await poller.poll()
        assert await recorder.take_settled() == []  # one miss is not offline yet
        await poller.poll()
        events = await recorder.take_settled()
    assert [(e.value, e.detail) for e in events] == [
        ("offline", "modbus exception 11 (gateway target device failed to respond)")]


async def test_panel_stopped_while_a_request_is_in_flight(recorder: Recorder,
                                                          clock: VirtualClock) -> None:
    async with FirePanelSimulator() as sim, \
            pollers([fire_panel("fp-a", sim.port)], recorder, clock,
                    settings(timeout_s=2.0, offline_after=1)) as (poller,):
        sim.server.response_delay_s = 0.5
        began = time.monotonic()
        in_flight = asyncio.ensure_future(poller.poll())
        await asyncio.sleep(0.1)
        await sim.stop()
        await in_flight  # the poll fails cleanly, well before its timeout
        assert time.monotonic() - began < 1.0
        events = await recorder.take_settled()
    assert poller.failures == 1
    assert [e.value for e in events] == ["offline"]
