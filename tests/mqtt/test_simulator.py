"""The MQTT device simulator: its control API, line commands, heartbeats and CLI."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from adapters.mqtt import PointMapping
from gateway.core.clock import VirtualClock
from simulators.mqtt_devices import MqttDeviceFleet, UnknownDevice, UnsupportedAction
from simulators.mqtt_devices.control import run_line
from simulators.mqtt_devices.messages import messages_for
from tests.conftest import Broker
from tests.helpers import free_port, wait_for_port
from tests.mqtt.rig import (
    PREFIX,
    controlled_fleet,
    fleet_rig,
    gate_sensor,
    panic_button,
    rig,
    settings_for,
)

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "import typer; from gateway.demo.mqtt_devices import command; typer.run(command)"


async def test_http_control_presses_buttons_and_says_what_is_wrong(mosquitto: Broker) -> None:
    devices = [panic_button("pb-a-301"), gate_sensor("gs-main")]
    async with (controlled_fleet(mosquitto.host, mosquitto.port, devices) as (r, _, url),
                httpx.AsyncClient(base_url=url, timeout=5) as http):
        pressed = await http.post("/devices/pb-a-301/press")
        event = await r.log.wait_point("pb-a-301", "pressed", True)
        forced = await http.post("/devices/gs-main/force")
        await r.log.wait_point("gs-main", "forced", True)
        unknown = await http.post("/devices/pb-nowhere/press")
        wrong = await http.post("/devices/gs-main/press")
        no_such_action = await http.post("/devices/pb-a-301/dance")
        listing = await http.get("/devices")
        missing = await http.get("/devices/pb-nowhere")
    assert pressed.status_code == 200 and pressed.json()["state"]["pressed"] is True
    assert event.urgent
    assert forced.json()["state"] == {"open": True, "forced": True, "heartbeat": 0}
    assert unknown.status_code == 404 and "pb-nowhere" in unknown.json()["detail"]
    assert wrong.status_code == 409 and "pressed" in wrong.json()["detail"]
    assert no_such_action.status_code == 404
    assert [d["id"] for d in listing.json()] == ["pb-a-301", "gs-main"]
    assert missing.status_code == 404


async def test_line_commands_and_errors_for_unknown_devices(mosquitto: Broker) -> None:
    devices = [panic_button("pb-1"), gate_sensor("gs-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        assert await run_line(fleet, "press pb-1") == "ok: press pb-1"
        await r.log.wait_point("pb-1", "pressed", True)
        assert await run_line(fleet, "tamper pb-1") == "ok: tamper pb-1"
        await r.log.wait_point("pb-1", "tamper", True)
        assert await run_line(fleet, "open gs-1") == "ok: open gs-1"
        await r.log.wait_point("gs-1", "open", True)
        assert await run_line(fleet, "press pb-9") == "error: unknown device 'pb-9'"
        assert (await run_line(fleet, "open pb-1")).startswith("error: ")
        assert (await run_line(fleet, "jump pb-1")).startswith("unknown command")
        assert "press" in await run_line(fleet, "help")
        assert await run_line(fleet, "   ") == ""
        with pytest.raises(UnknownDevice):
            await fleet.press("pb-9")
        with pytest.raises(UnsupportedAction):
            await fleet.force_gate("pb-1")


async def test_heartbeats_follow_each_devices_interval_on_the_clock(mosquitto: Broker) -> None:
    clock = VirtualClock()
    devices = [panic_button("pb-1", heartbeat_s=30), gate_sensor("gs-1", heartbeat_s=60),
               panic_button("pb-quiet", heartbeat_s=None)]

    async def beats(device_id: str, count: int) -> None:
        await r.log.wait_for(lambda _e: len(r.log.of(device_id, "heartbeat")) >= count)

    async with fleet_rig(mosquitto.host, mosquitto.port, devices, clock,
                         heartbeats=True) as (r, _fleet):
        await beats("pb-1", 1)
        await beats("gs-1", 1)
        await clock.advance(60)
        await beats("pb-1", 3)
        await beats("gs-1", 2)
    pb_seqs = [e.value for e in r.log.of("pb-1", "heartbeat")]
    assert all(isinstance(seq, int) for seq in pb_seqs)
    assert pb_seqs == [1, 2, 3]
    assert [e.value for e in r.log.of("gs-1", "heartbeat")] == [1, 2]
    assert r.log.of("pb-quiet") == []


async def test_many_messages_at_once_all_arrive_in_order(mosquitto: Broker) -> None:
    devices = [gate_sensor("gs-1")]
    async with fleet_rig(mosquitto.host, mosquitto.port, devices) as (r, fleet):
        load = [message for n in range(1000)
                for message in fleet.messages_of("gs-1", {"open": n % 2 == 0})]
        await fleet.publish_many(load)
        await r.log.wait_for(lambda _e: len(r.log.of("gs-1", "open")) == 1000)
    assert [e.value for e in r.log.of("gs-1", "open")] == [n % 2 == 0 for n in range(1000)]
    assert fleet.state("gs-1")["open"] is False


async def test_starting_without_a_broker_fails_clearly_and_leaves_nothing_behind() -> None:
    fleet = MqttDeviceFleet([panic_button("pb-1")], "127.0.0.1", free_port(), PREFIX,
                            settings=settings_for(1))
    with pytest.raises(TimeoutError, match=r"no MQTT broker at 127\.0\.0\.1"):
        await fleet.start(timeout_s=0.5)


SITE_CONFIG = """\
site: {{id: sim-school, name: Simulated School}}
zones:
  - {{id: bldg-a-3f, name: Building A 3F}}
  - {{id: main-gate, name: Main gate}}
adapters:
  mqtt: {{host: 10.255.255.1, port: 1, topic_prefix: {prefix}}}
devices:
  - {{id: pb-1, type: panic_button, name: A301 alarm, zone: bldg-a-3f, heartbeat_s: 60}}
  - {{id: gs-1, type: gate_sensor, name: Main gate, zone: main-gate}}
api: {{token: test-token-0001}}
"""


async def test_the_command_serves_http_and_stdin_until_terminated(
        mosquitto: Broker, tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(SITE_CONFIG.format(prefix=PREFIX))
    control_port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COMMAND, str(config), "--host", "127.0.0.1",
        "--port", str(mosquitto.port), "--control-port", str(control_port),
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdin is not None
    devices = [panic_button("pb-1"), gate_sensor("gs-1")]
    try:
        async with rig(settings_for(mosquitto.port), devices) as r:
            await asyncio.to_thread(wait_for_port, control_port, "127.0.0.1", 20.0)
            await r.log.wait_point("pb-1", "heartbeat", 1, within_s=10)
            process.stdin.write(b"press pb-1\nopen nowhere\n")
            await process.stdin.drain()
            await r.log.wait_point("pb-1", "pressed", True)
            async with httpx.AsyncClient(timeout=5) as http:
                reply = await http.post(f"http://127.0.0.1:{control_port}/devices/gs-1/open")
            await r.log.wait_point("gs-1", "open", True)
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert reply.status_code == 200
    assert process.returncode == 0
    lines = output.decode().splitlines()
    assert "ok: press pb-1" in lines and "error: unknown device 'nowhere'" in lines


def test_the_command_reports_config_errors_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(SITE_CONFIG.format(prefix=PREFIX).replace("heartbeat_s: 60",
                                                                "heartbeat_s: -1"))
    done = subprocess.run([sys.executable, "-c", COMMAND, str(config)], cwd=ROOT,
                          capture_output=True, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert f"{config}:8: devices[0].heartbeat_s" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()


def test_simulated_messages_follow_a_custom_mapping_and_its_kinds() -> None:
    device = panic_button("pb-x", mapping=(
        PointMapping(point="pressed", topic="vendor/+/alarm/{id}/#", json_field="evt.active"),
        PointMapping(point="heartbeat", topic="vendor/{id}/status", json_field="hb.count",
                     kind="str"),
        PointMapping(point="battery_low", topic="vendor/{id}/status", json_field="low"),
        PointMapping(point="tamper", topic="vendor/{id}/case", kind="int"),
    ))
    state = {"pressed": True, "heartbeat": 7, "battery_low": False, "tamper": True}
    assert messages_for(device, PREFIX, ["pressed", "heartbeat", "tamper"], state) == [
        ("vendor/pb-x/alarm/pb-x/pressed", b'{"evt":{"active":true}}'),
        ("vendor/pb-x/status", b'{"hb":{"count":"7"},"low":false}'),
        ("vendor/pb-x/case", b"1"),
    ]
