"""The system clock stepped an hour forward and back (an NTP correction, a wrong manual
setting undone) under a running gateway. `SteppedClock` is the real clock's shape on the
virtual one: `now()` is wall time, which steps; sleeps run on elapsed time, which does not
(asyncio sleeps on the monotonic clock). Heartbeat supervision, escalation and `for:`
durations must follow elapsed time: a step is not an hour of silence, nor an hour without
acknowledgement, nor an hour of a gate held open. Calendar windows follow the wall clock:
after a step, a night rule is as the new time says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.app.gateway import CLOCK_STEP_CHECK_S, Gateway
from gateway.core.alerts import Alert, AlertSpec, AlertState, Category, EscalationStep, Severity
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from tests.core.support import school_config

HOUR = 3600.0
NIGHT_START = 1_767_272_400.0
"""2026-01-01 21:00 at the school (Asia/Shanghai): an hour before its night window."""
TIMED_RULES = """\
  - {id: held-open, select: {type: gate_sensor}, when: {point: open}, for: 30s,
     severity: high, category: intrusion, title: "{device} held open"}
  - {id: night-gate, select: {type: gate_sensor}, when: {point: open},
     during: {hours: ["22:00-06:00"]}, severity: high, category: perimeter,
     title: "{device} open at night"}
"""


class SteppedClock(VirtualClock):
    """A virtual clock whose wall time can be stepped without elapsed time passing."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        super().__init__(start)
        self.offset = 0.0

    def now(self) -> float:
        return super().now() + self.offset

    async def step(self, seconds: float) -> None:
        self.offset += seconds
        await self.advance(0)


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
async def gateway(tmp_path: Path, clock: SteppedClock) -> AsyncIterator[Gateway]:
    async with Gateway(school_config(tmp_path), clock, run_adapters=False) as running:
        yield running


async def beat_for(gateway: Gateway, clock: SteppedClock, seconds: float) -> None:
    """pb-1 (heartbeat_s 60) beats every 30 s of elapsed time."""
    for _ in range(int(seconds // 30)):
        gateway.bus.publish(Event("s1", "pb-1", "heartbeat", 1, clock.now()))
        await clock.advance(30)
        await gateway.settle()


async def test_a_clock_step_is_not_silence(gateway: Gateway, clock: SteppedClock) -> None:
    availability: list[str] = []
    gateway.bus.subscribe(lambda e: availability.append(str(e.value))
                          if e.is_availability and e.device_id == "pb-1" else None)
    await beat_for(gateway, clock, 120)
    await clock.step(HOUR)
    await beat_for(gateway, clock, 180)
    await clock.step(-HOUR)
    await beat_for(gateway, clock, 180)
    assert availability == ["online"]
    assert await gateway.store.alerts.newest() == []


async def test_silence_across_a_step_back_is_noticed_after_its_elapsed_time(
        gateway: Gateway, clock: SteppedClock) -> None:
    availability: list[str] = []
    gateway.bus.subscribe(lambda e: availability.append(str(e.value))
                          if e.is_availability and e.device_id == "pb-1" else None)
    await beat_for(gateway, clock, 30)  # one beat, then pb-1 falls silent
    await clock.step(-HOUR)
    await clock.advance(89)
    await gateway.settle()
    assert availability == ["online"], "offline before two heartbeat intervals"
    await clock.advance(2)  # 121 s after the beat
    await gateway.settle()
    assert availability == ["online", "offline"]


async def test_escalation_follows_elapsed_time_across_steps(gateway: Gateway,
                                                            clock: SteppedClock) -> None:
    step = EscalationStep(after_s=120, severity=Severity.CRITICAL, note="not acknowledged")
    await gateway.manager.apply(AlertSpec(
        key="panic:pb-2", rule_id="panic", site="s1", device_id="pb-2", zone="a3",
        category=Category.PANIC, severity=Severity.HIGH, title="Alarm A301", latching=True,
        ts=clock.now(), escalation=(step,)))
    await gateway.settle()
    await clock.step(HOUR)
    await clock.advance(60)
    await gateway.settle()
    alert = await panic(gateway)
    assert alert.escalation_level == 0, "escalated after 60 s of elapsed time"
    await clock.advance(65)
    await gateway.settle()
    await clock.step(-HOUR)
    await clock.advance(300)
    await gateway.settle()
    alert = await panic(gateway)
    assert (alert.escalation_level, alert.severity) == (1, Severity.CRITICAL)


async def test_pending_escalation_steps_follow_elapsed_time_across_steps_back_and_forth(
        gateway: Gateway, clock: SteppedClock) -> None:
    steps = (EscalationStep(after_s=120, severity=Severity.CRITICAL, note="2 min"),
             EscalationStep(after_s=300, note="5 min"))
    await gateway.manager.apply(AlertSpec(
        key="panic:pb-2", rule_id="panic", site="s1", device_id="pb-2", zone="a3",
        category=Category.PANIC, severity=Severity.HIGH, title="Alarm A301", latching=True,
        ts=clock.now(), escalation=steps))
    await gateway.settle()
    levels = []
    for step_s, elapsed_s in ((-HOUR, 10), (0.0, 109), (0.0, 2), (HOUR, 29), (0.0, 149),
                              (0.0, 2)):
        await clock.step(step_s)
        await clock.advance(elapsed_s)
        await gateway.settle()
        levels.append((await panic(gateway)).escalation_level)
    # at 10, 119 and 121 s of elapsed time, then at 150, 299 and 301 s
    assert levels == [0, 0, 1, 1, 1, 2]


async def panic(gateway: Gateway) -> Alert:
    (alert,) = [a for a in await gateway.store.alerts.newest() if a.key == "panic:pb-2"]
    return alert


async def gate_alert(gateway: Gateway, key: str) -> Alert | None:
    found = await states(gateway, key)
    assert len(found) <= 1, found
    return next((a for a in await gateway.store.alerts.newest() if a.key == key), None)


async def states(gateway: Gateway, key: str) -> list[AlertState]:
    """The states of the alerts of `key`, open ones first (a step makes the order in which
    they were raised and their timestamps disagree)."""
    found = [a.state for a in await gateway.store.alerts.newest() if a.key == key]
    return sorted(found, key=lambda state: state is not AlertState.OPEN)


async def hold_gate_open_across(step_s: float, tmp_path: Path) -> None:
    """The gate opens; 10 s later the clock is stepped by `step_s` and an unrelated event
    comes: `held-open` is raised 30 s of elapsed time after the opening, not before."""
    clock = SteppedClock()
    config = school_config(tmp_path, rules=TIMED_RULES)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        opened = clock.now()
        gateway.bus.publish(Event("s1", "gs-1", "open", True, opened))
        await gateway.settle()
        await clock.advance(10)
        await clock.step(step_s)
        gateway.bus.publish(Event("s1", "pb-1", "heartbeat", 1, clock.now()))
        await gateway.settle()
        await clock.advance(19)
        await gateway.settle()
        assert await gate_alert(gateway, "held-open:gs-1") is None, "raised before 30 s"
        await clock.advance(1)
        await gateway.settle()
        alert = await gate_alert(gateway, "held-open:gs-1")
        assert alert is not None, "not raised after 30 s of elapsed time"
        assert alert.raised_at == opened + step_s + 30


async def test_a_for_duration_holds_30_s_of_elapsed_time_across_a_step_forward(
        tmp_path: Path) -> None:
    await hold_gate_open_across(HOUR, tmp_path)


async def test_a_for_duration_holds_30_s_of_elapsed_time_across_a_step_back(
        tmp_path: Path) -> None:
    await hold_gate_open_across(-HOUR, tmp_path)


async def test_a_window_rule_follows_the_wall_clock_after_each_step(tmp_path: Path) -> None:
    clock = SteppedClock(start=NIGHT_START)
    config = school_config(tmp_path, rules=TIMED_RULES)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        key = "night-gate:gs-1"
        gateway.bus.publish(Event("s1", "gs-1", "open", True, clock.now()))
        await gateway.settle()
        assert await states(gateway, key) == [], "21:00 is not night"
        await clock.step(HOUR)  # 22:00 on the wall: night, with no event to say so
        await clock.advance(CLOCK_STEP_CHECK_S)
        await gateway.settle()
        assert await states(gateway, key) == [AlertState.OPEN], "not night after the step"
        await clock.step(-HOUR)  # back to 21:01: not night any more
        await clock.advance(CLOCK_STEP_CHECK_S)
        await gateway.settle()
        assert await states(gateway, key) == [AlertState.RESOLVED]
        await clock.set_time(NIGHT_START + HOUR)  # 22:00 in elapsed and in wall time
        await gateway.settle()
        assert await states(gateway, key) == [AlertState.OPEN, AlertState.RESOLVED]
