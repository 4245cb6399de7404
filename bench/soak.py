"""Soak: 10,000 devices on one gateway for `--minutes`, then half of them silent at once.

    python -m bench.soak [--minutes 10] [--json PATH]

The site (`bench.ingest_site`, the school's zones, calendar and rule pack) has 9,850 MQTT
devices (panic buttons, gate sensors, gas detectors, charging monitors, each with a 60 s
heartbeat), 100 Modbus fire panels polled at 1 Hz and 50 ONVIF cameras analysed at one
frame a second. The devices are simulated by the project's own simulators in processes
of their own (the MQTT fleet, `bench.modbus_poll`'s panels, `bench.video`'s camera
server); the gateway runs in this process with a SQLite store, as in service.

Meanwhile: a panic button is pressed every `--press-every` seconds (each a different
button, timed from its publish to the alert's `raised` change) and gates open and close
`--gates-per-s` times a second. Sampled every 10 s: the resident set size (RSS) and CPU
of this process. The event loop's lag is measured by a task that sleeps 10 ms at a time.
At the end, half the MQTT devices stop (as a switch or a power supply failing would do)
and the run waits until supervision has declared them offline: `mass_outage_alerts`
counts the alerts that raised, which the flood gate (gateway/alerts/flood.py) keeps to its
threshold's first few and one incident.

`startup_s` is from loading the config to the first alert stored, for a press queued at the
broker before the gateway started.

The RSS is this process's: the gateway, its one copy of the site's config (loaded in the
timed start-up), and the bench's press fleet and simulator handles; the bench writes (and
loads) the site in a child process. The gateway runs as in service (`campusgw run`): it
hands freed memory back to the system every minute (`gateway/app/memory.py`, glibc's
`malloc_trim`); nothing else is tuned (no `MALLOC_ARENA_MAX`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.mqtt.config import MqttDeviceBase, PanicButtonConfig
from bench.ingest_site import GATEWAY_CLIENT_ID, BenchSite, build_site, school_sections
from bench.modbus_poll import LOOPS, ZONES
from bench.mqtt_load import register_session
from bench.samples import percentile
from bench.video import (
    PASSWORD,
    SIM_CAMERAS,
    USER,
    SimulatorProcess,
    _analytics_config,
    _prepare_references,
)
from gateway.alerts.flood import REVISE_S
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from simulators.mosquitto import MosquittoBroker
from simulators.mqtt_devices.fleet import MqttDeviceFleet

MQTT_DEVICES = 9_850
PANELS = 100
CAMERAS = 50
SAMPLE_S = 10.0
LAG_PERIOD_S = 0.01
OUTAGE_WAIT_S = 200.0
"""Longest wait for the silent half to be declared offline (two 60 s heartbeats, then the
supervision check)."""
TARGETS = {"rss_end_mb": 300.0, "rss_slope_mb_per_10min": 1.0, "loop_lag_p99_ms": 10.0,
           "startup_s": 3.0}


def soak_site(workdir: Path, broker_port: int, panel_ports: Sequence[int],
              camera_port: int) -> BenchSite:
    """The MQTT site of `bench.ingest_site` plus the panels and cameras."""
    zones = [zone["id"] for zone in school_sections()["zones"]]
    panels = [{"id": f"fp-{n:03d}", "type": "fire_panel", "name": f"Fire panel {n}",
               "zone": zones[n % len(zones)], "connection": {"host": "127.0.0.1", "port": port},
               "counts": {"zones": ZONES, "loops": LOOPS}} for n, port in enumerate(panel_ports)]
    region = _analytics_config().regions[0]
    cameras = [{"id": f"cam-{n:04d}", "type": "camera", "name": f"Camera {n}",
                "zone": zones[n % len(zones)], "host": "127.0.0.1", "port": camera_port,
                "device_service_path": f"/onvif/cam{n % SIM_CAMERAS}/device_service",
                "username": USER, "password": PASSWORD,
                "analytics": {"interval_s": 1, "regions": [
                    {"name": region.name, "kind": "exit",
                     "polygon": [list(point) for point in region.polygon]}]}}
               for n in range(CAMERAS)]
    references = workdir / "references"
    _prepare_references(references, CAMERAS)
    return build_site(workdir, broker_port, MQTT_DEVICES, other_devices=[*panels, *cameras],
                      adapters={"video": {"evidence_dir": str(workdir / "evidence"),
                                          "references_dir": str(references)}})


# -- the MQTT devices, in a process of their own ------------------------------------------


async def serve_devices(config: Path, gates_per_s: float) -> None:
    """Child process: every MQTT device of the site heartbeats; gates open and close.
    A line `outage` on stdin silences half of them; end of input stops."""
    site = load_config(config)
    settings = site.adapters.mqtt
    assert settings is not None
    devices = [d for d in site.devices if isinstance(d, MqttDeviceBase)]
    fleets = [MqttDeviceFleet.from_site(settings, part, client_id=f"soak-devices-{n}")
              for n, part in enumerate(silenced_and_kept(devices))]
    for fleet in fleets:
        await fleet.start(timeout_s=60)
    print("ready", flush=True)
    gates = [d.id for d in fleets[1].devices if d.type == "gate_sensor"]
    traffic = asyncio.create_task(_gate_traffic(fleets[1], gates, gates_per_s))
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "outage":
                await fleets[0].stop()
                print("silent", flush=True)
    finally:
        traffic.cancel()
        await asyncio.gather(traffic, return_exceptions=True)
        for fleet in fleets:
            await fleet.stop()


def silenced_and_kept(devices: Sequence[MqttDeviceBase]
                      ) -> tuple[list[MqttDeviceBase], list[MqttDeviceBase]]:
    """The half that the mass outage silences (every other device), and the rest."""
    return list(devices[0::2]), list(devices[1::2])


async def _gate_traffic(fleet: MqttDeviceFleet, gates: list[str], per_s: float) -> None:
    rng = random.Random(3)
    while True:
        gate = rng.choice(gates)
        await (fleet.open_gate(gate) if rng.random() < 0.5 else fleet.close_gate(gate))
        await asyncio.sleep(rng.expovariate(per_s))


@contextlib.asynccontextmanager
async def device_process(config: Path, gates_per_s: float
                         ) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.soak", "--serve-devices", str(config),
        "--gates-per-s", str(gates_per_s), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        await _expect(process, "ready", 120)
        yield process
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _expect(process: asyncio.subprocess.Process, word: str, within_s: float) -> None:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), within_s)
    if line.strip().decode() != word:
        raise RuntimeError(f"the device simulator said {line!r}, not {word!r}")


@contextlib.contextmanager
def panel_process(panels: int) -> Any:
    """`bench.modbus_poll`'s panels in a child process; yields their ports."""
    child = subprocess.Popen([sys.executable, "-m", "bench.modbus_poll", "--serve",
                              str(panels)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        yield json.loads(child.stdout.readline())
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# -- measuring ----------------------------------------------------------------------------


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def slope_per_10min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per 10 minutes."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [t for t, _ in samples], [v for _, v in samples]
    return statistics.linear_regression(xs, ys).slope * 600


@dataclass
class Watch:
    """What the run observes on the gateway's loop."""

    lags: list[float] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)
    raised: dict[str, float] = field(default_factory=dict)
    """Device id -> when its first alert was raised (perf_counter)."""
    outage_alerts: list[dict[str, Any]] = field(default_factory=list)
    outage_started: bool = False

    async def loop_lag(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_PERIOD_S)
            self.lags.append(max(0.0, time.perf_counter() - started - LAG_PERIOD_S))

    async def memory(self, began: float) -> None:
        while True:
            self.rss.append((time.perf_counter() - began, rss_mb()))
            await asyncio.sleep(SAMPLE_S)

    async def alerts(self, gateway: Gateway) -> None:
        async with gateway.feed.listen() as changes:
            while True:
                change = await changes.get()
                if change.get("type") != "alert" or change.get("change") != "raised":
                    continue
                alert = change["alert"]
                self.raised.setdefault(alert["device_id"], time.perf_counter())
                if self.outage_started and alert["category"] == "device_health":
                    self.outage_alerts.append(alert)


async def press_loop(fleet: MqttDeviceFleet, buttons: list[str], every_s: float,
                     watch: Watch, latencies: list[float]) -> None:
    """Press one button after another and time each to its alert."""
    for button in buttons:
        began = time.perf_counter()
        await fleet.press(button)
        async with asyncio.timeout(60):
            while button not in watch.raised:  # noqa: ASYNC110 - the feed task records it
                await asyncio.sleep(0.001)
        latencies.append((watch.raised[button] - began) * 1000)
        await asyncio.sleep(max(0.0, every_s - (time.perf_counter() - began)))


async def soak(minutes: float, press_every_s: float, gates_per_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="campusgw-soak-") as directory:
        workdir = Path(directory)
        with MosquittoBroker(workdir=workdir / "mosquitto") as broker, \
                panel_process(PANELS) as ports, SimulatorProcess() as cameras:
            presser = await press_fleet(workdir, broker.port, ports, cameras.port)
            config_file = workdir / "site.yaml"
            async with device_process(config_file, gates_per_s) as devices:
                await presser.start()
                try:
                    return await _run(config_file, broker.port, presser, devices, minutes,
                                      press_every_s)
                finally:
                    await presser.stop()


async def press_fleet(workdir: Path, broker_port: int, panel_ports: Sequence[int],
                      camera_port: int) -> MqttDeviceFleet:
    """Write the site in a child process; the fleet that presses half of its panic buttons.
    The bench loads the site there, so that only the gateway's copy of it (and what loading
    it left behind) is in this process."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.soak", "--write-site", str(workdir),
        json.dumps({"broker": broker_port, "panels": list(panel_ports), "camera": camera_port}),
        stdout=subprocess.PIPE)
    written, _ = await asyncio.wait_for(child.communicate(), 300)
    if child.returncode != 0:
        raise RuntimeError(f"writing the site failed ({child.returncode})")
    pressed = json.loads(written)
    buttons = [PanicButtonConfig.model_validate({**button, "type": "panic_button"})
               for button in pressed["buttons"]]
    return MqttDeviceFleet(buttons, "127.0.0.1", broker_port, pressed["prefix"],
                           client_id="soak-presses", heartbeats=False)


def write_site(workdir: Path, ports: dict[str, Any]) -> dict[str, Any]:
    """Child process: the site written into `workdir`; the panic buttons `press_fleet`
    presses (the second half) and the topic prefix."""
    site = soak_site(workdir, ports["broker"], ports["panels"], ports["camera"])
    buttons = [d for d in site.config.devices if isinstance(d, PanicButtonConfig)]
    assert site.config.adapters.mqtt is not None
    return {"prefix": site.config.adapters.mqtt.topic_prefix,
            "buttons": [{"id": b.id, "name": b.name, "zone": b.zone}
                        for b in buttons[len(buttons) // 2:]]}


async def _run(config_file: Path, broker_port: int, presser: MqttDeviceFleet,
               devices: asyncio.subprocess.Process, minutes: float,
               press_every_s: float) -> dict[str, Any]:
    buttons = [d.id for d in presser.devices]
    first, rest = buttons[0], buttons[1:]
    await asyncio.to_thread(register_session, broker_port, GATEWAY_CLIENT_ID,
                            f"{presser.prefix}/#")
    await presser.press(first)  # queued at the broker for the gateway's session
    watch = Watch()
    began = time.perf_counter()
    cpu_began = time.process_time()
    gateway = Gateway(load_config(config_file), run_adapters=False)
    tasks = [asyncio.create_task(watch.loop_lag()), asyncio.create_task(watch.memory(began))]
    await gateway.start()
    tasks.append(asyncio.create_task(watch.alerts(gateway)))
    try:
        await gateway.start_adapters()
        async with asyncio.timeout(120):
            while first not in watch.raised:  # noqa: ASYNC110 - the feed task records it
                await asyncio.sleep(0.005)
        startup_s = watch.raised[first] - began
        latencies: list[float] = []
        presses = asyncio.create_task(press_loop(presser, rest, press_every_s, watch,
                                                 latencies))
        tasks.append(presses)
        await asyncio.sleep(minutes * 60)
        presses.cancel()
        soaked_s = time.perf_counter() - began
        cpu_s = time.process_time() - cpu_began
        lags = list(watch.lags)
        rss = list(watch.rss)
        outage = await mass_outage(gateway, devices, watch)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await gateway.stop()
    steady = [sample for sample in rss if sample[0] >= 60.0] or rss
    return {
        "minutes": minutes,
        "devices": len(gateway.config.devices),
        "rss_start_mb": round(steady[0][1], 1),
        "rss_end_mb": round(rss[-1][1], 1),
        "rss_max_mb": round(max(v for _, v in rss), 1),
        "rss_slope_mb_per_10min": round(slope_per_10min(steady), 2),
        "cpu_percent_of_one_core": round(cpu_s / soaked_s * 100, 1),
        "loop_lag_p99_ms": round(percentile(lags, 99) * 1000, 2),
        "loop_lag_max_ms": round(max(lags) * 1000, 1),
        "presses": len(latencies),
        "panic_p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "panic_p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "startup_s": round(startup_s, 2),
        **outage,
        "targets": TARGETS,
    }


async def mass_outage(gateway: Gateway, devices: asyncio.subprocess.Process,
                      watch: Watch) -> dict[str, Any]:
    """Silence half the MQTT devices; wait until supervision has them all offline."""
    assert devices.stdin is not None
    silenced, _ = silenced_and_kept(
        [d for d in gateway.config.devices if isinstance(d, MqttDeviceBase)])
    silent = {d.id for d in silenced}
    watch.outage_started = True
    devices.stdin.write(b"outage\n")
    await devices.stdin.drain()
    await _expect(devices, "silent", 60)
    began = time.perf_counter()
    offline = 0
    while time.perf_counter() - began < OUTAGE_WAIT_S:
        offline = sum(1 for d in silent
                      if gateway.registry.devices[d].availability.value == "offline")
        if offline == len(silent):
            break
        await asyncio.sleep(1.0)
    # The last outcomes through the flood gate and the store, and the incident's last
    # (coalesced) revision: its title then counts the members it holds.
    await asyncio.sleep(REVISE_S + 2.0)
    incidents = [await gateway.store.alerts.get(a["id"]) for a in watch.outage_alerts
                 if a["key"].startswith("flood:")]
    return {"mass_outage_devices": len(silent), "mass_outage_offline": offline,
            "mass_outage_seconds": round(time.perf_counter() - began, 1),
            "mass_outage_alerts": len(watch.outage_alerts),
            "mass_outage_incidents": len(incidents),
            "mass_outage_incident_titles": [a.title for a in incidents if a is not None]}


def describe(figures: dict[str, Any]) -> list[str]:
    def verdict(key: str, value: float) -> str:
        return "ok" if value <= TARGETS[key] else "MISSES"

    return [
        f"{figures['devices']} devices for {figures['minutes']:g} min",
        f"RSS: {figures['rss_start_mb']} MB after the first minute, {figures['rss_end_mb']} MB "
        f"at the end (max {figures['rss_max_mb']}; target <= 300: "
        f"{verdict('rss_end_mb', figures['rss_end_mb'])}), slope "
        f"{figures['rss_slope_mb_per_10min']} MB/10 min (target < 1: "
        f"{verdict('rss_slope_mb_per_10min', figures['rss_slope_mb_per_10min'])})",
        f"CPU: {figures['cpu_percent_of_one_core']} % of one core",
        f"event-loop lag p99: {figures['loop_lag_p99_ms']} ms (max "
        f"{figures['loop_lag_max_ms']}; target < 10: "
        f"{verdict('loop_lag_p99_ms', figures['loop_lag_p99_ms'])})",
        f"press -> alert raised: p50 {figures['panic_p50_ms']} ms, p99 "
        f"{figures['panic_p99_ms']} ms over {figures['presses']} presses",
        f"start-up to handling alarms: {figures['startup_s']} s (target <= 3: "
        f"{verdict('startup_s', figures['startup_s'])})",
        f"mass outage: {figures['mass_outage_offline']} of {figures['mass_outage_devices']} "
        f"devices offline -> {figures['mass_outage_alerts']} alerts, of which "
        f"{figures['mass_outage_incidents']} incident(s) {figures['mass_outage_incident_titles']}",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--press-every", type=float, default=10.0,
                        help="seconds between panic presses")
    parser.add_argument("--gates-per-s", type=float, default=2.0,
                        help="gate openings and closings per second")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve-devices", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write-site", nargs=2, metavar=("DIR", "PORTS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write_site:
        print(json.dumps(write_site(Path(args.write_site[0]), json.loads(args.write_site[1]))))
        return
    if args.serve_devices:
        asyncio.run(serve_devices(args.serve_devices, args.gates_per_s))
        return
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(soak(args.minutes, args.press_every, args.gates_per_s))
    for line in describe(figures):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
