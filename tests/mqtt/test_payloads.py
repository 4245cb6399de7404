"""Bad messages are counted and throttled in the log; they never stop other devices."""

from __future__ import annotations

import json
import logging

import pytest

from adapters.mqtt import PointMapping
from gateway.core.clock import VirtualClock
from tests.conftest import Broker
from tests.mqtt.rig import PREFIX, fleet_rig, gate_sensor, panic_button

STATE = f"{PREFIX}/panic_button/pb-1/state"


async def test_malformed_payloads_are_counted_per_device_and_others_still_get_through(
        mosquitto: Broker) -> None:
    devices = [panic_button("pb-1"), panic_button("pb-2"), gate_sensor("gs-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        await fleet.publish_raw(STATE, b"not json at all")
        await fleet.publish_raw(STATE, b'{"pressed": "yes"}')
        await fleet.publish_raw(STATE, b"[true, false]")
        await fleet.publish_raw(STATE, b"{}")
        megabyte = json.dumps({"pressed": True, "pad": "x" * 1_000_000}).encode()
        await fleet.publish_raw(STATE, megabyte)
        await fleet.publish_raw(f"{PREFIX}/panic_button/pb-1/heartbeat", b'{"seq": 1.5}')
        await fleet.publish_raw(f"{PREFIX}/panic_button/ghost/state", b'{"pressed": true}')
        await fleet.publish_raw(f"{PREFIX}/somewhere/else", b"hello")
        await fleet.press("pb-2")
        await r.log.wait_point("pb-2", "pressed", True)
        await fleet.force_gate("gs-1")
        await r.log.wait_point("gs-1", "forced", True)
        await fleet.press("pb-1")
        await r.log.wait_point("pb-1", "pressed", True)
        counters = r.adapter.counters()
        by_device = r.adapter.malformed_by_device()
    assert by_device == {"pb-1": 6}
    assert (counters["malformed"], counters["unknown_topic"]) == (6, 2)
    assert counters["messages"] == 11 and counters["connected"] == 1
    assert [e.value for e in r.log.of("pb-1", "pressed")] == [True]


async def test_a_bad_field_does_not_hide_the_alarm_in_the_same_message(
        mosquitto: Broker) -> None:
    devices = [panic_button("pb-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        await fleet.publish_raw(STATE, b'{"pressed": true, "tamper": "open", '
                                       b'"battery_low": 0}')
        pressed = await r.log.wait_point("pb-1", "pressed", True)
        battery = await r.log.wait_point("pb-1", "battery_low", False)
        assert r.adapter.malformed_by_device() == {"pb-1": 1}
    assert pressed.urgent and not battery.urgent
    assert r.log.of("pb-1", "tamper") == []


async def test_malformed_messages_are_logged_at_most_once_a_minute_per_device(
        mosquitto: Broker, caplog: pytest.LogCaptureFixture) -> None:
    clock = VirtualClock()
    devices = [panic_button("pb-1"), panic_button("pb-2")]
    caplog.set_level(logging.WARNING, logger="adapters.mqtt.ingest")

    def reports(device_id: str) -> list[str]:
        return [rec.getMessage() for rec in caplog.records
                if rec.getMessage().startswith(f"device {device_id} ")]

    async def settle() -> None:
        """Messages of one publisher arrive in order: once this press is in, so is the rest."""
        count = len(r.log.of("pb-2", "pressed"))
        await fleet.press("pb-2")
        await r.log.wait_for(lambda _e: len(r.log.of("pb-2", "pressed")) > count)

    async with fleet_rig(mosquitto.host, mosquitto.port, devices, clock) as (r, fleet):
        for _ in range(3):
            await fleet.publish_raw(STATE, b"garbage")
        await fleet.publish_raw(f"{PREFIX}/panic_button/pb-2/state", b"garbage")
        await settle()
        assert len(reports("pb-1")) == 1 and len(reports("pb-2")) == 1
        await clock.advance(59)
        await fleet.publish_raw(STATE, b"garbage")
        await settle()
        assert len(reports("pb-1")) == 1
        await clock.advance(1)
        await fleet.publish_raw(STATE, b"garbage")
        await settle()
    assert len(reports("pb-1")) == 2
    assert "not JSON" in reports("pb-1")[0]
    assert "(3 more since the last report)" in reports("pb-1")[1]
    assert r.adapter.malformed_by_device() == {"pb-1": 5, "pb-2": 1}


async def test_custom_mappings_with_wildcards_and_plain_payloads(mosquitto: Broker) -> None:
    vendor_button = panic_button("pb-x", mapping=(
        PointMapping(point="pressed", topic="vendor/+/alarm/{id}/#", json_field="evt.active",
                     urgent=True),
        PointMapping(point="heartbeat", topic="vendor/{id}/alive", kind="str"),
        PointMapping(point="battery_v", topic="vendor/{id}/battery", kind="float"),
    ))
    legacy_gate = gate_sensor("gs-x", mapping=(
        PointMapping(point="open", topic="{prefix}/legacy/{id}/open"),
        PointMapping(point="forced", topic="{prefix}/legacy/{id}/alarm", kind="int",
                     urgent=True),
    ))
    devices = [vendor_button, legacy_gate, panic_button("pb-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        assert r.adapter.subscriptions == [f"{PREFIX}/#", "vendor/+/alarm/pb-x/#",
                                           "vendor/pb-x/alive", "vendor/pb-x/battery"]
        await fleet.publish_raw("vendor/bldg-a/alarm/pb-x/button/1",
                                b'{"evt": {"active": true, "code": 7}}')
        pressed = await r.log.wait_point("pb-x", "pressed", True)
        await fleet.publish_raw("vendor/pb-x/alive", b"ok")
        await r.log.wait_point("pb-x", "heartbeat", "ok")
        await fleet.publish_raw("vendor/pb-x/battery", b"3.61")
        await r.log.wait_point("pb-x", "battery_v", 3.61)
        await fleet.publish_raw(f"{PREFIX}/legacy/gs-x/open", b"ON")
        await r.log.wait_point("gs-x", "open", True)
        await fleet.publish_raw(f"{PREFIX}/legacy/gs-x/alarm", b"2")
        forced = await r.log.wait_point("gs-x", "forced", 2)
        await fleet.publish_raw(f"{PREFIX}/legacy/gs-x/open", b"ajar")
        await fleet.release("pb-x")  # the simulator speaks the custom mapping too
        await r.log.wait_point("pb-x", "pressed", False)
        counters = r.adapter.counters()
    assert pressed.urgent and forced.urgent
    assert (counters["malformed"], counters["unknown_topic"]) == (1, 0)
