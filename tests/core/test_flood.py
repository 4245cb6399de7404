"""An alarm flood is one incident: fifty devices of a building falling silent together
raise a few alerts and then one incident naming the building, not fifty; a device that
fails alone still raises its own; panic and fire alarms are never folded; the incident's
title gives the live count of its members, revised at most every few seconds; the incident
clears once every member is back."""

from __future__ import annotations

from pathlib import Path

from gateway.alerts.flood import REVISE_S, THRESHOLD, FloodGate
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from gateway.core.alerts import AlertSpec, AlertState, Category, ClearSpec, Place, Severity
from gateway.core.clock import VirtualClock
from gateway.core.events import Event

T0 = 1_767_225_600.0


def school(tmp_path: Path, sensors: int) -> Path:
    devices = "".join(
        f"  - {{id: gs-{i}, type: gate_sensor, name: Door {i}, zone: {'b' if i else 'a'},"
        f" heartbeat_s: 60}}\n" for i in range(sensors))
    path = tmp_path / "gateway.yaml"
    path.write_text(f"""\
site: {{id: s1, name: School One, timezone: Asia/Shanghai}}
zones:
  - {{id: a, name: Gate house, building: Gate}}
  - {{id: b, name: Dormitory 2F, building: Dormitory}}
devices:
{devices}rules:
  - {{id: offline, select: {{}}, when: {{availability: offline}}, severity: warning,
     category: device_health, title: "Offline {{device}}"}}
store: {{path: {tmp_path / 'gw.db'}}}
api: {{token: test-token-0001}}
""")
    return path


def heard(gateway: Gateway, device: str) -> None:
    gateway.bus.publish(Event("s1", device, "open", False, gateway.clock.now()))


async def test_fifty_devices_silent_together_are_one_incident(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    async with Gateway(load_config(school(tmp_path, 51)), clock, run_adapters=False) as gw:
        for i in range(51):
            heard(gw, f"gs-{i}")
        await gw.settle()
        await clock.advance(60)
        heard(gw, "gs-0")  # the gate house door keeps talking
        await gw.settle()
        await clock.advance(70)  # the dormitory's switch failed: 50 doors silent
        await gw.settle()
        alerts = await gw.store.alerts.newest()
        singles = [a for a in alerts if a.rule_id == "offline" and not a.key.startswith("flood:")]
        [flood] = [a for a in alerts if a.key == "flood:offline"]
        assert len(singles) == THRESHOLD - 1
        assert flood.title.startswith("同时告警 41 处：Dormitory 2F")
        assert "Likely common cause: Dormitory 2F" in flood.message
        assert flood.location == "Dormitory 2F"
        await clock.advance(60)  # then the gate house door fails on its own, later
        await gw.settle()
        alone = [a for a in await gw.store.alerts.newest() if a.device_id == "gs-0"]
        assert [a.key for a in alone] == ["offline:gs-0"]
        for i in range(1, 51):  # the switch is back
            heard(gw, f"gs-{i}")
        await gw.settle()
        flood_now = await gw.store.alerts.get(flood.id)
        assert flood_now is not None and flood_now.state is AlertState.RESOLVED


def place(zone: str, device: str) -> Place:
    return Place("School One", zone, "", "", device, "panic_button")


def spec(key: str, latching: bool = False, ts: float = T0) -> AlertSpec:
    return AlertSpec(key=key, rule_id="r", site="s1", device_id=key, zone="z",
                     category=Category.PANIC if latching else Category.DEVICE_HEALTH,
                     severity=Severity.CRITICAL, title="t", latching=latching, ts=ts)


def test_latching_alarms_are_never_folded_and_a_quiet_window_starts_afresh() -> None:
    gate = FloodGate(place, window_s=30, threshold=3)
    def inactive(_key: str) -> bool:
        return False
    assert [len(gate.admit(spec(f"p{i}", latching=True), inactive)) for i in range(10)] == [1] * 10
    admitted = [gate.admit(spec(f"d{i}", ts=T0 + 40 * i), inactive) for i in range(5)]
    assert all(a == [spec(f"d{i}", ts=T0 + 40 * i)] for i, a in enumerate(admitted))
    later = T0 + 1000
    first, second, third = (gate.admit(spec(f"e{i}", ts=later), inactive) for i in range(3))
    assert first == [spec("e0", ts=later)] and second == [spec("e1", ts=later)]
    [incident] = third
    assert isinstance(incident, AlertSpec) and incident.key == "flood:r"
    assert gate.admit(ClearSpec("e2", later), inactive) == [
        ClearSpec("flood:r", later, "every member cleared")]


def test_members_joining_are_coalesced_into_one_revision_every_few_seconds() -> None:
    gate = FloodGate(place, window_s=30, threshold=1, revise_s=5)
    said: list[tuple[float, str]] = []

    def revisions_due_by(now: float) -> None:  # as the alert manager's timer gives them
        while (due := gate.next_revision()) is not None and due <= now:
            said.extend((due, r.title.split()[1]) for r in gate.revisions_due(due))

    for second in range(20):  # a member joins every second
        revisions_due_by(T0 + second)
        said.extend((T0 + second, o.title.split()[1])
                    for o in gate.admit(spec(f"d{second}", ts=T0 + second), lambda _k: False))
    revisions_due_by(T0 + 60)
    assert said == [(T0, "1"), (T0 + 5, "5"), (T0 + 10, "10"), (T0 + 15, "15"),
                    (T0 + 20, "20")]
    assert gate.next_revision() is None


async def test_a_flood_over_forty_seconds_is_revised_every_few_seconds_to_its_true_count(
        tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    async with Gateway(load_config(school(tmp_path, 51)), clock, run_adapters=False) as gw:
        for i in range(51):  # last heard a second apart: silent a second apart
            heard(gw, f"gs-{i}")
            await clock.advance(1)
        await gw.settle()
        await clock.advance(120 - 51 + THRESHOLD)  # the first members have joined
        await gw.settle()
        [early] = [a for a in await gw.store.alerts.newest() if a.key == "flood:offline"]
        await clock.advance(60)  # the rest join, and the flood settles
        await gw.settle()
        flood = await gw.store.alerts.get(early.id)
        assert flood is not None
        members = 51 - (THRESHOLD - 1)
        assert early.title.startswith("同时告警 ") and early.revision == 1
        assert flood.title.startswith(f"同时告警 {members} 处：Dormitory 2F"), flood.title
        joining_s = members - 1
        assert 2 <= flood.revision <= 2 + joining_s / REVISE_S, flood.revision


def test_members_clearing_are_coalesced_into_the_live_count_and_the_last_clears_it() -> None:
    gate = FloodGate(place, window_s=30, threshold=1, revise_s=5)
    said: list[tuple[float, str]] = []

    def admitted(outcome: AlertSpec | ClearSpec, incident_active: bool = True) -> None:
        now = outcome.ts  # as the alert manager's timer and queue give them
        while (due := gate.next_revision()) is not None and due <= now:
            said.extend((due, r.title.split()[1]) for r in gate.revisions_due(due))
        for o in gate.admit(outcome, lambda key: incident_active and key == "flood:r"):
            said.append((now, o.title.split()[1] if isinstance(o, AlertSpec) else o.reason))

    for i in range(10):  # ten members join at once: one raise, its count said 5 s later
        admitted(spec(f"d{i}"))
    for second in range(1, 10):  # then all but one come back, a second apart
        admitted(ClearSpec(f"d{second}", T0 + second))
    admitted(ClearSpec("d0", T0 + 20))
    assert said == [(T0, "1"), (T0 + 5, "6"), (T0 + 10, "1"),
                    (T0 + 20, "every member cleared")]
    assert gate.next_revision() is None
    said.clear()
    admitted(spec("e0", ts=T0 + 100))
    admitted(spec("e1", ts=T0 + 110))
    assert said == [(T0 + 100, "1"), (T0 + 110, "2")]
    admitted(ClearSpec("e1", T0 + 200), incident_active=False)  # a person resolved it
    assert said == [(T0 + 100, "1"), (T0 + 110, "2")] and gate.next_revision() is None


def test_the_incident_message_says_how_many_members_are_back() -> None:
    gate = FloodGate(place, window_s=30, threshold=1, revise_s=5)
    for i in range(3):
        gate.admit(spec(f"d{i}", ts=T0 + 10 * i), lambda _key: False)
    [revision] = gate.admit(ClearSpec("d1", T0 + 30), lambda key: key == "flood:r")
    assert isinstance(revision, AlertSpec) and revision.ts == T0 + 30
    assert revision.title.startswith("同时告警 2 处")
    assert revision.message.endswith("d0, d2. 1 of 3 are back.")


async def test_devices_coming_back_are_counted_out_every_few_seconds_until_none_is_left(
        tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    async with Gateway(load_config(school(tmp_path, 51)), clock, run_adapters=False) as gw:
        for i in range(51):
            heard(gw, f"gs-{i}")
        await gw.settle()
        await clock.advance(130 + REVISE_S)  # the whole school's switch failed
        await gw.settle()
        alerts = await gw.store.alerts.newest()
        [flood] = [a for a in alerts if a.key == "flood:offline"]
        singles = {a.device_id for a in alerts if a.rule_id == "offline" and a is not flood}
        members = [f"gs-{i}" for i in range(51) if f"gs-{i}" not in singles]
        assert len(members) == 51 - (THRESHOLD - 1)
        assert flood.title.startswith(f"同时告警 {len(members)} 处"), flood.title
        for device in members[:20]:  # twenty come back, a second apart
            heard(gw, device)
            await gw.settle()
            await clock.advance(1)
        await clock.advance(REVISE_S)
        await gw.settle()
        revised = await gw.store.alerts.get(flood.id)
        assert revised is not None and revised.active
        assert revised.title.startswith(f"同时告警 {len(members) - 20} 处"), revised.title
        assert revised.message.endswith(f"20 of {len(members)} are back.")
        assert revised.revision - flood.revision <= 1 + 20 / REVISE_S
        for device in members[20:]:
            heard(gw, device)
        await gw.settle()
        cleared = await gw.store.alerts.get(flood.id)
        assert cleared is not None and cleared.state is AlertState.RESOLVED
