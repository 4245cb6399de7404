"""Interop with Modbus peers nobody here wrote (installed by
scripts/install-peers-modbus.sh): our adapter against a libmodbus server, and our
fire-panel simulator read by mbpoll."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core.clock import VirtualClock
from simulators.modbus import FirePanelSimulator
from tests.helpers import free_port, require_binary
from tests.modbus.conftest import Recorder, fire_panel, pollers

pytestmark = pytest.mark.interop

HINT = "run scripts/install-peers-modbus.sh"
PEERS = Path(__file__).parent / "peers"


def _libmodbus_flags() -> list[str]:
    pkg_config = require_binary("pkg-config", HINT)
    found = subprocess.run([pkg_config, "--cflags", "--libs", "libmodbus"],
                           capture_output=True, text=True, check=False)
    if found.returncode != 0:
        message = f"libmodbus-dev is not installed: {HINT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found.stdout.split()


@pytest.fixture
def libmodbus_server(tmp_path: Path) -> Iterator[int]:
    """The C server built from tests/modbus/peers/libmodbus_server.c, on a free port."""
    compiler = require_binary("gcc", HINT)
    binary = tmp_path / "libmodbus_server"
    subprocess.run([compiler, "-O1", "-o", str(binary), str(PEERS / "libmodbus_server.c"),
                    *_libmodbus_flags()], check=True, timeout=60)
    port = free_port()
    process = subprocess.Popen([str(binary), str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


LIBMODBUS_POINTS = [
    {"point": "f_abcd", "table": "holding_register", "address": 0, "type": "float32"},
    {"point": "f_cdab", "table": "holding_register", "address": 2, "type": "float32",
     "word_order": "little"},
    {"point": "counter", "table": "holding_register", "address": 8, "type": "uint32"},
    {"point": "offset", "table": "holding_register", "address": 10, "type": "int16"},
    {"point": "level.{n}", "table": "input_register", "address": 0, "repeat": 4},
    {"point": "input.{n}", "table": "discrete_input", "address": 0, "type": "bit",
     "repeat": 8, "first": 0},
]
LIBMODBUS_VALUES = {
    "f_abcd": 3.14159, "f_cdab": 3.14159,
    "counter": 3_000_000_123, "offset": -1234,
    "level.1": 100, "level.2": 200, "level.3": 300, "level.4": 400,
    **{f"input.{i}": bit for i, bit in enumerate(
        [True, False, True, True, False, False, False, True])},
}


async def test_adapter_reads_a_libmodbus_server(libmodbus_server: int,
                                                recorder: Recorder) -> None:
    device = fire_panel("peer", libmodbus_server, points=LIBMODBUS_POINTS)
    async with pollers([device], recorder, VirtualClock()) as (poller,):
        await poller.poll()
        await poller.poll()
        events = await recorder.take_settled()
    values = {e.point: e.value for e in events}
    assert len(events) == len(values)  # the second poll changed nothing
    assert values.pop("availability") == "online"
    assert values == LIBMODBUS_VALUES
    assert len(poller.blocks) == 3


async def _mbpoll(*args: str) -> str:
    binary = require_binary("mbpoll", HINT)
    process = await asyncio.create_subprocess_exec(
        binary, "-m", "tcp", "-a", "1", "-1", "-o", "2", *args, "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    return out.decode()


def _values(output: str) -> dict[int, int]:
    values = {}
    for line in output.splitlines():
        if line.startswith("["):
            reference, _, value = line.partition(":")
            values[int(reference.strip("[]"))] = int(value.split()[0])
    return values


async def test_mbpoll_reads_the_fire_panel_simulator() -> None:
    require_binary("mbpoll", HINT)
    async with FirePanelSimulator(zones=8, loops=2) as sim:
        sim.inject_fire(3)
        sim.inject_fault(6)
        sim.mains_power_loss()
        port = str(sim.port)
        zones = _values(await _mbpoll("-p", port, "-t", "3", "-r", "101", "-c", "8"))
        flags = _values(await _mbpoll("-p", port, "-t", "1", "-r", "1", "-c", "7"))
        battery = await _mbpoll("-p", port, "-t", "3:float", "-B", "-r", "7", "-c", "1")
    assert zones == {101: 0, 102: 0, 103: 2, 104: 0, 105: 0, 106: 3, 107: 0, 108: 0}
    assert flags == {1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1, 7: 0}
    assert "25.6" in battery
