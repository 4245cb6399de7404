"""A press in a classroom reaches the police simulator signed, stored and exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.app.config import load_config
from gateway.app.runner import Serving, serving
from gateway.core.accounts import Role
from simulators.mqtt_devices.fleet import MqttDeviceFleet
from simulators.police.receiver import Mode
from simulators.police.server import PoliceSimulator
from tests.conftest import Broker
from tests.e2e.support import POLICE_SECRET, gateway_yaml
from tests.helpers import eventually, wait_for_port

TOKEN = {"Authorization": "Bearer e2e-token-0001"}


@pytest.fixture
async def police() -> AsyncIterator[PoliceSimulator]:
    async with PoliceSimulator(POLICE_SECRET) as simulator:
        yield simulator


@pytest.fixture
def config_path(tmp_path: Path, mosquitto: Broker, police: PoliceSimulator) -> Path:
    """The gateway's config, on the test's broker and police simulator."""
    return gateway_yaml(tmp_path, mosquitto.port, police.url)


@pytest.fixture
async def fleet(config_path: Path, mosquitto: Broker) -> AsyncIterator[MqttDeviceFleet]:
    """The config's MQTT devices, simulated."""
    config = load_config(config_path)
    fleet = MqttDeviceFleet.from_site(config.adapters.mqtt, config.devices, mosquitto.host,
                                      mosquitto.port, client_id="e2e-devices", heartbeats=False)
    await fleet.start()
    yield fleet
    await fleet.stop()


@pytest.fixture
async def running(config_path: Path, fleet: MqttDeviceFleet) -> AsyncIterator[Serving]:
    async with serving(load_config(config_path)) as running:
        await eventually(lambda: all(a.counters().get("connected", 1)
                                     for a in running.gateway.adapters), what="MQTT connect")
        yield running


async def test_press_reaches_police_once_signed_and_stored_with_receipt(
        running: Serving, fleet: MqttDeviceFleet, police: PoliceSimulator) -> None:
    await fleet.press("pb-a-301")
    await eventually(lambda: len(police.received) == 1, what="the alert at the police")
    [record] = police.received
    document = record.document
    assert document["site"]["id"] == "xh-middle-school"
    assert document["zone"] == {"id": "bldg-a-3f", "name": "Teaching building A 3F",
                                "building": "A", "floor": "3F"}
    assert document["device"]["id"] == "pb-a-301"
    assert document["location"] == "Building A, room 301"
    assert document["severity"] == "critical" and document["category"] == "panic"
    assert record.idempotency_key == f"{document['alert_id']}:1"
    assert police.rejected == {}  # the signature and timestamp were verified
    async with httpx.AsyncClient(base_url=running.url, headers=TOKEN) as client:
        await eventually(lambda: bool(running.gateway.workers[0].delivered))
        alert = (await client.get(f"/alerts/{document['alert_id']}")).json()
        assert alert["receipts"] == {"police": record.receipt_id}
        assert alert["state"] == "open"


async def test_twelve_buttons_pressed_at_once_all_reach_the_police(
        running: Serving, fleet: MqttDeviceFleet, police: PoliceSimulator) -> None:
    """DB15/T 3968 asks for at least 10 concurrent alarms."""
    buttons = [f"pb-b-{room}" for room in range(101, 113)]
    await asyncio.gather(*(fleet.press(button) for button in buttons))
    await eventually(lambda: len(police.received) == 12, what="twelve alerts at the police")
    assert sorted(r.document["device"]["id"] for r in police.received) == buttons
    assert police.duplicates == 0 and police.rejected == {}


async def test_police_down_then_back_every_alert_once_in_creation_order(
        tmp_path: Path, running: Serving, fleet: MqttDeviceFleet,
        police: PoliceSimulator) -> None:
    await police.set_mode(Mode(mode="refuse"))
    for button in ("pb-guard-main", "pb-a-301", "pb-a-302"):
        await fleet.press(button)
        await eventually(lambda: running.gateway.workers[0].failures > 0)
    await eventually(lambda: stored_alerts(tmp_path / "gateway.db") == 3,
                     what="three stored alerts")
    await police.set_mode(Mode(mode="ok"))
    await eventually(lambda: len(police.received) == 3, what="three alerts at the police")
    assert [r.document["device"]["id"] for r in police.received] == [
        "pb-guard-main", "pb-a-301", "pb-a-302"]
    assert police.duplicates == 0


async def test_an_operator_logs_in_and_acts_as_themselves(
        running: Serving, fleet: MqttDeviceFleet, police: PoliceSimulator) -> None:
    await running.gateway.accounts.add_user("li.wei", "guard-room-2026", Role.OPERATOR,
                                            "test")
    await fleet.press("pb-guard-main")
    await eventually(lambda: len(police.received) == 1)
    alert_id = police.received[0].alert_id
    async with httpx.AsyncClient(base_url=running.url) as client:
        refused = await client.post(f"/alerts/{alert_id}/ack", json={})
        assert refused.status_code == 401
        login = await client.post("/auth/login", json={"name": "li.wei",
                                                       "password": "guard-room-2026"})
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        no_csrf = await client.post(f"/alerts/{alert_id}/ack", json={})
        assert no_csrf.status_code == 403
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        acked = await client.post(f"/alerts/{alert_id}/ack", headers=headers,
                                  json={"actor": "someone else", "note": "guard dispatched"})
        assert acked.json()["state"] == "acknowledged"
        wrong = await client.post(f"/alerts/{alert_id}/ack", headers=headers, json={})
        assert wrong.status_code == 409
        detail = (await client.get(f"/alerts/{alert_id}")).json()
        assert [(h["action"], h["actor"]) for h in detail["history"]] == [
            ("raised", "system"), ("ack", "li.wei")]
        assert detail["history"][1]["note"] == "guard dispatched"
        assert (await client.post("/auth/logout", headers=headers)).status_code == 204
        assert (await client.get(f"/alerts/{alert_id}")).status_code == 401
    # The police platform hears about the acknowledgement as revision 2.
    await eventually(lambda: len(police.received) == 2)
    assert police.received[1].idempotency_key == f"{alert_id}:2"
    assert police.received[1].document["state"] == "acknowledged"


async def test_live_stream_carries_the_new_alert(
        running: Serving, fleet: MqttDeviceFleet) -> None:
    async with httpx.AsyncClient(base_url=running.url, timeout=10,
                                 headers=TOKEN) as client, \
            client.stream("GET", "/stream") as stream:
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith(": connected")
        await fleet.press("pb-a-302")
        seen = []
        async for line in lines:
            seen.append(line)
            if line.startswith("data:"):
                assert seen[-3].startswith("id: ") and seen[-2] == "event: alert"
                assert '"device_id": "pb-a-302"' in line
                assert '"change": "raised"' in line
                break
        else:
            pytest.fail("the stream ended without an alert")


def run_gateway(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gateway.cli.main", "run", "--config",
                             str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


async def started(config: Path) -> None:
    """Wait until the gateway process of `config` serves its API."""
    await asyncio.to_thread(wait_for_port, load_config(config).api.port, timeout=30)


def stored_alerts(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM alerts").fetchone()
        return int(count)


async def test_gateway_killed_after_storing_before_forwarding_delivers_once_on_restart(
        tmp_path: Path, config_path: Path, police: PoliceSimulator,
        fleet: MqttDeviceFleet) -> None:
    await police.set_mode(Mode(mode="refuse"))
    gateway = run_gateway(config_path)
    try:
        await started(config_path)
        await fleet.press("pb-a-301")
        await eventually(lambda: stored_alerts(tmp_path / "gateway.db") == 1,
                         what="the alert stored")
        gateway.send_signal(signal.SIGKILL)
        await asyncio.to_thread(gateway.wait, 10)
        await police.set_mode(Mode(mode="ok"))
        assert police.received == []
        gateway = run_gateway(config_path)
        await eventually(lambda: len(police.received) == 1, within_s=30,
                         what="the alert forwarded after the restart")
        await fleet.press("pb-a-301")  # a repeat press updates, it does not re-raise
        await eventually(lambda: len(police.received) == 2, within_s=30)
    finally:
        gateway.send_signal(signal.SIGTERM)
        await asyncio.to_thread(gateway.wait, 20)
    keys = [r.idempotency_key for r in police.received]
    alert_id = police.received[0].alert_id
    assert keys == [f"{alert_id}:1", f"{alert_id}:2"]
    assert stored_alerts(tmp_path / "gateway.db") == 1


async def test_gateway_killed_after_the_police_recorded_but_before_marking_is_deduplicated(
        tmp_path: Path, config_path: Path, police: PoliceSimulator,
        fleet: MqttDeviceFleet) -> None:
    """The receipt is lost with the process: the restarted gateway sends the same
    revision again, with the same Idempotency-Key, and the receiver keeps one."""
    await police.set_mode(Mode(mode="hold", delay_s=60))
    gateway = run_gateway(config_path)
    try:
        await started(config_path)
        await fleet.press("pb-guard-main")
        await eventually(lambda: len(police.received) == 1, within_s=30)
        gateway.send_signal(signal.SIGKILL)
        await asyncio.to_thread(gateway.wait, 10)
        await police.set_mode(Mode(mode="ok"))
        gateway = run_gateway(config_path)
        await eventually(lambda: police.duplicates == 1, within_s=30,
                         what="the resent revision")
        await eventually(lambda: outbox_receipts(tmp_path / "gateway.db") == [
            police.received[0].receipt_id], what="the delivery recorded")
    finally:
        gateway.send_signal(signal.SIGTERM)
        await asyncio.to_thread(gateway.wait, 20)
    assert len(police.received) == 1


def outbox_receipts(db: Path) -> list[str | None]:
    with sqlite3.connect(db) as connection:
        return [receipt for (receipt,) in connection.execute(
            "SELECT receipt_id FROM outbox WHERE delivered_at IS NOT NULL")]
