"""Benchmark: the full MQTT ingest path of a real gateway (broker -> MQTT adapter -> event
bus -> device registry and rule engine -> alert manager -> alert store), against raw
paho-mqtt's receive rate from the same broker in the same run. Target: 0.7 of it.

    python -m bench.ingest [--messages 40000] [--devices 1000] [--rounds 5] [--json PATH]

The site (`bench.ingest_site`) is the school of config/school.yaml with many MQTT devices
over its zones and its own rule pack, on a clock set to a fixed site time; the telemetry
(`bench.ingest_traffic`) is mostly heartbeats and state changes, with a small share of
alarms that raise alerts. Each round the workload is published at QoS 1 and the broker
queues a copy for the gateway's and for a bare paho client's persistent session; each then
drains its copy (alternating which goes first), so the publisher's speed does not enter
the figures. An untimed warm-up round comes first.

A gateway round is timed from connecting to the broker until the bus has dispatched every
point event the messages carry and each device's coming online (counted apart, so that an
availability event of the gateway's own supervision cannot end a round early), and the
alert manager has
stored every outcome in SQLite: alert-store time is included. The outbox workers forward
stored alerts to their (file) channels meanwhile, as in service, but the timer does not
wait for them. Rates are the median over rounds; the ratio is the median of the rounds'
own ratios (each round's two receivers drain the same messages back to back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.mqtt.config import MqttDeviceBase
from bench.ingest_site import (
    GATEWAY_CLIENT_ID,
    SITE_TIME,
    BenchSite,
    ShiftedClock,
    build_site,
    site_instant,
)
from bench.ingest_traffic import Traffic, build_traffic
from bench.mqtt_load import PREFIX, RAW_CLIENT_ID, publish, raw_receive, register_session
from bench.stores import HELP, backend, bench_store
from gateway.app.config import GatewayConfig
from gateway.app.gateway import Gateway
from gateway.core.events import Availability, Event
from simulators.mosquitto import MosquittoBroker

TARGET_RATIO = 0.7
WARM_UP_MESSAGES = 1000


@dataclass(frozen=True)
class GatewayRound:
    seconds: float
    store_tail_seconds: float
    """Of `seconds`, the wait for the alert store after the last event was dispatched."""
    dispatched: int
    alerts: int
    malformed: int


@dataclass(frozen=True)
class Round:
    gateway: GatewayRound
    raw_seconds: float


async def gateway_receive(config: GatewayConfig, traffic: Traffic,
                          start: float) -> GatewayRound:
    """Start a gateway whose clock reads `start`, then time it from connecting to the
    broker until every queued message is in the device registry and every alert outcome
    is stored."""
    gateway = Gateway(config, clock=ShiftedClock(start), run_adapters=False)
    await gateway.start()
    try:
        bus = gateway.bus
        points = 0
        online: set[str] = set()
        done = asyncio.Event()

        def finished(event: Event) -> None:  # subscribed last: runs after the others
            # Counted by kind, not as a total of dispatched events: supervision may add
            # availability events of its own, which must not end the round early.
            nonlocal points
            if not event.is_availability:
                points += 1
            elif event.value == Availability.ONLINE:
                online.add(event.device_id)
            if points >= traffic.events and len(online) >= traffic.devices_heard:
                done.set()

        bus.subscribe(finished)
        started = time.perf_counter()
        await gateway.start_adapters()
        async with asyncio.timeout(300):
            await done.wait()
            dispatched_at = time.perf_counter()
            await gateway.manager.drain()
        finished_at = time.perf_counter()
        seconds, tail = finished_at - started, finished_at - dispatched_at
        check_registry(gateway, traffic)
        alerts = len(await gateway.store.alerts.newest(None, 10**6))
        malformed = sum(a.counters().get("malformed", 0) for a in gateway.adapters)
        return GatewayRound(seconds, tail, bus.dispatched, alerts, malformed)
    finally:
        await gateway.stop()


def check_registry(gateway: Gateway, traffic: Traffic) -> None:
    """The device registry holds each device's last reported values."""
    for device_id, values in traffic.last_values.items():
        held = gateway.registry.devices[device_id].points
        wrong = {point: (held.get(point), value) for point, value in values.items()
                 if held.get(point) != value}
        if wrong:
            raise RuntimeError(f"registry of {device_id}: (held, sent) {wrong}")


def run_rounds(site: BenchSite, traffic: Traffic, port: int, workdir: Path, rounds: int,
               start: float, report: Callable[[str], None],
               store: str | None = None) -> list[Round]:
    count = len(traffic.messages)
    results: list[Round] = []
    for number in range(rounds):
        publish(port, traffic.messages)  # the broker queues a copy for each session
        with bench_store(store, workdir / f"round-{number}" / "alerts.db") as database:
            config = site.config.model_copy(update={"store": database})
            gateway_first = number % 2 == 1
            if gateway_first:
                gateway = asyncio.run(gateway_receive(config, traffic, start))
            raw_seconds = raw_receive(port, count)
            if not gateway_first:
                gateway = asyncio.run(gateway_receive(config, traffic, start))
        result = Round(gateway, raw_seconds)
        results.append(result)
        report(f"round {number + 1}: gateway {count / gateway.seconds:7.0f} msg/s  "
               f"raw paho {count / raw_seconds:7.0f} msg/s  "
               f"ratio {raw_seconds / gateway.seconds:5.1%}  alerts {gateway.alerts}  "
               f"alert-store tail {gateway.store_tail_seconds * 1000:.0f} ms")
    return results


def summary(site: BenchSite, traffic: Traffic, results: list[Round],
            site_time: str) -> dict[str, Any]:
    count = len(traffic.messages)
    ingest = [count / r.gateway.seconds for r in results]
    raw = [count / r.raw_seconds for r in results]
    ratios = [r.raw_seconds / r.gateway.seconds for r in results]
    types: dict[str, int] = {}
    for device in site.config.devices:
        types[device.type] = types.get(device.type, 0) + 1
    last = results[-1].gateway
    return {
        "ingest_msgs_per_s": round(statistics.median(ingest)),
        "raw_paho_msgs_per_s": round(statistics.median(raw)),
        "ratio": round(statistics.median(ratios), 3),
        "target_ratio": TARGET_RATIO,
        "ingest_events_per_s": round(statistics.median(ingest) * traffic.events / count),
        "messages": count,
        "rounds": len(results),
        "devices": len(site.config.devices),
        "device_types": types,
        "rule_count": len(site.config.rules),
        "rule_files": list(site.rule_files),
        "site_time": site_time,
        "point_events": traffic.events,
        "events_dispatched": last.dispatched,
        "alarm_messages": traffic.alarm_messages,
        "alerts_raised": last.alerts,
        "malformed": sum(r.gateway.malformed for r in results),
        "alert_store_tail_ms": round(
            statistics.median(r.gateway.store_tail_seconds for r in results) * 1000, 1),
        "alert_store_included": True,
        "per_round": [{"ingest_msgs_per_s": round(i), "raw_paho_msgs_per_s": round(r),
                       "ratio": round(q, 3)} for i, r, q in zip(ingest, raw, ratios,
                                                                 strict=True)],
    }


def run(messages: int, devices: int, rounds: int, alarm_share: float, seed: int,
        site_time: str, report: Callable[[str], None],
        store: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="campusgw-bench-") as directory:
        workdir = Path(directory)
        with MosquittoBroker(workdir=workdir / "mosquitto") as broker:
            site = build_site(workdir, broker.port, devices)
            mqtt_devices = [d for d in site.config.devices if isinstance(d, MqttDeviceBase)]
            traffic = build_traffic(mqtt_devices, PREFIX, messages, alarm_share=alarm_share,
                                    seed=seed)
            start = site_instant(site.config, site_time)
            for client_id in (RAW_CLIENT_ID, GATEWAY_CLIENT_ID):
                register_session(broker.port, client_id)
            # An untimed round first, so that no round pays for imports and first calls.
            warm_up = build_traffic(mqtt_devices, PREFIX, min(messages, WARM_UP_MESSAGES),
                                    alarm_share=0.01, seed=seed + 1)
            run_rounds(site, warm_up, broker.port, workdir / "warm-up", 1, start,
                       lambda _line: None, store)
            results = run_rounds(site, traffic, broker.port, workdir, rounds, start, report,
                                 store)
    return {**summary(site, traffic, results, site_time), "store": backend(store)}


def describe(result: dict[str, Any]) -> list[str]:
    """The human summary."""
    verdict = "meets" if result["ratio"] >= result["target_ratio"] else "MISSES"
    types = ", ".join(f"{n} {t}" for t, n in result["device_types"].items())
    pack = ", ".join(result["rule_files"])
    return [
        f"store: {result['store']}; site: {result['devices']} devices ({types}); "
        f"{result['rule_count']} rules ({pack}); site time {result['site_time']}",
        f"traffic: {result['messages']} QoS 1 messages -> {result['point_events']} point "
        f"events, {result['alarm_messages']} alarms; {result['events_dispatched']} events "
        f"dispatched and {result['alerts_raised']} alerts stored per round",
        f"gateway (adapter -> bus -> registry + rules -> alert store): "
        f"{result['ingest_msgs_per_s']} msg/s ({result['ingest_events_per_s']} events/s)",
        f"raw paho receive, same broker: {result['raw_paho_msgs_per_s']} msg/s",
        f"ratio (median of {result['rounds']} rounds): {result['ratio']:.1%} - {verdict} "
        f"the {result['target_ratio']:.0%} target; alert-store time included (median tail "
        f"after the last event: {result['alert_store_tail_ms']} ms)",
    ]


def main(argv: list[str] | None = None,
         report: Callable[[str], None] = print) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40_000,
                        help="messages queued for each receiver per round")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds, alternating which receiver drains first")
    parser.add_argument("--alarm-share", type=float, default=0.001,
                        help="share of messages that carry an alarm (raise an alert)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site-time", default=SITE_TIME,
                        help="site-local time the gateway's clock starts at (YYYY-MM-DD HH:MM)")
    parser.add_argument("--store", metavar="URL", help=HELP)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)  # alerts raised are counted, not logged
    result = run(args.messages, args.devices, args.rounds, args.alarm_share, args.seed,
                 args.site_time, report, args.store)
    for line in describe(result):
        report(line)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
