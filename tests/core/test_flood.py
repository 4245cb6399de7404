"""An alarm flood is one incident: fifty devices of a building falling silent together
raise a few alerts and then one incident naming the building, not fifty; a device that
fails alone still raises its own; panic and fire alarms are never folded; the incident
clears once every member is back."""

from __future__ import annotations

from pathlib import Path

from gateway.alerts.flood import THRESHOLD, FloodGate
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
        assert flood.title.startswith("同时告警 32+ 处：Dormitory 2F")
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
