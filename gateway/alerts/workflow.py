"""What an operator may do to an alert, decided from the alert as stored.

Each command is a value; `decide` is pure: it returns the alert after the command, the
history line's action and note, and whether the new revision goes to the alert's channels
(acknowledging, resolving, closing, promoting a drill do; claiming, ticking a step,
snoozing do not: receivers hear of what changes the incident, not of the desk work).

The claim lock: once someone owns an alert, only they act on it; a supervisor may force.
A latched alert (panic, fire) is closed only after it was acknowledged, then resolved with
a reason; required checklist steps block resolving; a critical alert is never snoozed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.core.alerts import (
    Alert,
    AlertState,
    Closure,
    Dispatch,
    DispatchKind,
    Severity,
)
from gateway.core.sops import ChecklistItem, open_required


class AlertActionError(Exception):
    """An operator action that does not apply (unknown alert, wrong state)."""


class AlertNotFound(AlertActionError):
    """An operator action on an alert that does not exist."""


class AlertClaimed(AlertActionError):
    """Someone else owns the alert, and the actor did not (or may not) force."""


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    may_force: bool = False
    """A supervisor: may act on an alert someone else claimed."""


@dataclass(frozen=True, slots=True)
class Command:
    note: str = ""
    force: bool = False

    @property
    def action(self) -> str:
        return _ACTION_NAMES[type(self)]


@dataclass(frozen=True, slots=True)
class Claim(Command):
    pass


@dataclass(frozen=True, slots=True)
class Release(Command):
    pass


@dataclass(frozen=True, slots=True)
class Acknowledge(Command):
    pass


@dataclass(frozen=True, slots=True)
class Resolve(Command):
    reason: Closure = Closure.REAL


@dataclass(frozen=True, slots=True)
class FalseAlarm(Command):
    pass


@dataclass(frozen=True, slots=True)
class Close(Command):
    pass


@dataclass(frozen=True, slots=True)
class Promote(Command):
    """A drill alert is a real emergency after all."""


@dataclass(frozen=True, slots=True)
class Snooze(Command):
    minutes: float = 5.0


@dataclass(frozen=True, slots=True)
class Forward(Command):
    to: str = ""


@dataclass(frozen=True, slots=True)
class Send(Command):
    """Dispatch someone."""

    kind: DispatchKind = DispatchKind.GUARD
    to: str = ""


@dataclass(frozen=True, slots=True)
class Answer(Command):
    """Do a checklist step."""

    step: str = ""
    value: str = ""


_ACTION_NAMES: dict[type[Command], str] = {
    Claim: "claim", Release: "release", Acknowledge: "ack", Resolve: "resolve",
    FalseAlarm: "false_alarm", Close: "close", Promote: "promote", Snooze: "snooze",
    Forward: "forward", Send: "dispatch", Answer: "step"}

FORWARDED = frozenset({"ack", "resolve", "false_alarm", "close", "promote"})
"""The actions whose revision goes to the alert's channels."""

SNOOZE_MAX_MINUTES = 15.0


@dataclass(frozen=True, slots=True)
class Decision:
    alert: Alert
    note: str
    forwarded: bool


def decide(current: Alert, command: Command, actor: Actor, now: float,
           snooze_max_minutes: float = SNOOZE_MAX_MINUTES) -> Decision:
    """The alert after `command` by `actor` at `now`; AlertActionError when it does not
    apply. Every accepted command makes a new revision."""
    forced = _claim_lock(current, command, actor)
    changed = _apply(current, command, actor, now, snooze_max_minutes)
    changed = replace(changed, revision=current.revision + 1)
    parts = [f"forced (claimed by {current.owner})" if forced else "", describe(command),
             command.note]
    return Decision(changed, " · ".join(part for part in parts if part),
                    command.action in FORWARDED)


def _claim_lock(current: Alert, command: Command, actor: Actor) -> bool:
    """Whether the actor overrides someone else's claim (AlertClaimed when refused)."""
    if not current.owner or current.owner == actor.name:
        return False
    if command.force and actor.may_force:
        return True
    hint = " (a supervisor may force it)" if not actor.may_force else " (force it to act)"
    raise AlertClaimed(f"claimed by {current.owner}{hint}")


def _apply(current: Alert, command: Command, actor: Actor, now: float,
           snooze_max_minutes: float) -> Alert:
    state = current.state
    if isinstance(command, Acknowledge):
        if current.cleared_unseen:  # seen now: it stays resolved
            return replace(current, cleared_unseen=False)
        _require(current, (AlertState.OPEN,), "acknowledge")
        return replace(current, state=AlertState.ACKNOWLEDGED,
                       owner=current.owner or actor.name, snoozed_until=None)
    if isinstance(command, Close):
        if current.latching:
            if state is not AlertState.RESOLVED or current.closure is None:
                raise AlertActionError("a latched alert is closed only once acknowledged "
                                       "and resolved with a reason")
        else:
            _require(current, (AlertState.OPEN, AlertState.ACKNOWLEDGED,
                               AlertState.RESOLVED), "close")
        return replace(current, state=AlertState.CLOSED, cleared_unseen=False,
                       snoozed_until=None)
    if isinstance(command, Resolve | FalseAlarm):
        reason = command.reason if isinstance(command, Resolve) else Closure.FALSE_ALARM
        _require(current, (AlertState.OPEN, AlertState.ACKNOWLEDGED), "resolve")
        if current.latching and state is AlertState.OPEN:
            raise AlertActionError("acknowledge a latched alert before resolving it")
        missing = open_required(current.checklist)
        if missing and reason is not Closure.FALSE_ALARM:
            raise AlertActionError("required steps not done: " + ", ".join(missing))
        return replace(current, state=AlertState.RESOLVED, closure=reason,
                       cleared_unseen=False, snoozed_until=None)
    _require(current, (AlertState.OPEN, AlertState.ACKNOWLEDGED), command.action)
    if isinstance(command, Claim):
        return replace(current, owner=actor.name)
    if isinstance(command, Release):
        return replace(current, owner="")
    if isinstance(command, Forward):
        if not command.to or command.to == actor.name:
            raise AlertActionError("forward to another user")
        return replace(current, owner=command.to)
    if isinstance(command, Promote):
        if not current.drill:
            raise AlertActionError("only a drill alert can be promoted to real")
        return replace(current, drill=False, snoozed_until=None)
    if isinstance(command, Snooze):
        if current.severity is Severity.CRITICAL:
            raise AlertActionError("a critical alert is never snoozed")
        if not 0 < command.minutes <= snooze_max_minutes:
            raise AlertActionError(f"snooze for 1 to {snooze_max_minutes:g} minutes")
        return replace(current, snoozed_until=now + command.minutes * 60)
    if isinstance(command, Send):
        if not command.to.strip():
            raise AlertActionError("say whom you dispatched")
        sent = Dispatch(command.kind, command.to.strip(), actor.name, now, command.note)
        return replace(current, dispatches=(*current.dispatches, sent))
    if isinstance(command, Answer):
        return replace(current, checklist=_answered(current, command, actor, now))
    raise AlertActionError(f"unknown action {command.action!r}")


def _answered(current: Alert, command: Answer, actor: Actor,
              now: float) -> tuple[ChecklistItem, ...]:
    for index, item in enumerate(current.checklist):
        if item.step.id == command.step:
            problem = item.step.check_answer(command.value)
            if problem:
                raise AlertActionError(problem)
            done = item.answered(command.value, actor.name, now)
            return (*current.checklist[:index], done, *current.checklist[index + 1:])
    raise AlertActionError(f"the checklist has no step {command.step!r}")


def _require(current: Alert, states: tuple[AlertState, ...], verb: str) -> None:
    if current.state not in states:
        raise AlertActionError(f"cannot {verb} an alert that is {current.state.value}")


def describe(command: Command) -> str:
    """The command's own detail for the history line (beside the operator's note)."""
    if isinstance(command, Resolve):
        return command.reason.value
    if isinstance(command, Snooze):
        return f"{command.minutes:g} min"
    if isinstance(command, Forward):
        return f"to {command.to}"
    if isinstance(command, Send):
        return f"{command.kind.value}: {command.to}"
    if isinstance(command, Answer):
        return f"{command.step} = {command.value}"
    return ""
