"""The hazard register at work: hazards registered from alerts, patrols, inspections and
rules, their steps decided by `gateway.core.hazards`, overdue ones escalated, and the
quarterly self-inspection scheduled from the school calendar."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.exc import SQLAlchemyError

from gateway.app.config import HazardsConfig
from gateway.core.accounts import UserRepository
from gateway.core.alerts import Alert
from gateway.core.clock import Clock, sleep_until
from gateway.core.hazards import (
    Hazard,
    HazardActor,
    HazardCategory,
    HazardCommand,
    HazardFilter,
    HazardLevel,
    HazardRefused,
    HazardSource,
    HazardState,
    HazardStep,
    Inspection,
    Reassign,
    decide_hazard,
    escalation_due,
    inspection_day,
    next_quarter_start,
    quarter_of,
)
from gateway.core.repositories import AlertRepository, HazardRepository, StoreUnavailable
from rules.calendar import CalendarError, SchoolCalendar

log = logging.getLogger(__name__)

ESCALATION_CHECK_S = 60.0
"""While the store fails, how often a round of escalation is tried again."""
PAST_DUE_S = 1.0
"""A round wakes this long after an escalation's due time (a hazard is overdue only after
its deadline, not at it)."""
NOT_CLOSED = (HazardState.OPEN, HazardState.FIXED, HazardState.VERIFIED, HazardState.REVIEW)


@dataclass(frozen=True)
class HazardDraft:
    """What a person (or a rule) says of a new hazard."""

    zone: str
    category: HazardCategory
    level: HazardLevel
    title: str
    description: str
    responsible: str
    deadline: float
    source: HazardSource = HazardSource.PATROL
    alert_id: str = ""
    plan: str = ""
    x: float | None = None
    y: float | None = None


class HazardNotFound(Exception):
    pass


class HazardRegister:
    def __init__(self, hazards: HazardRepository, alerts: AlertRepository, clock: Clock,
                 tz: tzinfo, config: HazardsConfig, zones: Iterable[str],
                 users: UserRepository, school_day: Callable[[date], bool]) -> None:
        self.hazards = hazards
        self._alerts = alerts
        self._clock = clock
        self._tz = tz
        self.config = config
        self._zones = frozenset(zones)
        self._users = users
        self._school_day = school_day
        self._repeats = {repeat.rule: repeat for repeat in config.from_rules}
        self._changed = asyncio.Event()
        self._idle = asyncio.Event()

    async def register(self, draft: HazardDraft, by: str) -> Hazard:
        """A new open hazard, or `HazardRefused(422)` naming the field that is wrong."""
        now = self._clock.now()
        if draft.alert_id and await self._alerts.get(draft.alert_id) is None:
            raise HazardRefused(422, f"no alert {draft.alert_id!r}", "alert_id")
        await self._check(draft.zone, draft.responsible, draft.deadline, now)
        for name in ("title", "description"):
            if not getattr(draft, name).strip():
                raise HazardRefused(422, f"{name} is required", name)
        added = await self.hazards.add(self._new(draft, by, now))
        self._wake()
        return added

    async def act(self, hazard_id: str, command: HazardCommand,
                  actor: HazardActor) -> Hazard:
        now = self._clock.now()
        if isinstance(command, Reassign):
            await self._check(None, command.responsible, command.deadline, now)
        changed = await self.hazards.change(
            hazard_id, lambda hazard: decide_hazard(hazard, command, actor, now))
        if changed is None:
            raise HazardNotFound(hazard_id)
        self._wake()
        return changed

    async def get(self, hazard_id: str) -> Hazard:
        hazard = await self.hazards.get(hazard_id)
        if hazard is None:
            raise HazardNotFound(hazard_id)
        return hazard

    async def escalate(self) -> list[Hazard]:
        """Raise the escalation of every overdue hazard that is due for it (1: supervisors,
        2: the principal), each a step in its history; the hazards escalated."""
        now = self._clock.now()
        escalated = []
        for hazard in await self.hazards.find(HazardFilter(overdue_at=now)):
            level = escalation_due(hazard, now, self.config.principal_after)
            if level > hazard.escalation_level:
                changed = await self.hazards.change(hazard.id, self._escalation(level, now))
                if changed is not None:
                    escalated.append(changed)
        if escalated:
            log.warning("%d hazard(s) overdue escalated: %s", len(escalated),
                        ", ".join(h.id for h in escalated))
        return escalated

    def watches(self, rule_id: str) -> bool:
        return rule_id in self._repeats

    async def alert_raised(self, alert: Alert) -> Hazard | None:
        """Register a hazard when `alert`'s rule has now raised `count` alerts in its zone
        `within` its window (configured in `hazards.from_rules`), unless one is still open
        for that rule and zone."""
        repeat = self._repeats.get(alert.rule_id)
        if repeat is None:
            return None
        since = alert.raised_at - repeat.within
        recent = [a for a in await self._alerts.newest(limit=1000)
                  if a.rule_id == alert.rule_id and a.zone == alert.zone
                  and a.raised_at >= since]
        if len(recent) < repeat.count:
            return None
        open_ones = await self.hazards.find(HazardFilter(states=NOT_CLOSED, zone=alert.zone))
        if any(h.source is HazardSource.RULE and h.alert_id in {a.id for a in recent}
               for h in open_ones):
            return None
        days = repeat.within / 86400
        draft = HazardDraft(
            zone=alert.zone, category=repeat.category, level=repeat.level,
            title=f"{alert.title}（{days:g} 天内 {len(recent)} 次）",
            description=f"{alert.rule_id}: {len(recent)} alerts in {days:g} days in "
                        f"{alert.zone}; the newest {alert.id}",
            responsible=repeat.responsible,
            deadline=self._clock.now() + repeat.deadline, source=HazardSource.RULE,
            alert_id=alert.id)
        try:
            hazard = await self.register(draft, "gateway")
        except HazardRefused as exc:
            log.error("hazards.from_rules %s: cannot register the hazard: %s",
                      alert.rule_id, exc)
            return None
        log.warning("hazard %s registered: %s", hazard.id, hazard.title)
        return hazard

    def _escalation(self, level: int, now: float) -> Callable[[Hazard], Hazard]:
        whom = ("supervisors" if level == 1
                else f"principal {self.config.principal or '(not configured)'}")

        def raise_level(hazard: Hazard) -> Hazard:
            if hazard.escalation_level >= level or not hazard.overdue(now):
                return hazard
            step = HazardStep(now, "gateway", "escalate", hazard.state,
                              f"overdue since its deadline: to the {whom}")
            return replace(hazard, escalation_level=level, updated_at=now,
                           steps=(*hazard.steps, step))
        return raise_level

    def _wake(self) -> None:
        """A hazard was registered or changed: a round looks at the schedule again."""
        self._idle.clear()
        self._changed.set()

    async def drain(self) -> None:
        """Wait until the round under way, if any, is done and the next one sleeps."""
        await self._idle.wait()

    async def run(self) -> None:
        """Escalate and keep this quarter's inspection scheduled, in rounds until
        cancelled: each sleeps until the next escalation or quarter is due, or until a
        hazard is registered or changes here."""
        failing = False
        while True:
            self._changed.clear()
            wake_at: float | None
            try:
                await self.schedule_inspection()
                await self.escalate()
                wake_at = await self.next_round()
            except (StoreUnavailable, SQLAlchemyError) as exc:  # tried again; said once
                if not failing:
                    log.warning("hazard escalation waits for the store: %s", exc)
                failing = True
                wake_at = self._clock.now() + ESCALATION_CHECK_S
            else:
                if failing:
                    log.info("hazard escalation goes on: the store is back")
                failing = False
            await sleep_until(self._clock, wake_at, self._changed, asleep=self._idle)

    async def next_round(self) -> float:
        """When a round has work next: the earliest escalation due of an open hazard, or
        the start of the next quarter (its inspection to schedule)."""
        now = self._clock.now()
        following = next_quarter_start(quarter_of(datetime.fromtimestamp(now, self._tz).date()))
        due = [datetime.combine(following, time(0, 0), self._tz).timestamp()]
        for hazard in await self.hazards.find(HazardFilter(states=(HazardState.OPEN,))):
            if hazard.escalation_level < 1:
                due.append(hazard.deadline + PAST_DUE_S)
            elif hazard.escalation_level < 2:
                due.append(hazard.deadline + self.config.principal_after + PAST_DUE_S)
        return max(min(due), now + PAST_DUE_S)

    def inspection_due(self, quarter: str) -> float:
        day = inspection_day(quarter, self._school_day, self.config.inspection_school_day)
        return datetime.combine(day, time(17, 0), self._tz).timestamp()

    async def schedule_inspection(self) -> str:
        quarter = quarter_of(datetime.fromtimestamp(self._clock.now(), self._tz).date())
        await self.hazards.schedule_inspection(quarter, self.inspection_due(quarter))
        return quarter

    async def complete_inspection(self, inspection_id: str, checklist: dict[str, str],
                                  findings: list[HazardDraft], by: str,
                                  ) -> tuple[Inspection, list[Hazard]]:
        """Record the quarter's inspection with a finding per category (every category
        must be answered) and its findings as new hazards, at once."""
        now = self._clock.now()
        missing = [c.value for c in HazardCategory if not checklist.get(c.value, "").strip()]
        if missing:
            raise HazardRefused(422, "every category needs a finding: " + ", ".join(missing),
                                "checklist")
        for draft in findings:
            await self._check(draft.zone, draft.responsible, draft.deadline, now)
        new = [replace(self._new(replace(draft, source=HazardSource.INSPECTION), by, now),
                       inspection_id=inspection_id) for draft in findings]
        done = await self.hazards.complete_inspection(inspection_id, checklist, by, now, new)
        if done is None:
            raise HazardRefused(409, f"no open inspection {inspection_id!r}")
        self._wake()
        return done

    def _new(self, draft: HazardDraft, by: str, now: float) -> Hazard:
        step = HazardStep(now, by, "register", HazardState.OPEN, draft.title)
        return Hazard(
            id="", source=draft.source, zone=draft.zone, category=draft.category,
            level=draft.level, title=draft.title.strip(),
            description=draft.description.strip(), found_by=by, found_at=now,
            responsible=draft.responsible, deadline=draft.deadline, alert_id=draft.alert_id,
            plan=draft.plan, x=draft.x, y=draft.y, updated_at=now, steps=(step,))

    async def _check(self, zone: str | None, responsible: str, deadline: float,
                     now: float) -> None:
        if zone is not None and zone not in self._zones:
            raise HazardRefused(422, f"unknown zone {zone!r}", "zone")
        if not responsible.strip():
            raise HazardRefused(422, "a hazard needs a responsible person (责任人)",
                                "responsible")
        if await self._users.get(responsible) is None:
            raise HazardRefused(422, f"no user {responsible!r}", "responsible")
        if deadline <= now:
            raise HazardRefused(422, "the deadline (整改时限) must be in the future",
                                "deadline")

    def deadline_default(self) -> float:
        return self._clock.now() + timedelta(days=self.config.deadline_days).total_seconds()


def school_days(calendar: SchoolCalendar) -> Callable[[date], bool]:
    """Whether a day is a school day; a weekday where the calendar has no holiday data."""
    def school_day(day: date) -> bool:
        try:
            return "school" in calendar.day_kinds(day)
        except CalendarError:
            return day.weekday() < 5
    return school_day
