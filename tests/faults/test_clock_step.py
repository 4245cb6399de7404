"""The system clock stepped an hour forward and back (an NTP correction, a wrong manual
setting undone) under a running gateway. `SteppedClock` is the real clock's shape on the
virtual one: `now()` is wall time, which steps; sleeps run on elapsed time, which does not
(asyncio sleeps on the monotonic clock). Heartbeat supervision and escalation must follow
elapsed time: a step is not an hour of silence, nor an hour without acknowledgement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.app.gateway import Gateway
from gateway.core.alerts import Alert, AlertSpec, Category, EscalationStep, Severity
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from tests.core.support import school_config

HOUR = 3600.0


class SteppedClock(VirtualClock):
    """A virtual clock whose wall time can be stepped without elapsed time passing."""

    def __init__(self) -> None:
        super().__init__()
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


async def panic(gateway: Gateway) -> Alert:
    (alert,) = [a for a in await gateway.store.alerts.newest() if a.key == "panic:pb-2"]
    return alert
