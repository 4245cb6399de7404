"""The MQTT adapter against a real mosquitto: events, persistent sessions, reconnects."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.base import AdapterContext
from adapters.mqtt import build_adapters
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from tests.conftest import Broker
from tests.mqtt.rig import (
    SITE,
    fleet_rig,
    gate_sensor,
    panic_button,
    running_adapter,
    running_bus,
    running_fleet,
    settings_for,
)


async def test_press_becomes_an_urgent_event_with_site_device_and_clock_time(
        mosquitto: Broker) -> None:
    clock = VirtualClock(start=1_780_000_000.0)
    devices = [panic_button("pb-a-301"), gate_sensor("gs-main")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices, clock) as (r, fleet):
        await fleet.press("pb-a-301")
        pressed = await r.log.wait_point("pb-a-301", "pressed", True)
        await fleet.force_gate("gs-main")
        forced = await r.log.wait_point("gs-main", "forced", True)
        await fleet.heartbeat("pb-a-301")
        beat = await r.log.wait_for(lambda e: e.point == "heartbeat")
        tamper = r.log.of("pb-a-301", "tamper")[0]
        opened = r.log.of("gs-main", "open")[-1]
    assert (pressed.site, pressed.urgent, pressed.ts) == (SITE, True, 1_780_000_000.0)
    assert (tamper.value, tamper.urgent) == (False, False)
    assert (forced.urgent, opened.value, opened.urgent) == (True, True, False)
    assert beat.device_id == "pb-a-301" and isinstance(beat.value, int)
    assert r.adapter.counters()["malformed"] == 0


async def test_release_takes_the_priority_lane_too_so_it_never_overtakes_a_press(
        mosquitto: Broker) -> None:
    devices = [panic_button("pb-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        for _ in range(3):
            await fleet.press("pb-1")
            await fleet.release("pb-1")
        await r.log.wait_for(lambda e: len(r.log.of("pb-1", "pressed")) == 6)
    values = [e.value for e in r.log.of("pb-1", "pressed")]
    assert values == [True, False] * 3
    assert all(e.urgent for e in r.log.of("pb-1", "pressed"))


async def test_what_devices_publish_while_the_gateway_is_down_arrives_when_it_returns(
        mosquitto: Broker) -> None:
    devices = [panic_button("pb-1"), gate_sensor("gs-1")]
    settings = settings_for(mosquitto.port, client_id="campusgw-persistent")
    async with running_bus() as (bus, log):
        async with running_adapter(settings, devices, bus):
            pass  # first run: the broker learns the session and its subscriptions
        async with running_fleet(mosquitto.host, mosquitto.port, devices) as fleet:
            await fleet.press("pb-1")
            await fleet.open_gate("gs-1")
            await asyncio.sleep(0.2)
            assert log.of("pb-1") == []
            async with running_adapter(settings, devices, bus):
                pressed = await log.wait_point("pb-1", "pressed", True)
                await log.wait_point("gs-1", "open", True)
    assert pressed.urgent


async def test_a_press_during_a_broker_restart_arrives_and_the_adapter_reconnects_by_itself(
        mosquitto: Broker, caplog: pytest.LogCaptureFixture) -> None:
    devices = [panic_button("pb-1")]
    caplog.set_level(logging.INFO, logger="adapters.mqtt")
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        mosquitto.stop()
        press = asyncio.create_task(fleet.press("pb-1"))  # queued while the broker is away
        await asyncio.sleep(0.8)  # several reconnect attempts fail meanwhile
        assert not press.done()
        mosquitto.start()
        await asyncio.wait_for(press, 10)
        pressed = await r.log.wait_point("pb-1", "pressed", True, within_s=10)
        async with asyncio.timeout(5):
            await r.adapter.wait_connected()
        counters = r.adapter.counters()
    assert pressed.urgent
    assert counters["reconnects"] == 1 and counters["connected"] == 1
    assert counters["connect_failures"] >= 2
    adapter_lines = [rec.getMessage() for rec in caplog.records
                     if rec.getMessage().startswith(r.adapter.name)]
    lost = [line for line in adapter_lines if "lost the MQTT broker" in line]
    back = [line for line in adapter_lines if "is back after" in line]
    assert len(lost) == 1 and len(back) == 1, adapter_lines


async def test_a_press_queued_for_the_absent_gateway_survives_a_broker_restart(
        mosquitto: Broker) -> None:
    devices = [panic_button("pb-1")]
    settings = settings_for(mosquitto.port, client_id="campusgw-restart")
    async with running_bus() as (bus, log):
        async with running_adapter(settings, devices, bus):
            pass
        async with running_fleet(mosquitto.host, mosquitto.port, devices) as fleet:
            await fleet.press("pb-1")
        mosquitto.stop()  # the broker saves the gateway's session and its queued press
        mosquitto.start()
        async with running_adapter(settings, devices, bus):
            pressed = await log.wait_point("pb-1", "pressed", True)
    assert pressed.urgent


async def test_a_broker_that_is_down_at_start_is_logged_once_and_joined_when_it_comes(
        mosquitto: Broker, caplog: pytest.LogCaptureFixture) -> None:
    mosquitto.stop()
    devices = [panic_button("pb-1")]
    caplog.set_level(logging.INFO, logger="adapters.mqtt")
    async with running_bus() as (bus, _log), \
            running_adapter(settings_for(mosquitto.port), devices, bus,
                            wait_connected=False) as adapter:
        await asyncio.sleep(0.6)
        assert adapter.counters()["connected"] == 0
        mosquitto.start()
        async with asyncio.timeout(5):
            await adapter.wait_connected()
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]
    assert sum("cannot connect" in line for line in warnings) == 1, warnings
    assert sum("is back after" in line for line in warnings) == 1, warnings


async def test_stopping_the_adapter_leaves_nothing_behind_even_while_reconnecting(
        mosquitto: Broker) -> None:
    mosquitto.stop()
    async with running_bus() as (bus, _log), \
            running_adapter(settings_for(mosquitto.port), [panic_button("pb-1")], bus,
                            wait_connected=False):
        await asyncio.sleep(0.3)
    # the autouse fixtures fail this test if the network thread or a task survived


def test_build_adapters_makes_one_adapter_for_the_broker_and_none_without_devices() -> None:
    ctx = AdapterContext(site=SITE, clock=VirtualClock(), bus=EventBus())
    settings = settings_for(1883)
    assert build_adapters(settings, [], ctx) == []
    [adapter] = build_adapters(settings, [panic_button("pb-1"), gate_sensor("gs-1")], ctx)
    assert adapter.counters()["messages"] == 0
    assert adapter.name == "mqtt 127.0.0.1:1883"
