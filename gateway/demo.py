"""`campusgw demo`: the whole simulated school on one machine, with no setup.

MQTT broker: `$MQTT_URL` if set, else one on 127.0.0.1:1883 if it answers, else an
embedded amqtt broker. Then the police endpoint simulator, the device simulators, the
gateway and its dashboard; every so often somebody presses a panic button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse

from adapters.mqtt.config import GateSensorConfig, MqttDeviceBase, PanicButtonConfig
from gateway.config.loader import load_config
from gateway.runner import serving
from simulators.mqtt_devices.fleet import MqttDeviceFleet
from simulators.police.server import PoliceSimulator

log = logging.getLogger("campusgw.demo")

SCHOOL_CONFIG = Path(__file__).resolve().parents[1] / "config" / "school.yaml"


@contextlib.asynccontextmanager
async def mqtt_broker() -> AsyncIterator[tuple[str, int]]:
    """Where the demo's broker is: $MQTT_URL, a local one, or an embedded one."""
    url = os.environ.get("MQTT_URL")
    if url:
        parsed = urlparse(url)
        yield parsed.hostname or "127.0.0.1", parsed.port or 1883
        return
    if _answers("127.0.0.1", 1883):
        yield "127.0.0.1", 1883
        return
    from amqtt.broker import Broker

    port = _free_port()
    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin":
                    {"allow_anonymous": True}},
    })
    await broker.start()
    log.info("no MQTT broker found: started an embedded one on 127.0.0.1:%d", port)
    try:
        yield "127.0.0.1", port
    finally:
        await broker.shutdown()


async def run_demo(api_port: int, press_every_s: float, seconds: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="campusgw-demo-"))
    police_secret = secrets.token_hex(16)
    async with mqtt_broker() as (mqtt_host, mqtt_port):
        police = PoliceSimulator(police_secret, record_file=workdir / "police-received.jsonl")
        await police.start()
        os.environ.update({
            "MQTT_HOST": mqtt_host, "MQTT_PORT": str(mqtt_port),
            "MQTT_CLIENT_ID": f"campusgw-demo-{secrets.token_hex(3)}",
            "POLICE_URL": police.url, "POLICE_SECRET": police_secret,
            "CAMPUSGW_DB": str(workdir / "campusgw.db"),
            "CAMPUSGW_ALERT_LOG": str(workdir / "alerts.jsonl"),
            "CAMPUSGW_API_PORT": str(api_port),
        })
        config = load_config(SCHOOL_CONFIG)
        mqtt_devices = [d for d in config.devices if isinstance(d, MqttDeviceBase)]
        fleet = MqttDeviceFleet(mqtt_devices, mqtt_host, mqtt_port,
                                config.adapters.mqtt.topic_prefix,
                                client_id=f"campusgw-demo-devices-{secrets.token_hex(3)}")
        await fleet.start()
        try:
            async with serving(config) as running:
                token = config.api.token.get_secret_value()
                print(f"\nCampus Security Gateway demo: {config.site.name}\n"
                      f"  dashboard        {running.url}/  (operator token: {token})\n"
                      f"  API              {running.url}/docs\n"
                      f"  live stream      {running.url}/stream\n"
                      f"  police simulator {police.url} (received: "
                      f"{police.control_url}/received)\n"
                      f"  MQTT broker      {mqtt_host}:{mqtt_port}\n"
                      f"  data             {workdir}\n"
                      "Press Ctrl+C to stop.\n", flush=True)
                await _school_day(fleet, police, press_every_s, seconds,
                                  asyncio.ensure_future(running.wait_closed()))
        finally:
            await fleet.stop()
            await police.stop()
    return 0


async def _school_day(fleet: MqttDeviceFleet, police: PoliceSimulator, press_every_s: float,
                      seconds: float, stop: asyncio.Future[None]) -> None:
    """Somebody presses a panic button now and then; gates open and close, until `stop`."""
    buttons = [d.id for d in fleet.devices if isinstance(d, PanicButtonConfig)]
    gates = [d.id for d in fleet.devices if isinstance(d, GateSensorConfig)]
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds if seconds > 0 else None
    try:
        while not stop.done():
            await asyncio.wait({stop}, timeout=press_every_s)
            if stop.done() or (deadline is not None and loop.time() >= deadline):
                break
            button = rng.choice(buttons)
            log.info("demo: somebody presses %s", button)
            await fleet.press(button)
            gate = rng.choice(gates)
            await fleet.open_gate(gate)
            await asyncio.sleep(2)
            await fleet.release(button)
            await fleet.close_gate(gate)
            log.info("demo: police simulator has received %d alert document(s)",
                     len(police.received))
    finally:
        stop.cancel()


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
