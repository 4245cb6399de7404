"""The demo's DC-09 alarm panel (simulators/alarm_panel.py) against the gateway's receiver
(adapters/sia): events and NULL supervision arrive as the panel's points, plain and
encrypted; a skewed panel clock is set by the receiver's NAK; DUH is final; a receiver
that is not there is an error after the attempts. And the school's config has the panel,
its zones checked against the site's."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from adapters.sia import SiaPanelConfig
from gateway.app.config import load_config
from gateway.core.clock import Clock, VirtualClock
from gateway.core.configfile import ConfigError
from gateway.demo.school import DORM_PANEL_ACCOUNT, DORM_PANEL_NORTH_DOOR, SCHOOL_CONFIG
from simulators.alarm_panel import AlarmPanelSimulator, PanelLinkError
from simulators.net import free_port
from tests.helpers import eventually
from tests.sia.rig import KEY16, Rig, panel, receiving

ZONES = {1: {"name": "north-door", "zone": "dorm-1"}, 2: {"name": "corridor-2f"}}


@asynccontextmanager
async def reporting(rig: Rig, account: str = "7301", key: bytes | None = None,
                    clock: Clock | None = None) -> AsyncIterator[AlarmPanelSimulator]:
    simulator = AlarmPanelSimulator("127.0.0.1", rig.port, account, key=key,
                                    answer_timeout_s=2.0, clock=clock or rig.clock)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.mark.parametrize("key", [None, KEY16])
async def test_intrusion_restore_and_supervision_arrive_as_the_panels_points(
        key: bytes | None) -> None:
    async with receiving([panel("ap-dorm", "7301", key, zones=ZONES)]) as rig, \
            reporting(rig, key=key) as simulator:
        assert await simulator.report("BA", 1) == "ACK"
        assert await simulator.report("BH", 1) == "ACK"
        assert await simulator.contact_id(1, 130, 2) == "ACK"
        assert await simulator.supervise() == "ACK"
        await rig.settled()
        assert rig.values("ap-dorm") == [
            ("intrusion.north-door", True), ("intrusion.north-door", False),
            ("intrusion.corridor-2f", True), ("heartbeat", 4)]
        assert simulator.answers == {"ACK": 4}


async def test_a_skewed_clock_is_set_by_the_receivers_nak() -> None:
    async with receiving([panel("ap-dorm", "7301", zones=ZONES)]) as rig, \
            reporting(rig, clock=VirtualClock(rig.clock.now() - 600)) as simulator:
        assert await simulator.report("BA", 1) == "ACK"
        assert simulator.answers == {"NAK": 1, "ACK": 1}
        await rig.settled()
        assert rig.values("ap-dorm") == [("intrusion.north-door", True)]


async def test_duh_is_final_and_no_receiver_is_an_error() -> None:
    async with receiving([panel("ap-dorm", "7301")]) as rig, \
            reporting(rig, account="9999") as stranger:
        assert await stranger.report("BA", 1) == "DUH"
        assert stranger.answers == {"DUH": 1}
    nobody = AlarmPanelSimulator("127.0.0.1", free_port(), "7301", attempts=2)
    started = time.monotonic()
    with pytest.raises(PanelLinkError, match="not taken after 2 attempts"):
        await nobody.report("BA", 1)
    assert time.monotonic() - started < 2
    await nobody.stop()


async def test_a_null_message_every_heartbeat() -> None:
    clock = VirtualClock(time.time())
    async with receiving([panel("ap-dorm", "7301", heartbeat_s=60)], clock) as rig:
        simulator = AlarmPanelSimulator("127.0.0.1", rig.port, "7301", heartbeat_s=30,
                                        clock=clock)
        await simulator.start()
        try:
            await clock.advance(30)
            await eventually(lambda: simulator.answers["ACK"] == 1, what="a NULL message")
            await clock.advance(30)
            await eventually(lambda: simulator.answers["ACK"] == 2, what="another")
        finally:
            await simulator.stop()
        await rig.settled()
        assert rig.values("ap-dorm") == [("heartbeat", 1), ("heartbeat", 2)]


def test_the_school_has_the_dc09_panel_and_its_zones_are_checked(tmp_path: Path) -> None:
    school = load_config(SCHOOL_CONFIG)
    [dorm_panel] = [d for d in school.devices if isinstance(d, SiaPanelConfig)]
    assert dorm_panel.account == DORM_PANEL_ACCOUNT and dorm_panel.aes_key() is not None
    assert dorm_panel.zones[DORM_PANEL_NORTH_DOOR].name == "north-door"
    path = tmp_path / "gateway.yaml"
    path.write_text("""\
site: {id: s1, name: School One}
zones: [{id: dorm-1, name: Dormitory}]
devices:
  - type: sia_panel
    id: ap-dorm
    name: Dormitory panel
    zone: dorm-1
    account: "7301"
    zones:
      1: {name: north-door, zone: dorm-1}
      2: {name: windows, zone: dorm-2}
api: {token: t-long-enough-token}
""")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert refused.value.problems == [
        f"{path}:11: devices[0].zones.2.zone: unknown zone 'dorm-2' (did you mean 'dorm-1'?)"]
