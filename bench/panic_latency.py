"""Press -> police receipt latency, alone and under 2,000 gate-sensor messages/s, beside
the raw MQTT publish -> receive round trip on the same broker in the same run.

    python -m bench.panic_latency [--presses N] [--json PATH]

Everything runs on loopback: a mosquitto of its own; the gateway and the simulated panic
buttons in this process; the police simulator and the background load in processes of
their own. A press is timed from the device's publish to the moment the gateway has
stored the police receipt on the alert.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from adapters.mqtt.config import PanicButtonConfig
from bench.samples import percentile
from bench.stores import HELP, backend, bench_store
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from gateway.app.runner import serving
from gateway.forwarding.channel import ForwardJob
from gateway.store.config import StoreConfig
from simulators.mosquitto import MosquittoBroker
from simulators.mqtt_devices.fleet import MqttDeviceFleet
from simulators.net import free_port

PREFIX = "campus/bench"
SECRET = "bench-secret"
GATES = 100


def raw_mqtt_rtt_ms(port: int, count: int) -> list[float]:
    """QoS 1 publish -> receive through the broker, with bare paho clients."""
    received: dict[int, float] = {}
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        received[int(message.payload)] = time.perf_counter()
        if len(received) == count:
            done.set()

    subscriber = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-sub")
    subscriber.on_message = on_message
    subscriber.connect("127.0.0.1", port)
    subscriber.subscribe(f"{PREFIX}/raw", qos=1)
    subscriber.loop_start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-pub")
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()
    time.sleep(0.5)
    sent: dict[int, float] = {}
    for i in range(count):
        sent[i] = time.perf_counter()
        publisher.publish(f"{PREFIX}/raw", str(i), qos=1)
        time.sleep(0.005)
    done.wait(30)
    for client in (publisher, subscriber):
        client.loop_stop()
        client.disconnect()
    return [(received[i] - sent[i]) * 1000 for i in sent if i in received]


def bench_config(workdir: Path, mqtt_port: int, police_url: str, buttons: int,
                 store: StoreConfig) -> Path:
    devices = "\n".join(
        f"  - {{id: pb-{i:04d}, type: panic_button, name: Button {i}, zone: school}}"
        for i in range(buttons))
    gates = "\n".join(
        f"  - {{id: gs-{i:03d}, type: gate_sensor, name: Gate {i}, zone: school}}"
        for i in range(GATES))
    path = workdir / "bench.yaml"
    path.write_text(f"""\
site: {{id: bench, name: Bench School, timezone: Asia/Shanghai}}
zones: [{{id: school, name: School}}]
adapters:
  mqtt: {{port: {mqtt_port}, client_id: bench-gateway, topic_prefix: {PREFIX}}}
devices:
{devices}
{gates}
channels:
  - {{type: police_http, id: police, url: "{police_url}", secret: {SECRET}}}
rules:
  - {{id: panic, select: {{type: panic_button}}, when: {{point: pressed}}, severity: critical,
     category: panic, title: "Alarm {{device}}", channels: [police], latching: true}}
store: {{url: "{store.database_url}"}}
api: {{port: 0, token: bench-token-0001}}
""")
    return path


LOAD_SCRIPT = """
import sys, time, json
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
port, rate, prefix, gates = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-load")
c.max_queued_messages_set(0)
c.connect("127.0.0.1", port); c.loop_start()
payloads = [json.dumps({"open": o, "forced": False}) for o in (False, True)]
topics = [f"{prefix}/gate_sensor/gs-{g:03d}/state" for g in range(gates)]
start = time.perf_counter(); n = 0
while True:
    due = int((time.perf_counter() - start) * rate)
    while n < due:
        c.publish(topics[n % gates], payloads[n // gates % 2], qos=0)
        n += 1
    time.sleep(0.005)
"""


class ReceiptClock:
    """When the gateway stored the police receipt of each alert, by device id."""

    def __init__(self, gateway: Gateway) -> None:
        self._loop = asyncio.get_running_loop()
        self._waiting: dict[str, asyncio.Future[float]] = {}
        outbox = gateway.store.outbox
        mark_delivered = outbox.mark_delivered

        async def timed(job: ForwardJob, receipt_id: str | None, now: float) -> bool:
            done = await mark_delivered(job, receipt_id, now)
            self._arrived(job.payload.alert.device_id, time.perf_counter())
            return done

        setattr(outbox, "mark_delivered", timed)  # noqa: B010 - the worker's outbox, timed

    def expect(self, device: str) -> asyncio.Future[float]:
        future = self._waiting[device] = self._loop.create_future()
        return future

    def _arrived(self, device: str, stored_at: float) -> None:
        future = self._waiting.pop(device, None)
        if future is not None and not future.done():
            future.set_result(stored_at)


async def press_latencies_ms(fleet: MqttDeviceFleet, receipts: ReceiptClock,
                             buttons: list[str]) -> list[float]:
    """For each button: press, then wait until the gateway holds the police receipt."""
    latencies = []
    for button in buttons:
        stored = receipts.expect(button)
        started = time.perf_counter()
        await fleet.press(button)
        stored_at = await asyncio.wait_for(stored, 30)
        latencies.append((stored_at - started) * 1000)
        await asyncio.sleep(0.02)
    return latencies


@contextlib.asynccontextmanager
async def police_process() -> AsyncIterator[str]:
    """The police simulator in a process of its own; yields its alert URL."""
    port, control_port = free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.police", "--port", str(port),
        "--control-port", str(control_port), stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, "CAMPUSGW_POLICE_SECRET": SECRET})
    try:
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", control_port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/api/alerts"
    finally:
        process.terminate()
        await process.wait()


async def run(presses: int, load_rate: int, store: str | None = None) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="campusgw-bench-"))
    with (MosquittoBroker(workdir=workdir / "mosquitto") as broker,
          bench_store(store, workdir / "bench.db") as database):
        raw = raw_mqtt_rtt_ms(broker.port, 500)
        async with police_process() as police_url:
            config = load_config(bench_config(workdir, broker.port, police_url, 2 * presses,
                                              database))
            fleet = MqttDeviceFleet.from_site(config.adapters.mqtt, config.devices,
                                              "127.0.0.1", broker.port,
                                              heartbeats=False, client_id="bench-devices")
            await fleet.start()
            try:
                async with serving(config) as running:
                    alone, under_load, ingested_per_s = await measure(
                        running.gateway, fleet, broker.port, presses, load_rate)
            finally:
                await fleet.stop()
    return {"store": backend(store), **summary(alone, under_load, ingested_per_s, load_rate,
                                               raw)}


async def measure(gateway: Gateway, fleet: MqttDeviceFleet, broker_port: int, presses: int,
                  load_rate: int) -> tuple[list[float], list[float], float]:
    """Latencies alone, then under load, and the gateway's event rate under load."""
    receipts = ReceiptClock(gateway)
    await asyncio.sleep(1.0)
    ids = [d.id for d in fleet.devices if isinstance(d, PanicButtonConfig)]
    await press_latencies_ms(fleet, receipts, ids[:10])  # warm-up
    alone = await press_latencies_ms(fleet, receipts, ids[10:presses])
    load = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOAD_SCRIPT, str(broker_port), str(load_rate), PREFIX,
        str(GATES))
    try:
        await asyncio.sleep(2.0)
        dispatched_before, started = gateway.bus.dispatched, time.perf_counter()
        under_load = await press_latencies_ms(fleet, receipts, ids[presses:2 * presses - 10])
        ingested_per_s = (gateway.bus.dispatched - dispatched_before) / (
            time.perf_counter() - started)
    finally:
        load.terminate()
        await load.wait()
    return alone, under_load, ingested_per_s


def summary(alone: list[float], under_load: list[float], ingested_per_s: float,
            load_rate: int, raw: list[float]) -> dict[str, Any]:
    return {
        "presses": len(alone),
        "p50_ms": round(statistics.median(alone), 2),
        "p99_ms": round(percentile(alone, 99), 2),
        "p50_ms_under_load": round(statistics.median(under_load), 2),
        "p99_ms_under_load": round(percentile(under_load, 99), 2),
        "background_msgs_per_s": load_rate,
        "gateway_events_per_s_under_load": round(ingested_per_s),
        "raw_mqtt_rtt_p50_ms": round(statistics.median(raw), 2),
        "raw_mqtt_rtt_p99_ms": round(percentile(raw, 99), 2),
        "target_p99_ms_under_load": 25.0,
    }


def main(argv: list[str] | None = None,
         report: Callable[[str], None] = print) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--load-rate", type=int, default=2000)
    parser.add_argument("--store", metavar="URL", help=HELP)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    result = asyncio.run(run(args.presses, args.load_rate, args.store))
    for key, value in result.items():
        report(f"{key:28} {value}")
    report(f"{'p99 under load / raw rtt p99':28} "
           f"{result['p99_ms_under_load'] / max(result['raw_mqtt_rtt_p99_ms'], 1e-3):.1f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
