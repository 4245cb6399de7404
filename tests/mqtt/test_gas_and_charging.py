"""Gas detectors and e-bike charging area monitors: what the simulator publishes, the
events the adapter makes of it on a real broker, bad payloads, and the control verbs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter

from adapters.mqtt import ChargingMonitorConfig, GasDetectorConfig
from adapters.registry import DeviceConfig
from gateway.core.configfile import load_yaml
from simulators.mqtt_devices import InvalidValue, UnsupportedAction
from simulators.mqtt_devices.control import run_line
from simulators.mqtt_devices.messages import initial_state, messages_for
from tests.conftest import Broker
from tests.mqtt.rig import (
    PREFIX,
    charging_monitor,
    controlled_fleet,
    fleet_rig,
    gas_detector,
    panic_button,
)

ROOT = Path(__file__).resolve().parents[2]
GAS_STATE = f"{PREFIX}/gas_detector/gas-canteen/state"
CHARGING_STATE = f"{PREFIX}/charging_monitor/ebike-charging-1/state"


def test_the_simulator_speaks_the_documented_topics_and_payloads() -> None:
    gas = gas_detector("gas-canteen")
    charging = charging_monitor("ebike-charging-1")
    leak = {**initial_state(gas), "gas_alarm": True, "lel_percent": 25.0, "heartbeat": 3}
    assert messages_for(gas, PREFIX, ["gas_alarm", "lel_percent", "heartbeat"], leak) == [
        (GAS_STATE, b'{"alarm":true,"lel":25.0,"fault":false}'),
        (f"{PREFIX}/gas_detector/gas-canteen/heartbeat", b'{"seq":3}'),
    ]
    at_rest = initial_state(charging)
    assert messages_for(charging, PREFIX, ["smoke"], at_rest) == [
        (CHARGING_STATE, b'{"smoke":false,"temperature":20.0,"circuit_on":false}'),
    ]
    assert [m.point for m in gas.points if m.urgent] == ["gas_alarm"]
    assert [m.point for m in charging.points if m.urgent] == ["smoke"]


async def test_a_gas_leak_is_an_urgent_alarm_with_its_concentration(mosquitto: Broker) -> None:
    devices = [gas_detector("gas-canteen"), panic_button("pb-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        await fleet.gas_leak("gas-canteen", lel_percent=27.5)
        alarm = await r.log.wait_point("gas-canteen", "gas_alarm", True)
        lel = await r.log.wait_point("gas-canteen", "lel_percent", 27.5)
        await fleet.fault("gas-canteen")
        fault = await r.log.wait_point("gas-canteen", "fault", True)
        await fleet.gas_clear("gas-canteen")
        cleared = await r.log.wait_point("gas-canteen", "gas_alarm", False)
        await r.log.wait_point("gas-canteen", "lel_percent", 0.0)
        await fleet.heartbeat("gas-canteen")
        beat = await r.log.wait_point("gas-canteen", "heartbeat", 1)
        # What a detector's firmware sends, by hand: an integer concentration is a float.
        await fleet.publish_raw(GAS_STATE, b'{"alarm": true, "lel": 40, "fault": false}')
        by_hand = await r.log.wait_point("gas-canteen", "lel_percent", 40.0)
        with pytest.raises(InvalidValue):
            await fleet.gas_leak("gas-canteen", lel_percent=140.0)
        with pytest.raises(UnsupportedAction):
            await fleet.smoke("gas-canteen")
        counters = r.adapter.counters()
    assert alarm.urgent and cleared.urgent
    assert [e.value for e in r.log.of("gas-canteen", "gas_alarm")] == [True, True, False, True]
    assert all(e.urgent for e in r.log.of("gas-canteen", "gas_alarm"))
    assert isinstance(lel.value, float) and not lel.urgent
    assert isinstance(by_hand.value, float)
    assert not fault.urgent and isinstance(beat.value, int) and not beat.urgent
    assert counters["malformed"] == 0 and r.log.of("pb-1") == []


async def test_the_charging_area_reports_smoke_urgently_with_temperature_and_circuit(
        mosquitto: Broker) -> None:
    devices = [charging_monitor("ebike-charging-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        await fleet.switch_circuit("ebike-charging-1", True)
        circuit = await r.log.wait_point("ebike-charging-1", "circuit_on", True)
        await fleet.set_temperature("ebike-charging-1", 68.5)
        hot = await r.log.wait_point("ebike-charging-1", "temperature_c", 68.5)
        await fleet.smoke("ebike-charging-1")
        smoke = await r.log.wait_point("ebike-charging-1", "smoke", True)
        await fleet.smoke("ebike-charging-1", False)
        await r.log.wait_point("ebike-charging-1", "smoke", False)
        await fleet.switch_circuit("ebike-charging-1", False)
        await r.log.wait_point("ebike-charging-1", "circuit_on", False)
        counters = r.adapter.counters()
    temperatures = [e.value for e in r.log.of("ebike-charging-1", "temperature_c")]
    assert temperatures == [20.0, 68.5, 68.5, 68.5, 68.5]
    assert smoke.urgent and all(e.urgent for e in r.log.of("ebike-charging-1", "smoke"))
    assert not circuit.urgent and not hot.urgent and isinstance(hot.value, float)
    assert fleet.state("ebike-charging-1") == {"smoke": False, "temperature_c": 68.5,
                                               "circuit_on": False, "heartbeat": 0}
    assert counters["malformed"] == 0


async def test_bad_payloads_are_counted_for_their_device_and_others_still_get_through(
        mosquitto: Broker) -> None:
    devices = [gas_detector("gas-canteen"), charging_monitor("ebike-charging-1"),
               panic_button("pb-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        await fleet.publish_raw(CHARGING_STATE,
                                b'{"smoke": true, "temperature": "hot", "circuit_on": true}')
        await fleet.publish_raw(CHARGING_STATE, b'{"temperature": NaN}')
        await fleet.publish_raw(CHARGING_STATE, b"smoke!")
        await fleet.publish_raw(f"{PREFIX}/charging_monitor/ebike-charging-1/heartbeat",
                                b'{"seq": "one"}')
        await fleet.publish_raw(GAS_STATE, b'{"alarm": true, "lel": 1e999, "fault": false}')
        await fleet.press("pb-1")
        await r.log.wait_point("pb-1", "pressed", True)
        await fleet.gas_leak("gas-canteen", lel_percent=30.0)
        await r.log.wait_point("gas-canteen", "lel_percent", 30.0)
        await fleet.set_temperature("ebike-charging-1", 41.0)
        await r.log.wait_point("ebike-charging-1", "temperature_c", 41.0)
        counters = r.adapter.counters()
        by_device = r.adapter.malformed_by_device()
    assert by_device == {"ebike-charging-1": 4, "gas-canteen": 1}
    assert counters["malformed"] == 5 and counters["unknown_topic"] == 0
    # A bad field does not hide the alarm in the same message.
    assert [e.value for e in r.log.of("ebike-charging-1", "smoke")] == [True, False]
    assert [e.value for e in r.log.of("gas-canteen", "gas_alarm")] == [True, True]
    assert [e.value for e in r.log.of("gas-canteen", "lel_percent")] == [30.0]
    assert [e.value for e in r.log.of("ebike-charging-1", "temperature_c")] == [41.0]
    assert r.log.of("ebike-charging-1", "heartbeat") == []


async def test_control_verbs_take_values_over_http_and_on_lines(mosquitto: Broker) -> None:
    devices = [gas_detector("gas-canteen"), charging_monitor("ebike-charging-1")]
    async with controlled_fleet(mosquitto.host, mosquitto.port, devices) as (r, fleet, url):
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            leak = await http.post("/devices/gas-canteen/gas-leak", params={"value": 30})
            await r.log.wait_point("gas-canteen", "lel_percent", 30.0)
            default_leak = await http.post("/devices/gas-canteen/gas-leak")
            clear = await http.post("/devices/gas-canteen/gas-clear")
            await r.log.wait_point("gas-canteen", "gas_alarm", False)
            hot = await http.post("/devices/ebike-charging-1/temperature",
                                  params={"value": 66.5})
            await r.log.wait_point("ebike-charging-1", "temperature_c", 66.5)
            circuit = await http.post("/devices/ebike-charging-1/circuit-on")
            smoke = await http.post("/devices/ebike-charging-1/smoke")
            await r.log.wait_point("ebike-charging-1", "smoke", True)
            no_value = await http.post("/devices/ebike-charging-1/temperature")
            not_finite = await http.post("/devices/ebike-charging-1/temperature",
                                         params={"value": "nan"})
            too_much_gas = await http.post("/devices/gas-canteen/gas-leak",
                                           params={"value": 140})
            value_for_plain = await http.post("/devices/gas-canteen/gas-clear",
                                              params={"value": 1})
            wrong_device = await http.post("/devices/gas-canteen/smoke")
        assert await run_line(fleet, "temperature ebike-charging-1 71") == \
            "ok: temperature ebike-charging-1 71"
        await r.log.wait_point("ebike-charging-1", "temperature_c", 71.0)
        assert await run_line(fleet, "gas-leak gas-canteen") == "ok: gas-leak gas-canteen"
        assert await run_line(fleet, "smoke-clear ebike-charging-1") == \
            "ok: smoke-clear ebike-charging-1"
        await r.log.wait_point("ebike-charging-1", "smoke", False)
        hot_word = await run_line(fleet, "temperature ebike-charging-1 hot")
        missing = await run_line(fleet, "temperature ebike-charging-1")
        extra = await run_line(fleet, "smoke ebike-charging-1 5")
        too_many = await run_line(fleet, "gas-leak gas-canteen 30 40")
        help_text = await run_line(fleet, "help")
    assert leak.status_code == 200 and leak.json()["state"]["gas_alarm"] is True
    assert leak.json()["state"]["lel_percent"] == 30.0
    assert default_leak.json()["state"]["lel_percent"] == 25.0
    assert clear.json()["state"]["lel_percent"] == 0.0
    assert hot.json()["state"]["temperature_c"] == 66.5
    assert circuit.json()["state"]["circuit_on"] is True and smoke.status_code == 200
    assert (no_value.status_code, not_finite.status_code) == (422, 422)
    assert "needs a value" in no_value.json()["detail"]
    assert too_much_gas.status_code == 422 and "% LEL" in too_much_gas.json()["detail"]
    assert value_for_plain.status_code == 422
    assert wrong_device.status_code == 409 and "smoke" in wrong_device.json()["detail"]
    assert hot_word == "error: not a number: 'hot'"
    assert missing == "error: temperature needs a value (°C)"
    assert extra == "usage: smoke <device-id> (try 'help')"
    assert too_many.startswith("usage: gas-leak <device-id> [% LEL, default 25]")
    assert "gas-leak <device-id>" in help_text and "circuit-off" in help_text


def test_the_school_has_a_canteen_gas_detector_and_an_ebike_charging_monitor() -> None:
    data, _ = load_yaml(ROOT / "config" / "school.yaml")
    devices = {device.id: device for device in
               TypeAdapter(tuple[DeviceConfig, ...]).validate_python(data["devices"])}
    gas, charging = devices["gas-canteen"], devices["ebike-charging-1"]
    assert isinstance(gas, GasDetectorConfig) and isinstance(charging, ChargingMonitorConfig)
    assert (gas.zone, gas.heartbeat_s) == ("canteen", 60)
    assert (charging.zone, charging.heartbeat_s) == ("dorm-ebike", 60)
    assert [m.point for m in gas.points] == ["gas_alarm", "lel_percent", "fault", "heartbeat"]
    assert [m.point for m in charging.points] == ["smoke", "temperature_c", "circuit_on",
                                                   "heartbeat"]
