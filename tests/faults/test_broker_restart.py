"""The broker killed (SIGKILL) and restarted while panic buttons are pressed: every press
it acknowledged becomes its alert, once; the gateway reconnects and takes up its session
without being told."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from pathlib import Path

from adapters.mqtt.config import PanicButtonConfig
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from simulators.mqtt_devices.fleet import MqttDeviceFleet
from tests.conftest import Broker
from tests.faults.support import PREFIX, faults_yaml, stored_alerts
from tests.faults.tally import Tally
from tests.helpers import eventually

KILLS = 3
PRESS_EVERY_S = 0.02


async def test_presses_survive_a_broker_killed_and_restarted(tmp_path: Path,
                                                             mosquitto: Broker) -> None:
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    config_file, _ = faults_yaml(tmp_path, mosquitto.port)
    config = load_config(config_file)
    buttons = [d for d in config.devices if isinstance(d, PanicButtonConfig)]
    fleet = MqttDeviceFleet(buttons, "127.0.0.1", mosquitto.port, PREFIX, heartbeats=False,
                            ack_timeout_s=20, client_id="faults-buttons")
    gateway = Gateway(config)
    await gateway.start()
    await fleet.start()
    # Subscribed once: from then on the broker queues for the gateway's session.
    await eventually(lambda: all(a.counters().get("connected") == 1 for a in gateway.adapters),
                     what="the gateway subscribed")
    acknowledged: list[str] = []
    unacknowledged: list[str] = []
    timeline: list[str] = []

    async def press(button: str) -> None:
        try:
            timeline.append(f"press {button}")
            await fleet.press(button)
            acknowledged.append(button)
            timeline.append(f"ack {button}")
        except TimeoutError:
            unacknowledged.append(button)

    pressing: list[asyncio.Task[None]] = []
    try:
        queue = iter(b.id for b in buttons)
        for _ in range(KILLS):
            for _ in range(rng.randint(5, 20)):
                pressing.append(asyncio.create_task(press(next(queue))))
                await asyncio.sleep(PRESS_EVERY_S)
            await kill(mosquitto)
            timeline.append("kill")
            for _ in range(rng.randint(1, 5)):  # pressed while the broker is gone
                pressing.append(asyncio.create_task(press(next(queue))))
            await asyncio.to_thread(mosquitto.start)
        await asyncio.gather(*pressing)
        db = tmp_path / "gateway.db"
        with contextlib.suppress(AssertionError):  # what is missing is listed below
            await eventually(lambda: stored_alerts(db) >= len(acknowledged), within_s=10,
                             what="an alert for every acknowledged press")
        await gateway.manager.drain()
        stored = await gateway.store.alerts.newest(None, 1000)
    finally:
        for task in pressing:
            task.cancel()
        await fleet.stop()
        await gateway.stop()
    tally = Tally.of(sorted(acknowledged), sorted(a.device_id for a in stored))
    print(f"seed {seed}:", tally.describe(f"broker killed {KILLS} times"),
          f"- {len(unacknowledged)} presses not acknowledged")
    assert not tally.lost and not tally.duplicated, f"seed {seed}: {tally} {timeline}"
    assert unacknowledged == []


async def kill(broker: Broker) -> None:
    """SIGKILL: the broker saves nothing more."""
    process = broker.process
    assert process is not None
    process.kill()
    await asyncio.to_thread(process.wait)
    broker.process = None
