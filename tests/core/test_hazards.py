"""The hazard's closed loop, decided purely: every step from every state, by every kind of
person, as a table; the escalation levels; the quarterly inspection's day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gateway.core.accounts import Role
from gateway.core.hazards import (
    CloseOut,
    Fix,
    Hazard,
    HazardActor,
    HazardCategory,
    HazardCommand,
    HazardLevel,
    HazardRefused,
    HazardSource,
    HazardState,
    PlanFix,
    Reassign,
    Reject,
    Reopen,
    Review,
    Verify,
    category_for_alert,
    decide_hazard,
    escalation_due,
    inspection_day,
    quarter_of,
)

T0 = 1_800_000_000.0
DAY = 86400.0
OPEN, FIXED, VERIFIED, REVIEW, CLOSED = HazardState
FIXER = HazardActor("zhang.wei", Role.VIEWER)  # the responsible person: a caretaker
OPERATOR = HazardActor("duty", Role.OPERATOR)
SUPERVISOR = HazardActor("chief", Role.SUPERVISOR)
OTHER_SUPERVISOR = HazardActor("deputy", Role.SUPERVISOR)
SAFETY = HazardActor("safety", Role.SAFETY_CHIEF)
STRANGER = HazardActor("teacher", Role.VIEWER)


def hazard(state: HazardState = OPEN, level: HazardLevel = HazardLevel.GENERAL,
           **fields: object) -> Hazard:
    base = Hazard(id="HZ-2027-0001", source=HazardSource.PATROL, zone="building-a",
                  category=HazardCategory.EXIT, level=level, title="东侧安全出口堆放杂物",
                  description="纸箱堆在出口门前", found_by="duty", found_at=T0,
                  responsible="zhang.wei", deadline=T0 + 3 * DAY, state=state)
    if state in (FIXED, VERIFIED, REVIEW, CLOSED):
        base = replace(base, fixed_by="zhang.wei", fixed_at=T0 + DAY, fix_note="已清理")
    if state in (VERIFIED, REVIEW, CLOSED):
        base = replace(base, verified_by="duty", verified_at=T0 + DAY + 60)
    if state in (REVIEW, CLOSED):
        base = replace(base, closed_by="chief", closed_at=T0 + DAY + 120)
    return replace(base, **fields)  # type: ignore[arg-type]


# command, from state, level, actor -> the state after, or the HTTP status of the refusal
CASES: list[tuple[HazardCommand, HazardState, HazardLevel, HazardActor, HazardState | int]] = [
    (PlanFix("周五前清理"), OPEN, HazardLevel.GENERAL, FIXER, OPEN),
    (PlanFix("周五前清理"), OPEN, HazardLevel.GENERAL, STRANGER, 403),
    (PlanFix("周五前清理"), FIXED, HazardLevel.GENERAL, FIXER, 409),
    (PlanFix(" "), OPEN, HazardLevel.GENERAL, FIXER, 422),
    (Fix("已清理，出口畅通"), OPEN, HazardLevel.GENERAL, FIXER, FIXED),
    (Fix("已清理"), OPEN, HazardLevel.GENERAL, SUPERVISOR, FIXED),
    (Fix("已清理"), OPEN, HazardLevel.GENERAL, OPERATOR, 403),
    (Fix(""), OPEN, HazardLevel.GENERAL, FIXER, 422),
    (Fix("again"), FIXED, HazardLevel.GENERAL, FIXER, 409),
    (Verify(), FIXED, HazardLevel.GENERAL, OPERATOR, VERIFIED),
    (Verify(), FIXED, HazardLevel.GENERAL, STRANGER, 403),  # a viewer does not verify
    (Verify(), OPEN, HazardLevel.GENERAL, OPERATOR, 409),
    (Reject("箱子又堆回去了"), FIXED, HazardLevel.GENERAL, OPERATOR, OPEN),
    (Reject("箱子又堆回去了"), VERIFIED, HazardLevel.GENERAL, OPERATOR, 403),
    (Reject("箱子又堆回去了"), VERIFIED, HazardLevel.GENERAL, SUPERVISOR, OPEN),
    (Reject("复核不通过"), REVIEW, HazardLevel.MAJOR, SUPERVISOR, 403),
    (Reject("复核不通过"), REVIEW, HazardLevel.MAJOR, SAFETY, OPEN),
    (Reject(""), FIXED, HazardLevel.GENERAL, OPERATOR, 422),
    (Reject("no"), OPEN, HazardLevel.GENERAL, OPERATOR, 409),
    (CloseOut(), VERIFIED, HazardLevel.GENERAL, SUPERVISOR, CLOSED),
    (CloseOut(), VERIFIED, HazardLevel.MAJOR, SUPERVISOR, REVIEW),
    (CloseOut(), VERIFIED, HazardLevel.GENERAL, OPERATOR, 403),
    (CloseOut(), FIXED, HazardLevel.GENERAL, SUPERVISOR, 409),
    (Review(), REVIEW, HazardLevel.MAJOR, SAFETY, CLOSED),
    (Review(), REVIEW, HazardLevel.MAJOR, SUPERVISOR, 403),
    (Review(), VERIFIED, HazardLevel.MAJOR, SAFETY, 409),
    (Reopen("又出现了"), CLOSED, HazardLevel.GENERAL, SUPERVISOR, OPEN),
    (Reopen("又出现了"), CLOSED, HazardLevel.GENERAL, OPERATOR, 403),
    (Reopen(""), CLOSED, HazardLevel.GENERAL, SUPERVISOR, 422),
    (Reopen("x"), OPEN, HazardLevel.GENERAL, SUPERVISOR, 409),
    (Reassign("li.na", T0 + 7 * DAY), OPEN, HazardLevel.GENERAL, SUPERVISOR, OPEN),
    (Reassign("li.na", T0 + 7 * DAY), FIXED, HazardLevel.GENERAL, SUPERVISOR, FIXED),
    (Reassign("li.na", T0 + 7 * DAY), OPEN, HazardLevel.GENERAL, FIXER, 403),
    (Reassign("li.na", T0 + 7 * DAY), CLOSED, HazardLevel.GENERAL, SUPERVISOR, 409),
]


@pytest.mark.parametrize(("command", "state", "level", "actor", "expected"), CASES,
                         ids=[f"{c.action}-{s}-{lv}-{a.name}-{e}"
                              for c, s, lv, a, e in CASES])
def test_each_step_from_each_state_by_each_person(
        command: HazardCommand, state: HazardState, level: HazardLevel,
        actor: HazardActor, expected: HazardState | int) -> None:
    before = hazard(state, level)
    now = T0 + 2 * DAY
    if isinstance(expected, int):
        with pytest.raises(HazardRefused) as refused:
            decide_hazard(before, command, actor, now)
        assert refused.value.status == expected
        return
    after = decide_hazard(before, command, actor, now)
    assert after.state is expected
    assert after.steps[-1].actor == actor.name
    assert after.steps[-1].action == command.action
    assert after.updated_at == now


def test_the_fixer_does_not_verify_their_own_fix() -> None:
    fixed = decide_hazard(hazard(), Fix("已清理"), SUPERVISOR, T0 + DAY)
    with pytest.raises(HazardRefused) as refused:
        decide_hazard(fixed, Verify(), SUPERVISOR, T0 + DAY + 1)
    assert (refused.value.status, refused.value.field) == (403, "verified_by")
    assert decide_hazard(fixed, Verify(), OTHER_SUPERVISOR, T0 + DAY + 1).state is VERIFIED


def test_the_closer_does_not_review_their_own_close_out() -> None:
    chief = HazardActor("chief", Role.SAFETY_CHIEF)
    with pytest.raises(HazardRefused):
        decide_hazard(hazard(REVIEW, HazardLevel.MAJOR), Review(), chief, T0 + 2 * DAY)


def test_a_major_hazard_goes_round_the_whole_loop_and_keeps_its_history() -> None:
    h = hazard(level=HazardLevel.MAJOR)
    for command, actor in [(PlanFix("更换防火门闭门器"), FIXER), (Fix("已更换"), FIXER),
                           (Verify("现场查看，门能自闭"), OPERATOR), (CloseOut(), SUPERVISOR),
                           (Review("同意销号"), SAFETY)]:
        h = decide_hazard(h, command, actor, T0 + DAY)
    assert h.state is CLOSED
    assert (h.fixed_by, h.verified_by, h.closed_by, h.reviewed_by) == (
        "zhang.wei", "duty", "chief", "safety")
    h = decide_hazard(h, Reopen("闭门器又坏了"), SUPERVISOR, T0 + 9 * DAY)
    assert (h.state, h.reopened, h.fixed_by, h.closed_by, h.reviewed_by) == (OPEN, 1, None,
                                                                             None, None)
    assert [s.action for s in h.steps] == ["plan", "fix", "verify", "close", "review",
                                           "reopen"]


def test_escalation_goes_to_supervisors_at_the_deadline_then_to_the_principal() -> None:
    h = hazard()
    assert escalation_due(h, h.deadline - 1, 3 * DAY) == 0
    assert escalation_due(h, h.deadline + 1, 3 * DAY) == 1
    assert escalation_due(h, h.deadline + 3 * DAY + 1, 3 * DAY) == 2
    assert escalation_due(hazard(FIXED), h.deadline + 9 * DAY, 3 * DAY) == 0  # fixed in time


def test_the_quarterly_inspection_day_skips_the_national_day_holiday() -> None:
    holidays = {date(2026, 10, d) for d in range(1, 9)}

    def school_day(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays
    # 2026-Q4: 1-8 October are off; Friday the 9th, Monday the 12th, Tuesday the 13th.
    assert inspection_day("2026-Q4", school_day, 3) == date(2026, 10, 13)
    assert inspection_day("2026-Q4", lambda day: day.weekday() < 5, 3) == date(2026, 10, 5)
    assert inspection_day("2026-Q3", lambda day: False, 1) == date(2026, 9, 30)
    assert quarter_of(date(2026, 12, 3)) == "2026-Q4"
    with pytest.raises(ValueError):
        inspection_day("2026-Q5", school_day, 1)


@pytest.mark.parametrize(("rule", "category", "expected"), [
    ("exit-blocked", "hazard", HazardCategory.EXIT),
    ("gas-leak", "hazard", HazardCategory.GAS),
    ("fire-panel-zone-fault", "maintenance", HazardCategory.FIRE_EQUIPMENT),
    ("rooftop-door-night", "intrusion", HazardCategory.FALL_RISK),
    ("panic-pressed", "panic", HazardCategory.OTHER),
])
def test_a_hazard_from_an_alert_guesses_its_category(rule: str, category: str,
                                                     expected: HazardCategory) -> None:
    assert category_for_alert(rule, category) is expected
