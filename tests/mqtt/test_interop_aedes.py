"""The MQTT adapter and the device simulator against npm `aedes`, a broker nobody here
wrote (installed by scripts/install-peers-mqtt.sh): presses, gates and heartbeats, a
persistent session while the gateway is away, order under load, and a broker restart that
loses every session (aedes keeps them in memory only)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core.clock import VirtualClock
from tests.helpers import eventually, free_port, require_npm_package, wait_for_port
from tests.mqtt.rig import (
    fleet_rig,
    gate_sensor,
    panic_button,
    rig,
    running_adapter,
    running_bus,
    running_fleet,
    settings_for,
)

pytestmark = pytest.mark.interop

PEERS = Path(__file__).parent / "peers"
HINT = "run scripts/install-peers-mqtt.sh"


class AedesBroker:
    """tests/mqtt/peers/aedes_broker.mjs on a free port; `stop()` and `start()` restart
    it on the same port, with nothing kept."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.host = "127.0.0.1"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        process = subprocess.Popen([self.node, str(PEERS / "aedes_broker.mjs"), str(self.port)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PEERS)
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if line != b"ready":
            self.stop()
            pytest.fail(f"aedes did not start: {line!r}")
        wait_for_port(self.port)

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


@pytest.fixture
def aedes() -> Iterator[AedesBroker]:
    broker = AedesBroker(require_npm_package(PEERS, "aedes", HINT))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


async def test_presses_gates_and_heartbeats_pass_through_aedes(aedes: AedesBroker) -> None:
    clock = VirtualClock(start=1_780_000_000.0)
    devices = [panic_button("pb-a-301", heartbeat_s=30), gate_sensor("gs-main")]
    async with fleet_rig(aedes.host, aedes.port, devices, clock,
                         heartbeats=True) as (r, fleet):
        await r.log.wait_point("pb-a-301", "heartbeat", 1)
        await fleet.press("pb-a-301")
        pressed = await r.log.wait_point("pb-a-301", "pressed", True)
        await fleet.release("pb-a-301")
        await r.log.wait_point("pb-a-301", "pressed", False)
        await fleet.force_gate("gs-main")
        forced = await r.log.wait_point("gs-main", "forced", True)
        await clock.advance(30)
        await r.log.wait_point("pb-a-301", "heartbeat", 2)
    assert (pressed.urgent, pressed.ts) == (True, 1_780_000_000.0)
    assert forced.urgent
    assert [e.value for e in r.log.of("pb-a-301", "pressed")] == [True, False]
    assert r.adapter.counters()["malformed"] == 0


async def test_what_devices_publish_while_the_gateway_is_away_waits_in_its_session(
        aedes: AedesBroker) -> None:
    devices = [panic_button("pb-1"), gate_sensor("gs-1")]
    settings = settings_for(aedes.port, client_id="campusgw-aedes-session")
    async with running_bus() as (bus, log):
        async with running_adapter(settings, devices, bus):
            pass  # first run: aedes learns the session and its subscriptions
        async with running_fleet(aedes.host, aedes.port, devices) as fleet:
            await fleet.press("pb-1")
            await fleet.open_gate("gs-1")
            async with running_adapter(settings, devices, bus):
                pressed = await log.wait_point("pb-1", "pressed", True)
                await log.wait_point("gs-1", "open", True)
    assert pressed.urgent


async def test_a_thousand_messages_at_once_arrive_in_order(aedes: AedesBroker) -> None:
    devices = [gate_sensor("gs-1")]
    async with fleet_rig(aedes.host, aedes.port, devices) as (r, fleet):
        load = [message for n in range(1000)
                for message in fleet.messages_of("gs-1", {"open": n % 2 == 0})]
        await fleet.publish_many(load)
        await r.log.wait_for(lambda _e: len(r.log.of("gs-1", "open")) == 1000)
    assert [e.value for e in r.log.of("gs-1", "open")] == [n % 2 == 0 for n in range(1000)]


async def test_a_restarted_aedes_lost_the_session_and_the_adapter_subscribes_again(
        aedes: AedesBroker) -> None:
    devices = [panic_button("pb-1")]
    async with rig(settings_for(aedes.port, client_id="campusgw-aedes-lost"), devices) as r, \
            running_fleet(aedes.host, aedes.port, devices) as fleet:
        aedes.stop()
        aedes.start()
        await eventually(lambda: r.adapter.counters()["reconnects"] == 1
                         and r.adapter.connected, what="the adapter back")
        await fleet.press("pb-1")
        pressed = await r.log.wait_point("pb-1", "pressed", True, within_s=10)
        counters = r.adapter.counters()
    assert pressed.urgent
    assert counters["sessions_lost"] == 1
