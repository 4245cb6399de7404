"""Drills as the school plans, runs and reports them: each runs in a drill mode of
`ModeService` (its alerts marked), and its report is read from the store afterwards."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from gateway.core.clock import Clock
from gateway.core.drills import (
    Drill,
    DrillConflict,
    DrillKind,
    DrillNotFound,
    DrillReport,
    DrillRepository,
    Requirement,
    Term,
    requirements,
    terms_between,
)
from gateway.core.modes import ModeNotFound
from gateway.core.statistics import StatisticsRepository
from gateway.modes.config import MAX_DRILL_S, ScheduledDrillConfig
from gateway.modes.service import CONFIG, ModeService

log = logging.getLogger(__name__)


class DrillService:
    """Plans, starts, ends and reports drills; checks the terms' requirements."""

    def __init__(self, drills: DrillRepository, statistics: StatisticsRepository,
                 modes: ModeService, clock: Clock, zones: Iterable[str],
                 terms: Sequence[Term] = (), boarding: bool = False,
                 school_day: Callable[[date], bool] = lambda day: day.weekday() < 5) -> None:
        self._drills = drills
        self._statistics = statistics
        self._modes = modes
        self._clock = clock
        self.tz: tzinfo = modes.tz
        self._zones = set(zones)
        self.terms = tuple(terms)
        self.boarding = boarding
        self._school_day = school_day

    async def load(self, planned: Sequence[ScheduledDrillConfig]) -> None:
        """Store the config's drills not yet over (each runs in the mode the mode service
        planned for it, under the same id)."""
        now = self._clock.now()
        for config in planned:
            starts, until = config.window(self.tz)
            if until <= now:
                continue
            mode_id = config.mode_id(self.tz)
            drill = Drill(mode_id, config.kind, config.note, config.zone, starts,
                          until - starts, config.expected_participants, config.lead,
                          "config", CONFIG, mode_id)
            if await self._drills.plan(drill, now):
                log.info("drill %s (%s) planned in the config", drill.id, drill.kind)

    async def plan(self, kind: DrillKind, title: str, zone: str | None, start: float,
                   duration_s: float, expected_participants: int, lead: str,
                   actor: str) -> Drill:
        """A drill to be started by a supervisor when it is held."""
        if zone is not None and zone not in self._zones:
            raise DrillNotFound(f"zone: no zone {zone!r}")
        if not 0 < duration_s <= MAX_DRILL_S:
            raise DrillConflict("minutes: a drill lasts up to 24 h")
        now = self._clock.now()
        drill = Drill(f"drl-{int(now * 1000):011x}{secrets.token_hex(3)}", kind, title, zone,
                      start, duration_s, expected_participants, lead, "console", actor)
        await self._drills.plan(drill, now)
        return drill

    async def get(self, drill_id: str) -> Drill:
        drill = await self._drills.get(drill_id)
        if drill is None:
            raise DrillNotFound(f"no drill {drill_id!r}")
        return drill

    async def start(self, drill_id: str, actor: str) -> Drill:
        """Put the drill's zone (or the whole site) in drill mode now, for its duration."""
        drill = await self.get(drill_id)
        if drill.source == "config":
            raise DrillConflict(f"drill {drill_id} is planned in the config: its drill mode "
                                "starts by itself")
        if drill.mode_id:
            raise DrillConflict(f"drill {drill_id} was started already")
        now = self._clock.now()
        mode = await self._modes.start_drill(drill.zone, now + drill.duration_s, actor,
                                             drill.title or drill.kind)
        if not await self._drills.started(drill_id, mode.id, now):
            await self._modes.end_mode(mode.id, actor, "started twice")
            raise DrillConflict(f"drill {drill_id} was started already")
        return await self.get(drill_id)

    async def end(self, drill_id: str, actor: str, note: str = "") -> Drill:
        """End the drill's mode now."""
        drill = await self.get(drill_id)
        if drill.state(self._clock.now()) != "running":
            raise DrillConflict(f"drill {drill_id} is not running")
        try:
            await self._modes.end_mode(drill.mode_id, actor, note)
        except ModeNotFound:
            raise DrillConflict(f"drill {drill_id} has no drill mode") from None
        return await self.get(drill_id)

    async def record(self, drill_id: str, evacuation_s: float | None,
                     participants: int | None, notes: str | None) -> Drill:
        """What the drill lead entered; only for a drill that has started."""
        drill = await self.get(drill_id)
        now = self._clock.now()
        if drill.state(now) == "planned":
            raise DrillConflict(f"drill {drill_id} has not started")
        await self._drills.record(drill_id, now, evacuation_s, participants, notes)
        return await self.get(drill_id)

    async def report(self, drill_id: str) -> DrillReport:
        """The drill with every alert raised in it so far."""
        drill = await self.get(drill_id)
        now = self._clock.now()
        if drill.started_at is None or drill.started_at > now:
            return DrillReport(drill, ())
        end = min(drill.ended_at if drill.ended_at is not None else now, now)
        alerts = await self._statistics.drill_alerts(drill.zone, drill.started_at, end)
        return DrillReport(drill, tuple(alerts))

    async def between(self, start: float, end: float) -> list[Drill]:
        return await self._drills.between(start, end)

    async def required(self, first: date, last: date) -> list[Requirement]:
        """What the terms with a day in `first`..`last` require, and what met it."""
        now = self._clock.now()
        found: list[Requirement] = []
        for term in terms_between(self.terms, first, last):
            start, end = (self._midnight(term.start),
                          self._midnight(term.end + timedelta(days=1)))
            drills = await self._drills.between(start, end)
            found += requirements(term, drills, self.boarding, self._school_day, self.tz,
                                  now)
        return found

    def _midnight(self, day: date) -> float:
        return datetime.combine(day, time(), self.tz).timestamp()
