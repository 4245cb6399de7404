"""Linkage latency per channel type beside a bare TCP round trip, and the DC-09 receiver's
frame rate beside pysiaalarm's, measured in the same run.

    python -m bench.linkage [--alerts N] [--frames N] [--store URL] [--json PATH]

Latency: the gateway (its store, outbox workers and channels, no adapters) stores one alert
at a time for one channel and the time runs until it has stored that receiver's
acknowledgement: signed JSON over HTTP to the police simulator (`http`), CAP 1.2 over
signed HTTP to a CAP receiver that checks the signature and parses the XML (`cap`), SIA
DC-09 to pysiaalarm's receiver, plain (`dc09`) and AES-128 (`dc09_aes`). Every receiver
runs in a process of its own, as does the bare TCP echo that gives the raw round trip.

Receive rate: the same DC-09 frames (encoded by the demo's alarm panel,
simulators/alarm_panel.py) from the same sender process, 32 panels each waiting for the
answer to a frame before sending the next, to the gateway's receiver (adapters/sia, its
events through the bus before each ACK) and to pysiaalarm's, both in this process, taking
turns for `--rounds` rounds (the median of each is reported).
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
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from adapters.base import AdapterContext
from adapters.sia import SiaAdapter, SiaPanelConfig, SiaSettings
from bench.linkage_peers import (
    AES_ACCOUNT,
    AES_KEY_TEXT,
    PANELS,
    PLAIN_ACCOUNT,
    READY,
    panel_accounts,
    start_pysiaalarm,
)
from bench.panic_latency import SECRET, ReceiptClock, police_process
from bench.samples import percentile
from bench.stores import HELP, backend, bench_store
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from gateway.app.runner import serving
from gateway.core.alerts import AlertSpec, Category, Severity
from gateway.core.bus import EventBus
from gateway.core.clock import SystemClock
from gateway.store.config import StoreConfig
from simulators.net import free_port

CHANNELS = ("http", "cap", "dc09", "dc09_aes")
TARGET_P99_MS = 25.0
WARM_UP = 10


@contextlib.asynccontextmanager
async def beside(*role: str) -> AsyncIterator[int]:
    """A peer (bench/linkage_peers.py) in a process of its own; yields its port."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.linkage_peers", *role, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode()
        if not line.startswith(f"{READY} "):
            raise RuntimeError(f"bench.linkage_peers {' '.join(role)} did not start: "
                               f"{line!r}")
        yield int(line.split()[1])
    finally:
        process.terminate()
        await process.wait()


# --- latency: alert stored -> the receiver's acknowledgement stored -------------------


def bench_config(workdir: Path, police_url: str, cap_port: int, sia_port: int,
                 store: StoreConfig) -> Path:
    devices = "\n".join(f"  - {{id: pb-{channel}, type: panic_button, name: Button "
                        f"{channel}, zone: school}}" for channel in CHANNELS)
    path = workdir / "bench.yaml"
    path.write_text(f"""\
site: {{id: bench, name: Bench School, timezone: Asia/Shanghai}}
zones: [{{id: school, name: School}}]
adapters: {{mqtt: {{host: 127.0.0.1, port: 1}}}}
devices:
{devices}
channels:
  - {{type: police_http, id: http, url: "{police_url}", secret: {SECRET}}}
  - {{type: cap, id: cap, url: "http://127.0.0.1:{cap_port}/cap", secret: {SECRET},
     sender: campusgw@bench.example}}
  - {{type: sia_dc09, id: dc09, host: 127.0.0.1, port: {sia_port}, account: "{PLAIN_ACCOUNT}"}}
  - {{type: sia_dc09, id: dc09_aes, host: 127.0.0.1, port: {sia_port},
     account: "{AES_ACCOUNT}", key: "{AES_KEY_TEXT.encode().hex()}"}}
store: {{url: "{store.database_url}"}}
api: {{port: 0, token: bench-token-0001}}
""")
    return path


async def channel_latencies_ms(gateway: Gateway, receipts: ReceiptClock, channel: str,
                               alerts: int) -> list[float]:
    """Store `alerts` alerts for `channel` one at a time; for each, the time until the
    gateway stored the receiver's acknowledgement."""
    device = f"pb-{channel}"
    latencies = []
    for i in range(WARM_UP + alerts):
        acknowledged = receipts.expect(device)
        alert = await gateway.manager.apply(AlertSpec(
            key=f"bench:{channel}:{i}", rule_id="bench", site="bench", device_id=device,
            zone="school", category=Category.PANIC, severity=Severity.CRITICAL,
            title=f"一键报警 {channel} {i}", channels=(channel,), ts=gateway.clock.now(),
            latching=True))
        stored_at = time.perf_counter()
        assert alert is not None
        acknowledged_at = await asyncio.wait_for(acknowledged, 30)
        if i >= WARM_UP:
            latencies.append((acknowledged_at - stored_at) * 1000)
    return latencies


async def raw_rtt_ms(port: int, count: int) -> list[float]:
    """64 bytes to the echo process and back, on one TCP connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = b"x" * 64
    samples = []
    for i in range(WARM_UP + count):
        started = time.perf_counter()
        writer.write(payload)
        await reader.readexactly(len(payload))
        if i >= WARM_UP:
            samples.append((time.perf_counter() - started) * 1000)
    writer.close()
    return samples


async def latencies(alerts: int, store: str | None) -> dict[str, list[float]]:
    sia_port = free_port()
    with (tempfile.TemporaryDirectory(prefix="campusgw-bench-linkage-") as folder,
          bench_store(store, Path(folder) / "bench.db") as database):
        async with (beside("echo") as echo_port, police_process() as police_url,
                    beside("cap", "--secret", SECRET) as cap_port,
                    beside("pysiaalarm", "--port", str(sia_port))):
            samples = {"raw_rtt": await raw_rtt_ms(echo_port, alerts)}
            config = load_config(bench_config(Path(folder), police_url, cap_port, sia_port,
                                              database))
            async with serving(config, run_adapters=False) as running:
                receipts = ReceiptClock(running.gateway)
                for channel in CHANNELS:
                    samples[channel] = await channel_latencies_ms(running.gateway, receipts,
                                                                  channel, alerts)
            samples["raw_rtt_after"] = await raw_rtt_ms(echo_port, alerts)
    return samples


# --- receive rate: the gateway's DC-09 receiver and pysiaalarm's ------------------------


async def receive_rate(receiver_port: int, frames: int) -> tuple[float, dict[str, int]]:
    """Frames answered per second by the receiver on `receiver_port`, from the sender
    process; and its answers by kind."""
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.linkage_peers", "send", "--port", str(receiver_port),
        "--frames", str(frames), stdout=asyncio.subprocess.PIPE)
    out, _ = await sender.communicate()
    result = json.loads(out)
    return frames // PANELS * PANELS / result["seconds"], result["answers"]


async def gateway_receive_rate(frames: int) -> tuple[float, dict[str, int]]:
    bus = EventBus()
    events = Counter[str]()
    bus.subscribe(lambda event: events.update((event.point,)))
    panels = [SiaPanelConfig(type="sia_panel", id=f"ap-{account}", name=f"Panel {account}",
                             zone="school", account=account) for account in panel_accounts()]
    adapter = SiaAdapter(SiaSettings(host="127.0.0.1", port=0), panels,
                         AdapterContext("bench", SystemClock(), bus))
    tasks = [asyncio.create_task(bus.run()), asyncio.create_task(adapter.run())]
    try:
        async with asyncio.timeout(10):
            await adapter.wait_listening()
        assert adapter.tcp_port is not None
        rate, answers = await receive_rate(adapter.tcp_port, frames)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    taken = adapter.counters()["ack"]
    if taken != sum(answers.values()) or sum(events.values()) != taken:
        raise RuntimeError(f"the receiver took {taken} frames, published "
                           f"{sum(events.values())} events for {answers}")
    return rate, answers


async def pysiaalarm_receive_rate(frames: int) -> tuple[float, dict[str, int]]:
    port = free_port()
    taken: Counter[str] = Counter()
    client = await start_pysiaalarm(port, taken)
    try:
        rate, answers = await receive_rate(port, frames)
    finally:
        await client.async_stop()
    if sum(taken.values()) != sum(answers.values()):
        raise RuntimeError(f"pysiaalarm took {sum(taken.values())} events for {answers}")
    return rate, answers


# --- the run ------------------------------------------------------------------------


async def run(alerts: int, frames: int, rounds: int, store: str | None) -> dict[str, Any]:
    samples = await latencies(alerts, store)
    rates: dict[str, list[float]] = {"gateway": [], "pysiaalarm": []}
    for _ in range(rounds):  # taking turns, so that a busy moment of the machine hits both
        for name, measure in (("gateway", gateway_receive_rate),
                              ("pysiaalarm", pysiaalarm_receive_rate)):
            rate, answers = await measure(frames)
            if set(answers) != {"ACK"}:
                raise RuntimeError(f"{name} answered {answers}: not every frame was taken")
            rates[name].append(rate)
    return summary(samples, alerts, statistics.median(rates["gateway"]),
                   statistics.median(rates["pysiaalarm"]), store)


def summary(samples: dict[str, list[float]], alerts: int, gateway_rate: float,
            pysiaalarm_rate: float, store: str | None) -> dict[str, Any]:
    raw = samples["raw_rtt"] + samples["raw_rtt_after"]
    result: dict[str, Any] = {"store": backend(store), "alerts_per_channel": alerts}
    for channel in CHANNELS:
        result[f"{channel}_p50_ms"] = round(statistics.median(samples[channel]), 2)
        result[f"{channel}_p99_ms"] = round(percentile(samples[channel], 99), 2)
    result.update({
        "raw_rtt_p50_ms": round(statistics.median(raw), 3),
        "raw_rtt_p99_ms": round(percentile(raw, 99), 3),
        "target_p99_ms": TARGET_P99_MS,
        "dc09_rx_per_s": round(gateway_rate),
        "pysiaalarm_rx_per_s": round(pysiaalarm_rate),
        "dc09_rx_over_pysiaalarm": round(gateway_rate / pysiaalarm_rate, 2),
    })
    return result


def describe(result: dict[str, Any]) -> list[str]:
    raw = max(result["raw_rtt_p99_ms"], 1e-3)
    lines = [f"store {result['store']}, {result['alerts_per_channel']} alerts per channel",
             f"{'channel':10} {'p50 ms':>8} {'p99 ms':>8} {'p99/raw':>8}  target p99 < "
             f"{TARGET_P99_MS:g} ms"]
    for channel in CHANNELS:
        p99 = result[f"{channel}_p99_ms"]
        lines.append(f"{channel:10} {result[f'{channel}_p50_ms']:8.2f} {p99:8.2f} "
                     f"{p99 / raw:7.0f}x  {'ok' if p99 < TARGET_P99_MS else 'MISSED'}")
    lines.append(f"{'raw tcp':10} {result['raw_rtt_p50_ms']:8.3f} {result['raw_rtt_p99_ms']:8.3f}")
    verdict = "ok" if result["dc09_rx_per_s"] >= result["pysiaalarm_rx_per_s"] else "MISSED"
    lines.append(f"DC-09 frames received per second: gateway {result['dc09_rx_per_s']}, "
                 f"pysiaalarm {result['pysiaalarm_rx_per_s']} "
                 f"({result['dc09_rx_over_pysiaalarm']:.2f}x; target >= 1: {verdict})")
    return lines


def main(argv: Sequence[str] | None = None,
         report: Callable[[str], None] = print) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200, help="timed alerts per channel")
    parser.add_argument("--frames", type=int, default=8000,
                        help="DC-09 frames sent to each receiver")
    parser.add_argument("--rounds", type=int, default=3,
                        help="receive-rate rounds per receiver, taking turns (median)")
    parser.add_argument("--store", metavar="URL", help=HELP)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    result = asyncio.run(run(args.alerts, args.frames, args.rounds, args.store))
    for line in describe(result):
        report(line)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
