"""Replays a rule scenario through a real gateway on a virtual clock: the same engine,
alert manager, store and escalation as in production, with adapters off and nothing
forwarded (what would be forwarded stays queued, and is reported)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from adapters.registry import point_names
from gateway.alerts.workflow import (
    Acknowledge,
    Actor,
    AlertActionError,
    Close,
    Command,
    Resolve,
)
from gateway.app.config import GatewayConfig
from gateway.app.gateway import Gateway
from gateway.core.alerts import ACTIVE_STATES, Severity
from gateway.core.clock import VirtualClock
from gateway.core.configfile import did_you_mean
from gateway.core.events import Event
from gateway.core.modes import ModeError
from gateway.store.config import StoreConfig
from rules.scenario import (
    Clockwork,
    Happening,
    Scenario,
    Step,
    Verdict,
    check,
    timed_steps,
)

SCENARIO_COMMANDS: dict[str, type[Command]] = {
    "ack": Acknowledge, "resolve": Resolve, "close": Close}
"""A scenario's operator steps (resolving as a real incident)."""

@dataclass(frozen=True, slots=True)
class Replay:
    happenings: list[Happening]
    verdicts: list[Verdict]
    clockwork: Clockwork
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems and all(verdict.met for verdict in self.verdicts)


async def replay(config: GatewayConfig, scenario: Scenario, base: Path) -> Replay:
    """Run `scenario` (relative paths from `base`) against `config`'s rules."""
    clockwork = Clockwork(config.site.tz, scenario.start)
    steps = timed_steps(scenario, clockwork, base)
    end = max([clockwork.start, *(timed.at for timed in steps)])
    if scenario.run_until is not None:
        end = max(end, clockwork.resolve(scenario.run_until, clockwork.start))
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="campusgw-replay-") as workdir:
        devices = config.devices if scenario.supervise else tuple(
            device.model_copy(update={"heartbeat_s": None}) for device in config.devices)
        isolated = config.model_copy(update={
            "store": StoreConfig(path=Path(workdir) / "replay.db"), "devices": devices})
        clock = VirtualClock(clockwork.start)
        gateway = Gateway(isolated, clock, run_adapters=False, forward=False)
        await gateway.start()
        try:
            for timed in steps:
                await _run_clock(gateway, clock, timed.at)
                gateway = await _perform(gateway, clock, timed.step, isolated, problems,
                                         clockwork)
                await gateway.settle()
            await _run_clock(gateway, clock, end)
            journal = await gateway.store.alerts.journal()
        finally:
            await gateway.stop()
    happenings = [Happening(line.entry.at, line.entry.action, line.key, line.rule_id,
                            line.device_id, Severity(line.entry.severity), line.drill,
                            line.title, line.entry.note, line.entry.queued_to)
                  for line in journal]
    return Replay(happenings, check(scenario.expect, happenings, clockwork), clockwork,
                  problems)


async def _run_clock(gateway: Gateway, clock: VirtualClock, until: float) -> None:
    """Move the clock to `until`, stopping at every timer on the way so that what one
    timer stores is seen by the next (a raise, then its escalation)."""
    while (wakeup := clock.next_wakeup()) is not None and wakeup <= until:
        await clock.set_time(wakeup)
        await gateway.settle()
    await clock.set_time(until)
    await gateway.settle()


async def _perform(gateway: Gateway, clock: VirtualClock, step: Step, config: GatewayConfig,
                   problems: list[str], clockwork: Clockwork) -> Gateway:
    if step.restart:
        await gateway.stop()
        gateway = Gateway(config, clock, run_adapters=False, forward=False)
        await gateway.start()
    elif step.device is not None and step.point is not None:
        device = next((d for d in config.devices if d.id == step.device), None)
        known = () if device is None else point_names(config.adapters, device)
        if device is None:
            problems.append(f"{clockwork.show(clock.now())}: unknown device {step.device!r}"
                            f"{did_you_mean(step.device, (d.id for d in config.devices))}")
        elif known and step.point not in (*known, "availability"):
            problems.append(f"{clockwork.show(clock.now())}: {step.device} has no point "
                            f"{step.point!r}{did_you_mean(step.point, known)}; its points: "
                            f"{', '.join(known)}")
        else:
            gateway.bus.publish(Event(config.site.id, step.device, step.point, step.value,
                                      clock.now(), step.quality))
    elif step.drill is not None or step.maintenance is not None:
        until = clock.now() + step.minutes * 60
        try:
            if step.drill is not None:
                zone = None if step.drill == "site" else step.drill
                await gateway.mode_service.start_drill(zone, until, "scenario")
            elif step.maintenance is not None:
                await gateway.mode_service.start_maintenance(
                    step.maintenance, until, "scenario",
                    action="suppress" if step.suppress else "mark")
        except ModeError as exc:
            problems.append(f"{clockwork.show(clock.now())}: {exc}")
    elif (operator := step.action) is not None:
        action, target = operator
        active = await gateway.store.alerts.newest(ACTIVE_STATES, 100_000)
        chosen = [alert for alert in active if target in (alert.rule_id, alert.key)]
        if not chosen:
            problems.append(f"{clockwork.show(clock.now())}: {action} {target}: no active alert")
        for alert in chosen:
            try:
                await gateway.manager.act(alert.id, SCENARIO_COMMANDS[action](),
                                          Actor("scenario"))
            except AlertActionError as exc:
                problems.append(f"{clockwork.show(clock.now())}: {action} {target}: {exc}")
    return gateway


def report(scenario: Scenario, result: Replay) -> list[str]:
    """The timeline, then each expectation's verdict."""
    show = result.clockwork.show
    lines = [f"scenario: {scenario.name}"]
    for happening in result.happenings:
        sent = f"  -> {', '.join(happening.channels)}" if happening.channels else ""
        note = f"  ({happening.note})" if happening.note else ""
        drill = " [drill]" if happening.drill else ""
        lines.append(f"  {show(happening.at)}  {happening.action:<13} {happening.key:<40} "
                     f"{happening.severity.value:<8} {happening.title}{drill}{note}{sent}")
    lines += [f"  problem: {problem}" for problem in result.problems]
    for verdict in result.verdicts:
        lines.append(f"  {'ok  ' if verdict.met else 'FAIL'}  {verdict.expectation.describe()}"
                     + (f"  — instead: {verdict.instead}" if verdict.instead else ""))
    lines.append(f"  {'passed' if result.passed else 'FAILED'}")
    return lines
