"""Benchmark: broker -> MQTT adapter -> event bus, against raw paho's receive rate.

Both receivers drain the same number of QoS 1 messages that a mosquitto of its own queued
for their persistent sessions while they were away, so the publisher's speed does not
enter the figures. Prints messages/s of each and the ratio.

    python -m bench.mqtt_ingest [--messages 20000] [--rounds 3]

`heartbeat` messages carry one point, `state` messages three (one of them urgent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from adapters.base import AdapterContext
from adapters.mqtt import MqttAdapter, MqttSettings, PanicButtonConfig
from bench.mqtt_load import PREFIX, RAW_CLIENT_ID, publish, raw_receive, register_session
from gateway.core.bus import EventBus
from gateway.core.clock import SystemClock
from gateway.core.events import Event
from simulators.mosquitto import MosquittoBroker


async def _adapter_receive(port: int, devices: list[PanicButtonConfig],
                           expected_events: int) -> tuple[float, dict[str, int]]:
    bus = EventBus()
    done = asyncio.Event()
    seen = [0]

    def count(_event: Event) -> None:
        seen[0] += 1
        if seen[0] == expected_events:
            done.set()

    bus.subscribe(count)
    settings = MqttSettings(host="127.0.0.1", port=port, client_id="bench-adapter",
                            topic_prefix=PREFIX, max_payload_bytes=4096)
    adapter = MqttAdapter(settings, devices, AdapterContext("bench", SystemClock(), bus))
    bus_task = asyncio.create_task(bus.run())
    started = time.perf_counter()
    adapter_task = asyncio.create_task(adapter.run())
    try:
        async with asyncio.timeout(300):
            await done.wait()
        elapsed = time.perf_counter() - started
    finally:
        adapter_task.cancel()
        bus_task.cancel()
        await asyncio.gather(adapter_task, bus_task, return_exceptions=True)
    return elapsed, adapter.counters()


def _workload(kind: str, devices: list[PanicButtonConfig],
              count: int) -> tuple[list[tuple[str, bytes]], int]:
    messages = []
    for index in range(count):
        device = devices[index % len(devices)].id
        if kind == "state":
            body = {"pressed": index % 2 == 0, "tamper": False, "battery_low": False}
            messages.append((f"{PREFIX}/panic_button/{device}/state",
                             json.dumps(body).encode()))
        else:
            messages.append((f"{PREFIX}/panic_button/{device}/heartbeat",
                             json.dumps({"seq": index}).encode()))
    return messages, count * (3 if kind == "state" else 1)


def run(kind: str, count: int, device_count: int, rounds: int) -> None:
    devices = [PanicButtonConfig(type="panic_button", id=f"pb-{n:04d}", name=f"alarm {n}",
                                 zone="bench") for n in range(device_count)]
    messages, events = _workload(kind, devices, count)
    raw_rates: list[float] = []
    adapter_rates: list[float] = []
    malformed = 0
    with tempfile.TemporaryDirectory() as directory, \
            MosquittoBroker(workdir=Path(directory)) as broker:
        port = broker.port
        for client_id in (RAW_CLIENT_ID, "bench-adapter"):
            register_session(port, client_id)
        for round_number in range(rounds):
            publish(port, messages)  # the broker queues a copy for each session
            adapter_first = round_number % 2 == 1
            if adapter_first:
                adapter_s, counters = asyncio.run(_adapter_receive(port, devices, events))
            raw_rates.append(count / raw_receive(port, count))
            if not adapter_first:
                adapter_s, counters = asyncio.run(_adapter_receive(port, devices, events))
            adapter_rates.append(count / adapter_s)
            malformed += counters["malformed"]
    raw_rate, adapter_rate = max(raw_rates), max(adapter_rates)
    ratios = sorted(a / r for a, r in zip(adapter_rates, raw_rates, strict=True))
    print(f"{kind:9} {count:6d} msgs x{rounds}  raw paho {raw_rate:7.0f} msg/s  "
          f"adapter->bus {adapter_rate:7.0f} msg/s ({adapter_rate * events / count:7.0f} "
          f"events/s)  best/best {adapter_rate / raw_rate:6.1%}  "
          f"median round {ratios[len(ratios) // 2]:6.1%}  malformed={malformed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000,
                        help="messages queued for each receiver per round")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds, alternating which receiver drains first")
    arguments = parser.parse_args()
    for kind in ("heartbeat", "state"):
        run(kind, arguments.messages, arguments.devices, arguments.rounds)


if __name__ == "__main__":
    main()
