"""The adapter against Modbus TCP servers others wrote (installed by
scripts/install-peers-modbus.sh): npm `modbus-serial`'s ServerTCP, PyPI `pyModbusTCP`'s
ModbusServer and PyPI `uModbus`'s TCP server, each serving the registers of
tests/modbus/peers/register_layout.py (the same as the libmodbus peer's). Values, the
exception a peer answers for an address it does not serve, and a peer that goes away and
comes back."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from adapters.modbus import ModbusSettings
from adapters.modbus.config import PollingDefaults
from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY
from tests.helpers import free_port, require_npm_package
from tests.modbus.conftest import Recorder, fire_panel, pollers
from tests.modbus.test_interop import HINT, LIBMODBUS_POINTS, LIBMODBUS_VALUES, PEERS

pytestmark = pytest.mark.interop

UNSERVED = {"point": "aux", "table": "holding_register", "address": 5000}


def _modbus_serial() -> list[str]:
    node = require_npm_package(PEERS, "modbus-serial", HINT)
    return [node, str(PEERS / "modbus_serial_server.js")]


def _python_peer(module: str, script: str) -> Callable[[], list[str]]:
    def command() -> list[str]:
        if importlib.util.find_spec(module) is None:
            message = f"{module} is not installed: {HINT}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        return [sys.executable, str(PEERS / script)]
    return command


SERVERS: dict[str, Callable[[], list[str]]] = {
    "modbus-serial": _modbus_serial,
    "pyModbusTCP": _python_peer("pyModbusTCP", "pymodbustcp_server.py"),
    "uModbus": _python_peer("umodbus", "umodbus_server.py"),
}


class PeerServer:
    """One peer's server process on a fixed port, which a test may stop and start again."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        process = subprocess.Popen([*self.command, str(self.port)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd=PEERS)
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if line != b"ready":
            self.stop()
            pytest.fail(f"{self.command[-1]} did not start: {line!r}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(params=sorted(SERVERS))
def peer(request: pytest.FixtureRequest) -> Iterator[PeerServer]:
    server = PeerServer(SERVERS[request.param]())
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_adapter_reads_the_peer(peer: PeerServer, recorder: Recorder) -> None:
    device = fire_panel("peer", peer.port, points=LIBMODBUS_POINTS)
    async with pollers([device], recorder, VirtualClock()) as (poller,):
        await poller.poll()
        await poller.poll()
        events = await recorder.take_settled()
    values = {e.point: e.value for e in events}
    assert len(events) == len(values)  # the second poll changed nothing
    assert values.pop(AVAILABILITY) == "online"
    assert values == LIBMODBUS_VALUES


async def test_an_unserved_address_is_a_fault_and_the_rest_still_reads(
        peer: PeerServer, recorder: Recorder) -> None:
    device = fire_panel("peer", peer.port, points=[*LIBMODBUS_POINTS, UNSERVED])
    async with pollers([device], recorder, VirtualClock()) as (poller,):
        await poller.poll()
        await poller.poll()
        events = await recorder.take_settled()
    availability = [(e.value, e.detail) for e in events if e.point == AVAILABILITY]
    assert availability == [("fault", "modbus exception 2 (illegal data address)")]
    values = {e.point: e.value for e in events if e.point != AVAILABILITY}
    assert values == LIBMODBUS_VALUES  # "aux" never had a value


async def test_a_peer_that_goes_away_is_offline_then_read_in_full_again(
        peer: PeerServer, recorder: Recorder) -> None:
    clock = VirtualClock()
    settings = ModbusSettings(polling=PollingDefaults.model_validate(
        {"offline_after": 2, "retry_initial_s": 1.0, "retry_max_s": 2.0}))
    device = fire_panel("peer", peer.port, points=LIBMODBUS_POINTS)
    async with pollers([device], recorder, clock, settings) as (poller,):
        await poller.poll()
        await recorder.take_settled()
        peer.stop()
        for _ in range(2):
            await poller.poll()
            await clock.advance(0.5)
        gone = await recorder.take_settled()
        assert [e.value for e in gone] == ["offline"]
        peer.start()
        while poller.availability.value != "online":
            await clock.advance(0.5)
            await poller.poll()
        back = await recorder.take_settled()
    values = {e.point: e.value for e in back}
    assert values.pop(AVAILABILITY) == "online"
    assert values == LIBMODBUS_VALUES  # re-read in full, not only what changed
