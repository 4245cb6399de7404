"""Modbus polling benchmark: many simulated fire panels polled at 1 Hz.

    python -m bench.modbus_poll [--panels 200] [--seconds 20] [--json PATH]

The panels (64 points each) run in a child process, one pymodbus TCP server per port.
In the same run it measures, against the same servers:

1. scheduled: the gateway's adapters poll every panel at 1 Hz on their APScheduler
   schedule while one more panel times out on every request: polls/s achieved, CPU
   seconds per 1,000 polls, and the largest delay of any healthy panel's poll;
2. raw: plain pymodbus clients issue the same block reads back to back;
3. saturated: the adapter's poll cycle (read, decode, compare, publish) back to back.

Phases 2 and 3 alternate in three rounds. `ratio` is the saturated adapter's block reads
per second over the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pymodbus.client import AsyncModbusTcpClient

from adapters.base import AdapterContext
from adapters.modbus import FirePanelConfig, ModbusSettings, build_endpoint_adapters
from adapters.modbus.adapter import ModbusEndpointAdapter
from adapters.modbus.config import PollingDefaults
from adapters.modbus.planner import ReadBlock
from adapters.modbus.points import Table
from gateway.core.bus import EventBus
from gateway.core.clock import SystemClock
from simulators.modbus import FirePanelSimulator

ZONES, LOOPS = 49, 4  # 7 flags + 4 diagnostics + 49 zones + 4 loops = 64 points
INTERVAL_S = 1.0
ROUNDS = 3
JITTER_S = 0.05


async def serve(panels: int) -> None:
    """Child process: run the panels, print their ports, stop when stdin closes."""
    simulators = [FirePanelSimulator(zones=ZONES, loops=LOOPS) for _ in range(panels)]
    for simulator in simulators:
        await simulator.start()
    print(json.dumps([s.port for s in simulators]), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for simulator in simulators:
        await simulator.stop()


def _panel(device_id: str, port: int, timeout_s: float = 1.0) -> FirePanelConfig:
    return FirePanelConfig.model_validate({
        "type": "fire_panel", "id": device_id, "name": device_id, "zone": "bench",
        "connection": {"host": "127.0.0.1", "port": port},
        "counts": {"zones": ZONES, "loops": LOOPS}, "timeout_s": timeout_s})


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _scheduled(adapters: list[ModbusEndpointAdapter], seconds: float) -> dict[str, Any]:
    healthy = [p for a in adapters for p in a.pollers if p.device.id != "fp-hung"]
    hung = next(p for a in adapters for p in a.pollers if p.device.id == "fp-hung")
    tasks = [asyncio.create_task(a.run()) for a in adapters]
    try:
        await asyncio.sleep(INTERVAL_S * 2)  # every panel connected and polled once
        polls0 = sum(p.polls for p in healthy)
        for p in healthy:
            p.max_lateness_s = 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        polls = sum(p.polls for p in healthy) - polls0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "polls_per_s": polls / wall,
        "cpu_s_per_1000_polls": cpu / polls * 1000 if polls else None,
        "max_poll_delay_s": max(p.max_lateness_s for p in healthy) + JITTER_S,
        "timing_out_panel": {"availability": hung.availability.value,
                             "timeouts": hung.connection.timeouts},
    }


async def _raw(ports: Sequence[int], blocks: Sequence[ReadBlock], seconds: float) -> float:
    """Plain pymodbus block reads, back to back, one client per panel."""
    clients = [AsyncModbusTcpClient("127.0.0.1", port=port, timeout=5, retries=0,
                                    reconnect_delay=0) for port in ports]
    for client in clients:
        await client.connect()
    count = 0
    stop_at = time.perf_counter() + seconds

    async def reader(client: AsyncModbusTcpClient) -> None:
        nonlocal count
        while time.perf_counter() < stop_at:
            for block in blocks:
                if block.table is Table.DISCRETE_INPUT:
                    response = await client.read_discrete_inputs(block.start, count=block.count,
                                                                 device_id=1)
                else:
                    response = await client.read_input_registers(block.start, count=block.count,
                                                                 device_id=1)
                if response.isError():
                    raise RuntimeError(f"raw read failed: {response}")
                count += 1

    began = time.perf_counter()
    await asyncio.gather(*(reader(c) for c in clients))
    elapsed = time.perf_counter() - began
    for client in clients:
        client.close()
    return count / elapsed


async def _saturated(adapters: list[ModbusEndpointAdapter], seconds: float) -> tuple[float, float]:
    pollers = [p for a in adapters for p in a.pollers]
    requests0 = sum(a.connection.requests for a in adapters)
    polls = 0
    stop_at = time.perf_counter() + seconds

    async def loop(poller: Any) -> None:
        nonlocal polls
        while time.perf_counter() < stop_at:
            await poller.poll()
            polls += 1

    began = time.perf_counter()
    await asyncio.gather(*(loop(p) for p in pollers))
    elapsed = time.perf_counter() - began
    requests = sum(a.connection.requests for a in adapters) - requests0
    return requests / elapsed, polls / elapsed


async def run(panels: int, seconds: float, raw_seconds: float) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.modbus_poll", "--serve", str(panels),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    hung = FirePanelSimulator(zones=ZONES, loops=LOOPS)
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        ports: list[int] = json.loads(line)
        await hung.start()
        hung.server.response_delay_s = 3600.0  # never answers in time
        bus = EventBus()
        bus_task = asyncio.create_task(bus.run())
        ctx = AdapterContext(site="bench", clock=SystemClock(), bus=bus)
        devices = [_panel(f"fp-{i:03d}", port) for i, port in enumerate(ports)]
        devices.append(_panel("fp-hung", hung.port, timeout_s=0.8))
        settings = ModbusSettings(polling=PollingDefaults(
            interval_s=INTERVAL_S, jitter_s=JITTER_S, timeout_s=1.0, retry_initial_s=1.0,
            retry_max_s=5.0))
        adapters = build_endpoint_adapters(settings, devices, ctx)
        sample = adapters[0].pollers[0]
        requests_per_cycle = len(sample.blocks)
        naive = sum(len(b.points) for b in sample.blocks)

        scheduled = await _scheduled(adapters, seconds)
        server_cpu0 = _process_cpu(child.pid)
        healthy = [a for a in adapters if a.pollers[0].device.id != "fp-hung"]
        for adapter in adapters:
            adapter.connection.close()
        raw_rates, adapter_rates, polls_rates = [], [], []
        for _ in range(ROUNDS):  # alternated, so that drift of the machine favours neither
            raw_rates.append(await _raw(ports, sample.blocks, raw_seconds / ROUNDS))
            adapter_rate, max_polls = await _saturated(healthy, raw_seconds / ROUNDS)
            adapter_rates.append(adapter_rate)
            polls_rates.append(max_polls)
        raw_rate = sum(raw_rates) / ROUNDS
        adapter_rate = sum(adapter_rates) / ROUNDS
        max_polls = sum(polls_rates) / ROUNDS
        server_cpu = _process_cpu(child.pid) - server_cpu0
        for adapter in adapters:
            adapter.connection.close()
        bus_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bus_task
    finally:
        await hung.stop()
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await child.wait()
    return {
        "panels": panels,
        "points_per_panel": naive,
        "interval_s": INTERVAL_S,
        "seconds": seconds,
        "polls_per_s": round(scheduled["polls_per_s"], 2),
        "target_polls_per_s": panels / INTERVAL_S,
        "cpu_s_per_1000_polls": round(scheduled["cpu_s_per_1000_polls"] or 0.0, 4),
        "max_poll_delay_s": round(scheduled["max_poll_delay_s"], 4),
        "timing_out_panel": scheduled["timing_out_panel"],
        "requests_per_cycle": requests_per_cycle,
        "naive_requests_per_cycle": naive,
        "request_reduction": round(naive / requests_per_cycle, 1),
        "raw_reads_per_s": round(raw_rate, 1),
        "adapter_reads_per_s": round(adapter_rate, 1),
        "adapter_max_polls_per_s": round(max_polls, 1),
        "ratio": round(adapter_rate / raw_rate, 3),
        "server_cpu_s_raw_and_saturated": round(server_cpu, 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--panels", type=int, default=200, help="simulated panels")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="length of the scheduled 1 Hz phase")
    parser.add_argument("--raw-seconds", type=float, default=5.0,
                        help="total length of each back-to-back phase (raw and saturated)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    figures = asyncio.run(run(args.panels, args.seconds, args.raw_seconds))
    print(f"panels: {figures['panels']} x {figures['points_per_panel']} points at "
          f"{1 / figures['interval_s']:g} Hz for {figures['seconds']:g} s")
    print(f"polls/s achieved:         {figures['polls_per_s']} "
          f"(target {figures['target_polls_per_s']:g})")
    print(f"requests per poll cycle:  {figures['requests_per_cycle']} "
          f"(one read per point: {figures['naive_requests_per_cycle']}, "
          f"{figures['request_reduction']}x fewer)")
    print(f"CPU s per 1,000 polls:    {figures['cpu_s_per_1000_polls']}")
    print(f"max poll delay:           {figures['max_poll_delay_s']} s "
          f"(while one panel timed out {figures['timing_out_panel']['timeouts']} times, "
          f"now {figures['timing_out_panel']['availability']})")
    print(f"raw pymodbus block reads: {figures['raw_reads_per_s']}/s")
    print(f"adapter block reads:      {figures['adapter_reads_per_s']}/s "
          f"({figures['adapter_max_polls_per_s']} polls/s)")
    print(f"ratio adapter/raw:        {figures['ratio']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
