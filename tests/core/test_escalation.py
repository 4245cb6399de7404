"""Escalation of alerts nobody acknowledges, on the virtual clock: due times, the steps'
severities and channels, the outbox jobs they write, restarts, repeats and drills.

The two channels here never deliver (their folder is a file), so every job stays in the
outbox to be looked at; a newer revision for a channel folds into its undelivered job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.alerts.workflow import Acknowledge, Actor, FalseAlarm
from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.core.alerts import (
    Alert,
    AlertSpec,
    AlertState,
    Category,
    ClearSpec,
    EscalationStep,
    Severity,
)
from gateway.core.clock import VirtualClock
from gateway.core.repositories import HistoryEntry
from gateway.core.timefmt import iso

START = 1_767_225_600.0

TWO_MINUTES = EscalationStep(after_s=120, severity=Severity.CRITICAL,
                             note="not acknowledged within 2m")


SCHOOL = """\
site: {id: s1, name: School One, timezone: Asia/Shanghai}
zones:
  - {id: a3, name: Building A 3F, building: A, floor: 3F}
devices:
  - {id: pb-1, type: panic_button, name: Guard room alarm, zone: a3}
  - {id: pb-2, type: panic_button, name: A301 alarm, zone: a3, location: Room A301}
channels:
  - {type: file, id: desk, path: BLOCKED/desk.jsonl}
  - {type: file, id: police, path: BLOCKED/police.jsonl, forward_drills: false}
store: {url: "DB"}
api: {token: operator-token}
"""


def escalation_config(tmp_path: Path, store: str) -> GatewayConfig:
    """A school without rules (alerts are submitted directly) and two channels that never
    deliver: `desk`, and `police`, which does not take drills."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, so nothing can be written below it")
    path = tmp_path / "gateway.yaml"
    path.write_text(SCHOOL.replace("BLOCKED", str(blocked))
                    .replace("DB", store))
    return load_config(path)


def spec(*steps: EscalationStep, key: str = "panic:pb-2", severity: Severity = Severity.HIGH,
         channels: tuple[str, ...] = ("desk",), drill: bool = False,
         latching: bool = True) -> AlertSpec:
    return AlertSpec(key=key, rule_id="panic", site="s1", device_id="pb-2", zone="a3",
                     category=Category.PANIC, severity=severity, title="Alarm A301 alarm",
                     channels=channels, latching=latching, drill=drill, escalation=steps)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
async def gateway(tmp_path: Path, clock: VirtualClock, store_url: str) -> AsyncIterator[Gateway]:
    async with Gateway(escalation_config(tmp_path, store_url), clock, run_adapters=False) as gw:
        yield gw


async def raise_alert(gateway: Gateway, alert_spec: AlertSpec) -> Alert:
    alert = await gateway.manager.apply(alert_spec)
    assert alert is not None
    await gateway.settle()
    return alert


async def advance(gateway: Gateway, clock: VirtualClock, seconds: float) -> None:
    await clock.advance(seconds)
    await gateway.settle()


async def stored(gateway: Gateway, alert_id: str) -> Alert:
    alert = await gateway.store.alerts.get(alert_id)
    assert alert is not None
    return alert


async def history(gateway: Gateway, alert_id: str) -> list[HistoryEntry]:
    return await gateway.store.alerts.history(alert_id)


async def escalations(gateway: Gateway, alert_id: str) -> list[tuple[float, str]]:
    """(when, note) of every escalation in the alert's history."""
    return [(h.at, h.note) for h in await history(gateway, alert_id) if h.action == "escalated"]


async def outbox(gateway: Gateway, alert_id: str) -> dict[str, list[tuple[int, str]]]:
    """Per channel, the (revision, severity) of each outbox job of the alert, in order."""
    jobs: dict[str, list[tuple[int, str]]] = {}
    for job in await gateway.store.outbox.jobs(alert_id):
        assert job.payload.alert.revision == job.revision
        jobs.setdefault(job.channel, []).append((job.revision, job.payload.alert.severity.value))
    return jobs


async def test_an_alert_escalates_exactly_when_its_step_is_due(
        gateway: Gateway, clock: VirtualClock) -> None:
    raised = await raise_alert(gateway, spec(TWO_MINUTES))
    tz = gateway.config.site.tz
    assert raised.to_dict(tz)["next_escalation_at"] == iso(START + 120, tz)
    await advance(gateway, clock, 119)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level, alert.revision) == (Severity.HIGH, 0, 1)
    assert await escalations(gateway, raised.id) == []
    await advance(gateway, clock, 1)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level, alert.revision) == (Severity.CRITICAL, 1, 2)
    assert alert.state is AlertState.OPEN
    assert await escalations(gateway, raised.id) == [(START + 120, "not acknowledged within 2m")]
    assert alert.to_dict(tz)["escalation_level"] == 1
    assert alert.to_dict(tz)["next_escalation_at"] is None
    assert await outbox(gateway, raised.id) == {"desk": [(1, "high"), (2, "critical")]}
    await advance(gateway, clock, 3600)
    assert len(await escalations(gateway, raised.id)) == 1


async def test_an_alert_acknowledged_in_time_never_escalates(
        gateway: Gateway, clock: VirtualClock) -> None:
    raised = await raise_alert(gateway, spec(TWO_MINUTES))
    await advance(gateway, clock, 119)
    acknowledged = await gateway.manager.act(raised.id, Acknowledge(), Actor("li.wei"))
    await gateway.settle()
    assert acknowledged.to_dict(gateway.config.site.tz)["next_escalation_at"] is None
    await advance(gateway, clock, 3600)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level) == (Severity.HIGH, 0)
    assert [h.action for h in await history(gateway, raised.id)] == ["raised", "ack"]
    assert await gateway.manager.escalate(raised.id, 0) is None


async def test_two_steps_apply_in_order_with_their_severities_and_channels(
        gateway: Gateway, clock: VirtualClock) -> None:
    renotify = EscalationStep(after_s=60, note="not acknowledged within 1m")
    to_police = EscalationStep(after_s=180, severity=Severity.CRITICAL, channels=("police",),
                               note="not acknowledged within 3m")
    raised = await raise_alert(gateway, spec(to_police, renotify))  # order does not matter
    await advance(gateway, clock, 60)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level, alert.channels) == (
        Severity.HIGH, 1, ("desk",))
    assert await outbox(gateway, raised.id) == {"desk": [(1, "high"), (2, "high")]}
    await advance(gateway, clock, 119)
    assert (await stored(gateway, raised.id)).escalation_level == 1
    await advance(gateway, clock, 1)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level, alert.channels) == (
        Severity.CRITICAL, 2, ("desk", "police"))
    assert await escalations(gateway, raised.id) == [
        (START + 60, "not acknowledged within 1m"), (START + 180, "not acknowledged within 3m")]
    # The undelivered second revision for the desk was replaced by the third.
    assert await outbox(gateway, raised.id) == {"desk": [(1, "high"), (3, "critical")],
                                                "police": [(3, "critical")]}


async def test_a_step_without_renotify_goes_only_to_its_new_channels_and_they_stay(
        gateway: Gateway, clock: VirtualClock) -> None:
    quiet = EscalationStep(after_s=60, channels=("police",), renotify=False)
    raised = await raise_alert(gateway, spec(quiet))
    await advance(gateway, clock, 60)
    assert await outbox(gateway, raised.id) == {"desk": [(1, "high")], "police": [(2, "high")]}
    assert await escalations(gateway, raised.id) == [(START + 60, "not acknowledged within 60 s")]
    await raise_alert(gateway, spec(quiet))  # a repeat: a later revision goes to both
    assert await outbox(gateway, raised.id) == {"desk": [(1, "high"), (3, "high")],
                                                "police": [(3, "high")]}


async def test_a_step_never_lowers_the_severity(gateway: Gateway, clock: VirtualClock) -> None:
    raised = await raise_alert(gateway, spec(EscalationStep(after_s=60, severity=Severity.WARNING),
                                             severity=Severity.CRITICAL))
    await advance(gateway, clock, 60)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level) == (Severity.CRITICAL, 1)


async def test_escalation_keeps_its_original_due_time_across_a_restart(
        tmp_path: Path, clock: VirtualClock, store_url: str) -> None:
    config = escalation_config(tmp_path, store_url)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        raised = await raise_alert(gateway, spec(TWO_MINUTES))
        await advance(gateway, clock, 100)
    await clock.advance(10)  # the gateway is down for a while
    async with Gateway(config, clock, run_adapters=False) as gateway:
        await gateway.settle()
        await advance(gateway, clock, 9)
        assert (await stored(gateway, raised.id)).escalation_level == 0
        await advance(gateway, clock, 1)
        assert await escalations(gateway, raised.id) == [
            (START + 120, "not acknowledged within 2m")]


async def test_steps_that_fell_due_while_the_gateway_was_down_apply_at_start(
        tmp_path: Path, clock: VirtualClock, store_url: str) -> None:
    config = escalation_config(tmp_path, store_url)
    later = EscalationStep(after_s=600, channels=("police",), note="not acknowledged within 10m")
    async with Gateway(config, clock, run_adapters=False) as gateway:
        raised = await raise_alert(gateway, spec(TWO_MINUTES, later))
        await advance(gateway, clock, 60)
    await clock.advance(240)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        await gateway.settle()
        alert = await stored(gateway, raised.id)
        assert (alert.severity, alert.escalation_level) == (Severity.CRITICAL, 1)
        await advance(gateway, clock, 299)
        assert (await stored(gateway, raised.id)).escalation_level == 1
        await advance(gateway, clock, 1)
        assert await escalations(gateway, raised.id) == [
            (START + 300, "not acknowledged within 2m"),
            (START + 600, "not acknowledged within 10m")]


async def test_a_repeat_does_not_reset_escalation(gateway: Gateway, clock: VirtualClock) -> None:
    first = EscalationStep(after_s=60, severity=Severity.CRITICAL)
    second = EscalationStep(after_s=120, channels=("police",))
    raised = await raise_alert(gateway, spec(first, second))
    await advance(gateway, clock, 50)
    await raise_alert(gateway, spec(first, second))
    await advance(gateway, clock, 10)
    assert (await stored(gateway, raised.id)).escalation_level == 1
    repeated = await raise_alert(gateway, spec(first, second))  # at 60 s, severity high
    assert (repeated.severity, repeated.escalation_level) == (Severity.CRITICAL, 1)
    await advance(gateway, clock, 60)
    alert = await stored(gateway, raised.id)
    assert (alert.escalation_level, alert.event_count) == (2, 3)
    assert [at for at, _ in await escalations(gateway, raised.id)] == [START + 60, START + 120]


async def test_a_resolved_alert_never_escalates(gateway: Gateway, clock: VirtualClock) -> None:
    cleared = await raise_alert(gateway, spec(TWO_MINUTES, key="forced:gs-1", latching=False))
    resolved = await raise_alert(gateway, spec(TWO_MINUTES, latching=False))
    await advance(gateway, clock, 30)
    await gateway.manager.apply(ClearSpec("forced:gs-1", clock.now()))
    await gateway.manager.act(resolved.id, FalseAlarm(), Actor("li.wei"))
    await gateway.settle()
    await advance(gateway, clock, 3600)
    for alert_id in (cleared.id, resolved.id):
        alert = await stored(gateway, alert_id)
        assert (alert.state, alert.escalation_level) == (AlertState.RESOLVED, 0)
        assert await escalations(gateway, alert_id) == []


async def test_an_alert_raised_meanwhile_escalates_before_a_later_one(
        gateway: Gateway, clock: VirtualClock) -> None:
    slow = await raise_alert(gateway, spec(EscalationStep(after_s=600), key="panic:pb-1"))
    await advance(gateway, clock, 10)
    quick = await raise_alert(gateway, spec(EscalationStep(after_s=60)))
    await advance(gateway, clock, 60)
    assert [at for at, _ in await escalations(gateway, quick.id)] == [START + 70]
    assert await escalations(gateway, slow.id) == []
    await advance(gateway, clock, 530)
    assert [at for at, _ in await escalations(gateway, slow.id)] == [START + 600]


async def test_a_drill_escalates_but_only_to_channels_that_take_drills(
        gateway: Gateway, clock: VirtualClock) -> None:
    to_police = EscalationStep(after_s=60, severity=Severity.CRITICAL, channels=("police",))
    raised = await raise_alert(gateway, spec(to_police, drill=True))
    await advance(gateway, clock, 60)
    alert = await stored(gateway, raised.id)
    assert (alert.severity, alert.escalation_level, alert.channels) == (
        Severity.CRITICAL, 1, ("desk", "police"))
    assert await outbox(gateway, raised.id) == {"desk": [(1, "high"), (2, "critical")]}


def test_a_step_cannot_be_due_before_the_alert_was_raised() -> None:
    with pytest.raises(ValueError, match="after_s must be >= 0"):
        EscalationStep(after_s=-1)
