"""Rule scenarios: a scripted (or recorded) sequence of events, operator actions and
restarts, and what the alerts must do. `campusgw rules test` replays them.

```yaml
name: gate left open at night
start: 2026-10-14 21:50          # site-local
steps:
  - {at: "21:58", device: gs-east, point: open, value: true}
  - {at: "22:01", restart: true}
  - {after: 30m, ack: gate-open-night}
  - {at: "2026-10-15 10:00", drill: bldg-a-1f, minutes: 30}
run_until: "2026-10-15 07:00"
expect:
  - {raised: gate-open-night, device: gs-east, at: "22:03"}
  - {escalated: gate-open-night, at: "22:13", forwarded_to: [alert-log, police]}
  - {not_raised: rooftop-door-night}
```

Times are `YYYY-MM-DD HH:MM[:SS]`, or `HH:MM[:SS]`: for a step, the first such moment
not before the previous step; for an expectation, the first not before `start`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from gateway.core.alerts import Severity
from gateway.core.config import StrictModel
from gateway.core.configfile import ConfigError
from gateway.core.durations import Duration
from gateway.core.events import PointValue, Quality

ACTIONS = ("raised", "repeated", "escalated", "auto_resolved", "ack", "resolve", "close")
"""What can happen to an alert, as its history names it."""


def _time_text(text: str) -> str:
    """`YYYY-MM-DD HH:MM[:SS]` or `HH:MM[:SS]`."""
    for parse in (datetime.fromisoformat, time.fromisoformat):
        try:
            parse(text)
            return text
        except ValueError:
            pass
    raise ValueError(f"bad time {text!r}: write YYYY-MM-DD HH:MM[:SS] or HH:MM[:SS]")


def _moment_text(text: str) -> str:
    """`YYYY-MM-DD HH:MM[:SS]`."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad time {text!r}: write YYYY-MM-DD HH:MM[:SS]") from None
    return text


TimeText = Annotated[str, AfterValidator(_time_text)]
Moment = Annotated[str, AfterValidator(_moment_text)]


class Step(StrictModel):
    """At a time: a device reports a value, an operator acts on alerts, or the gateway
    restarts."""

    at: TimeText | None = Field(default=None, description="When (site-local).")
    after: Duration | None = Field(default=None, description="Or this long after the last step.")
    device: str | None = Field(default=None, description="Device that reports...")
    point: str | None = Field(default=None, description="...this point...")
    value: PointValue = Field(default=None, description="...with this value.")
    quality: Quality = Field(default=Quality.GOOD, description="Quality of the value.")
    ack: str | None = Field(default=None, description="Acknowledge the active alerts of this "
                                                      "rule (or with this key).")
    resolve: str | None = Field(default=None, description="Resolve them.")
    close: str | None = Field(default=None, description="Close them.")
    restart: bool = Field(default=False, description="Stop the gateway and start it again.")
    drill: str | None = Field(default=None,
                              description="Start a drill of this zone (`site`: everywhere)...")
    maintenance: str | None = Field(default=None,
                                    description="...or put this device in maintenance...")
    suppress: bool = Field(default=False, description="...suppressing its alerts...")
    minutes: float = Field(default=30, gt=0, description="...for this long.")

    @model_validator(mode="after")
    def _one_thing(self) -> Step:
        if (self.at is None) == (self.after is None):
            raise ValueError("give at or after")
        things = [self.device is not None, self.ack is not None, self.resolve is not None,
                  self.close is not None, self.restart, self.drill is not None,
                  self.maintenance is not None]
        if sum(things) != 1:
            raise ValueError("a step does one thing: device+point, ack, resolve, close, "
                             "restart, drill or maintenance")
        if self.device is not None and self.point is None:
            raise ValueError("a device step needs its point")
        return self

    @property
    def action(self) -> tuple[str, str] | None:
        """(operator action, rule id or alert key), if this step is one."""
        for action in ("ack", "resolve", "close"):
            target = getattr(self, action)
            if target is not None:
                return action, target
        return None


class Expectation(StrictModel):
    """Something that must (or must not) happen to an alert."""

    raised: str | None = Field(default=None, description="Rule id or alert key raised.")
    repeated: str | None = Field(default=None, description="...repeated.")
    escalated: str | None = Field(default=None, description="...escalated.")
    resolved: str | None = Field(default=None, description="...auto-resolved.")
    not_raised: str | None = Field(default=None, description="...never raised.")
    not_resolved: str | None = Field(default=None,
                                     description="...never auto-resolved (latching).")
    device: str | None = Field(default=None, description="For this device.")
    at: TimeText | None = Field(default=None, description="At this time (to the second).")
    severity: Severity | None = Field(default=None, description="With this severity.")
    drill: bool | None = Field(default=None, description="Marked as a drill or not.")
    forwarded_to: tuple[str, ...] | None = Field(
        default=None, description="Queued for exactly these channels.")

    @model_validator(mode="after")
    def _one_kind(self) -> Expectation:
        if len(self.kinds()) != 1:
            raise ValueError("give one of raised, repeated, escalated, resolved, not_raised, "
                             "not_resolved")
        return self

    def kinds(self) -> list[tuple[str, str]]:
        names = {"raised": "raised", "repeated": "repeated", "escalated": "escalated",
                 "resolved": "auto_resolved", "not_raised": "not_raised",
                 "not_resolved": "not_auto_resolved"}
        return [(action, getattr(self, field)) for field, action in names.items()
                if getattr(self, field) is not None]

    def describe(self) -> str:
        [(kind, target)] = self.kinds()
        text = f"{kind.replace('auto_', '')} {target}"  # as written: resolved, not_resolved
        for name in ("device", "at", "severity", "drill", "forwarded_to"):
            value = getattr(self, name)
            if value is not None:
                text += f" {name}={','.join(value) if isinstance(value, tuple) else value}"
        return text


class Scenario(StrictModel):
    name: str = Field(description="What the scenario shows.")
    start: Moment = Field(description="When it starts (site-local `YYYY-MM-DD HH:MM`).")
    steps: tuple[Step, ...] = Field(default=(), description="Scripted steps, in order.")
    recording: Path | None = Field(
        default=None, description="JSON lines of recorded events ({ts, device_id, point, "
                                  "value[, quality]}), replayed after the steps.")
    run_until: TimeText | None = Field(default=None,
                                  description="Keep the clock running until then.")
    supervise: bool = Field(default=False,
                            description="Supervise heartbeats (silent devices go offline).")
    expect: tuple[Expectation, ...] = Field(default=(), description="What must happen.")


@dataclass(frozen=True, slots=True)
class Happening:
    """One line of an alert's history during a replay."""

    at: float
    action: str
    key: str
    rule_id: str
    device_id: str
    severity: Severity
    drill: bool
    title: str
    note: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Timed:
    """A step, or a recorded event, at its time."""

    at: float
    step: Step


class Clockwork:
    """Reads scenario times in the site's time zone."""

    def __init__(self, tz: tzinfo, start: str) -> None:
        self.tz = tz
        self.start = self.absolute(start)

    def absolute(self, text: str) -> float:
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=self.tz)).timestamp()

    def resolve(self, text: str, not_before: float) -> float:
        """`HH:MM[:SS]` as the first such moment not before `not_before`."""
        try:
            clock = time.fromisoformat(text)
        except ValueError:
            return self.absolute(text)
        day = datetime.fromtimestamp(not_before, self.tz).date()
        moment = datetime.combine(day, clock, self.tz)
        if moment.timestamp() < not_before:
            moment = datetime.combine(day + timedelta(days=1), clock, self.tz)
        return moment.timestamp()

    def show(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%d %H:%M:%S")


def timed_steps(scenario: Scenario, clockwork: Clockwork, base: Path) -> list[Timed]:
    """Every step with its time, recorded events included."""
    now = clockwork.start
    timed: list[Timed] = []
    for step in scenario.steps:
        now = clockwork.resolve(step.at, now) if step.at else now + (step.after or 0.0)
        timed.append(Timed(now, step))
    if scenario.recording is not None:
        path = scenario.recording if scenario.recording.is_absolute() else (
            base / scenario.recording)
        timed += recorded(path, clockwork)
        timed.sort(key=lambda item: item.at)
    return timed


def recorded(path: Path, clockwork: Clockwork) -> list[Timed]:
    """The events of a recording (JSON lines), or `ConfigError` naming the bad lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the recording: {exc.strerror}"]) from None
    found: list[Timed] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            ts = record["ts"]
            at = clockwork.absolute(ts) if isinstance(ts, str) else float(ts)
            found.append(Timed(at, Step(
                at=clockwork.show(at), device=record["device_id"], point=record["point"],
                value=record["value"], quality=Quality(record.get("quality", "good")))))
        except KeyError as exc:
            problems.append(f"{path}:{number}: bad recorded event: no {exc}")
        except (ValueError, TypeError) as exc:
            problems.append(f"{path}:{number}: bad recorded event: {exc}")
    if problems:
        raise ConfigError(problems)
    return found


@dataclass(frozen=True, slots=True)
class Verdict:
    expectation: Expectation
    met: bool
    instead: str = ""
    """When not met: what happened instead."""


def check(expectations: tuple[Expectation, ...], happenings: list[Happening],
          clockwork: Clockwork) -> list[Verdict]:
    """Each expectation, whether the replay met it, and if not what happened instead."""
    return [_verdict(expectation, happenings, clockwork) for expectation in expectations]


def _verdict(expectation: Expectation, happenings: list[Happening],
             clockwork: Clockwork) -> Verdict:
    [(kind, target)] = expectation.kinds()
    negated = kind.startswith("not_")
    action = {"not_raised": "raised", "not_auto_resolved": "auto_resolved"}.get(kind, kind)
    at = (clockwork.resolve(expectation.at, clockwork.start)
          if expectation.at is not None else None)
    same = [h for h in happenings if h.action == action and target in (h.rule_id, h.key)]
    checks: list[tuple[str, Callable[[Happening], bool], Callable[[Happening], str]]] = [
        ("device", lambda h: expectation.device in (None, h.device_id),
         lambda h: f"device {h.device_id}"),
        ("at", lambda h: at is None or abs(h.at - at) < 1.0,
         lambda h: f"at {clockwork.show(h.at)}"),
        ("severity", lambda h: expectation.severity in (None, h.severity),
         lambda h: f"severity {h.severity.value}"),
        ("drill", lambda h: expectation.drill in (None, h.drill),
         lambda h: f"drill={h.drill}"),
        ("forwarded_to", lambda h: expectation.forwarded_to is None
         or sorted(expectation.forwarded_to) == sorted(h.channels),
         lambda h: f"forwarded to {','.join(h.channels) or 'nothing'}")]
    found = [h for h in same if all(holds(h) for _, holds, _ in checks)]
    if negated:
        return Verdict(expectation, not found, "; ".join(
            f"{action} at {clockwork.show(h.at)}" for h in found))
    if found:
        return Verdict(expectation, True)
    if not same:
        others = sorted({h.action for h in happenings if target in (h.rule_id, h.key)})
        return Verdict(expectation, False, f"no {action} of {target}" + (
            f" (it was: {', '.join(others)})" if others else " (nothing of it happened)"))
    return Verdict(expectation, False, "; ".join(
        f"{action} " + ", ".join(said(h) for _, holds, said in checks if not holds(h))
        for h in same))
