"""How an alert is worked, decided from the alert as stored: the claim lock, latched
alerts, closure reasons, required steps, snooze limits, drills promoted to real."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.alerts.workflow import (
    Acknowledge,
    Actor,
    AlertActionError,
    AlertClaimed,
    Answer,
    Claim,
    Close,
    Command,
    FalseAlarm,
    Forward,
    Promote,
    Release,
    Resolve,
    Send,
    Snooze,
    decide,
)
from gateway.core.alerts import Alert, AlertState, Category, Closure, DispatchKind, Severity
from gateway.core.sops import ChecklistItem, SopStep, StepKind

NOW = 1_767_225_600.0
LI, WANG, CHIEF = Actor("li.wei"), Actor("wang.fang"), Actor("zhang.min", may_force=True)
STEPS = (ChecklistItem(SopStep("look", StepKind.CHECK, "看摄像机", "View the camera")),
         ChecklistItem(SopStep("real", StepKind.YESNO, "确认真实?", required=True)),
         ChecklistItem(SopStep("call", StepKind.CALL, "拨打110", number="110", required=True)))


def alert(**changes: object) -> Alert:
    base = Alert(id="a1", key="panic:pb-1", rule_id="panic", site="s1", device_id="pb-1",
                 zone="gate", category=Category.PANIC, severity=Severity.CRITICAL,
                 title="一键报警", message="", location="门卫室", state=AlertState.OPEN,
                 latching=True, drill=False, raised_at=NOW, last_event_at=NOW,
                 event_count=1, revision=1, channels=("police",))
    return replace(base, **changes)  # type: ignore[arg-type]


def run(current: Alert, *commands: tuple[Command, Actor]) -> Alert:
    for command, actor in commands:
        current = decide(current, command, actor, NOW).alert
    return current


def test_acknowledging_claims_and_others_cannot_act_unless_a_supervisor_forces() -> None:
    acked = run(alert(), (Acknowledge(), LI))
    assert (acked.state, acked.owner, acked.revision) == (AlertState.ACKNOWLEDGED, "li.wei", 2)
    with pytest.raises(AlertClaimed, match=r"claimed by li\.wei"):
        decide(acked, Send(kind=DispatchKind.GUARD, to="张师傅"), WANG, NOW)
    with pytest.raises(AlertClaimed):  # forcing is for supervisors only
        decide(acked, Claim(force=True), WANG, NOW)
    with pytest.raises(AlertClaimed, match="force it"):
        decide(acked, Claim(), CHIEF, NOW)
    forced = decide(acked, Claim("I take it", force=True), CHIEF, NOW)
    assert forced.alert.owner == "zhang.min"
    assert forced.note == "forced (claimed by li.wei) · I take it"
    released = run(forced.alert, (Release(), CHIEF))
    assert run(released, (Claim(), WANG)).owner == "wang.fang"


def test_a_latched_alert_is_closed_only_once_acknowledged_and_resolved_with_a_reason() -> None:
    with pytest.raises(AlertActionError, match="closed only once acknowledged"):
        decide(alert(), Close(), CHIEF, NOW)
    with pytest.raises(AlertActionError, match="acknowledge a latched alert before"):
        decide(alert(), Resolve(reason=Closure.REAL), LI, NOW)
    resolved = run(alert(), (Acknowledge(), LI), (Resolve(reason=Closure.TECHNICAL), LI))
    assert (resolved.state, resolved.closure) == (AlertState.RESOLVED, Closure.TECHNICAL)
    closed = run(resolved, (Close(force=True), CHIEF))
    assert closed.state is AlertState.CLOSED
    unlatched = alert(latching=False, category=Category.INTRUSION, severity=Severity.HIGH)
    assert run(unlatched, (Close(), LI)).state is AlertState.CLOSED


def test_required_steps_block_resolving_and_record_who_did_them() -> None:
    acked = run(alert(checklist=STEPS), (Acknowledge(), LI))
    with pytest.raises(AlertActionError, match="required steps not done: real, call"):
        decide(acked, Resolve(reason=Closure.REAL), LI, NOW)
    with pytest.raises(AlertActionError, match="takes 'no' or 'yes'"):
        decide(acked, Answer(step="real", value="maybe"), LI, NOW)
    with pytest.raises(AlertActionError, match="no step 'nope'"):
        decide(acked, Answer(step="nope", value="done"), LI, NOW)
    done = decide(acked, Answer(step="real", value="yes"), LI, NOW + 5)
    assert done.note == "real = yes" and not done.forwarded
    item = done.alert.checklist[1]
    assert (item.value, item.by, item.at) == ("yes", "li.wei", NOW + 5)
    with pytest.raises(AlertActionError, match="required steps not done: call"):
        decide(done.alert, Resolve(reason=Closure.REAL), LI, NOW)
    called = run(done.alert, (Answer(step="call", value="called"), LI))
    assert run(called, (Resolve(reason=Closure.REAL), LI)).state is AlertState.RESOLVED
    # a false alarm needs no procedure finished
    assert run(acked, (FalseAlarm(), LI)).closure is Closure.FALSE_ALARM


def test_snooze_is_short_and_never_for_a_critical_alert() -> None:
    with pytest.raises(AlertActionError, match="never snoozed"):
        decide(alert(), Snooze(minutes=5), LI, NOW)
    high = alert(severity=Severity.HIGH, latching=False)
    with pytest.raises(AlertActionError, match="1 to 15 minutes"):
        decide(high, Snooze(minutes=16), LI, NOW)
    snoozed = run(high, (Snooze(minutes=5), LI))
    assert snoozed.snoozed_until == NOW + 300
    assert run(snoozed, (Acknowledge(), LI)).snoozed_until is None


def test_forward_hands_the_alert_over_and_dispatch_is_recorded() -> None:
    mine = run(alert(), (Claim(), LI))
    with pytest.raises(AlertActionError, match="another user"):
        decide(mine, Forward(to="li.wei"), LI, NOW)
    theirs = run(mine, (Forward("去看看", to="wang.fang"), LI))
    assert theirs.owner == "wang.fang"
    sent = decide(theirs, Send("两分钟到", kind=DispatchKind.GUARD, to="张师傅"), WANG, NOW)
    assert sent.note == "guard: 张师傅 · 两分钟到"
    [dispatch] = sent.alert.dispatches
    assert (dispatch.kind, dispatch.to, dispatch.by, dispatch.at) == (
        DispatchKind.GUARD, "张师傅", "wang.fang", NOW)


def test_which_actions_reach_the_police() -> None:
    forwarded = {type(c).__name__: decide(alert(latching=False, drill=True,
                                                severity=Severity.HIGH), c, LI, NOW).forwarded
                 for c in (Acknowledge(), Claim(), Snooze(minutes=1), Promote(),
                           Resolve(reason=Closure.REAL), FalseAlarm(), Close())}
    assert forwarded == {"Acknowledge": True, "Claim": False, "Snooze": False,
                         "Promote": True, "Resolve": True, "FalseAlarm": True, "Close": True}


def test_only_a_drill_alert_is_promoted_and_then_it_is_real() -> None:
    with pytest.raises(AlertActionError, match="only a drill alert"):
        decide(alert(), Promote(), LI, NOW)
    assert run(alert(drill=True), (Promote("真的着火了"), LI)).drill is False


def test_nothing_but_acknowledging_a_cleared_one_applies_to_a_resolved_alert() -> None:
    cleared = alert(state=AlertState.RESOLVED, latching=False, cleared_unseen=True)
    seen = run(cleared, (Acknowledge(), LI))
    assert (seen.state, seen.cleared_unseen) == (AlertState.RESOLVED, False)
    for command in (Claim(), Snooze(minutes=1), Send(to="x"), Answer(step="a", value="done")):
        with pytest.raises(AlertActionError, match="that is resolved"):
            decide(seen, command, LI, NOW)
