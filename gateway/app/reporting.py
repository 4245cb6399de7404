"""The statistics of a period and its reports, composed from the store's queries and the
drills' requirements: the same figures for the console, the CLI and the scheduled run.

The scheduled run writes the last month's report on the 1st of each month (APScheduler's
cron trigger says when, the gateway's clock waits for it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger

from gateway.app.config import GatewayConfig
from gateway.app.hazards import school_days
from gateway.core.clock import Clock
from gateway.core.drills import BOARDING_TAG, Term, local_date
from gateway.core.repositories import Store
from gateway.core.statistics import (
    Count,
    DrillFigures,
    Period,
    PeriodError,
    Statistics,
    StatisticsRepository,
    month,
    quarter,
    term,
)
from gateway.modes.drills import DrillService
from gateway.modes.service import ModeService
from gateway.reports.config import ReportsConfig
from gateway.reports.labels import Language
from rules.calendar import SchoolCalendar

if TYPE_CHECKING:
    from gateway.reports.files import ReportFiles

log = logging.getLogger(__name__)

PERIOD_KINDS = ("monthly", "quarterly", "term")


class Reporting:
    """Statistics and reports of one site."""

    def __init__(self, statistics: StatisticsRepository, drills: DrillService, clock: Clock,
                 site: str, ack_targets_s: dict[str, float],
                 device_classes: dict[str, str], config: ReportsConfig,
                 zone_names: dict[str, str] | None = None) -> None:
        self._statistics = statistics
        self._drills = drills
        self._clock = clock
        self.tz = drills.tz
        self.site = site
        self._targets = ack_targets_s
        self._classes = device_classes
        self.config = config
        self._zone_names = zone_names or {}

    def period(self, kind: str, text: str) -> Period:
        """`monthly 2026-11`, `quarterly 2026-Q4`, `term autumn-2026`; `PeriodError`
        naming the field otherwise."""
        if kind == "monthly":
            return month(text)
        if kind == "quarterly":
            return quarter(text)
        if kind == "term":
            return term(text, self._drills.terms)
        raise PeriodError(f"kind: {kind!r} is not one of {', '.join(PERIOD_KINDS)}")

    async def statistics(self, period: Period) -> Statistics:
        """Every figure of `period`, the drills held and required included."""
        now = self._clock.now()
        stats = await self._statistics.figures(period, self.tz, now, self._targets,
                                               self._classes)
        drills = await self._drills.between(stats.start, stats.end)
        held = [d for d in drills if d.held(min(now, stats.end))]
        kinds = Counter(d.kind for d in held)
        required = await self._drills.required(period.first, period.last)
        as_of = local_date(stats.as_of, self.tz)
        figures = DrillFigures(len(held), tuple(Count(k, n) for k, n in kinds.most_common()),
                               tuple(required), as_of)
        return replace(stats, drills=figures)

    async def build(self, period: Period, language: Language) -> ReportFiles:
        """The report's files (laid out off the event loop: it takes a second or two).
        The layout stack (PDF, charts, spreadsheet) is imported on the first report, not
        with the gateway: it weighs some 60 MB that a running gateway does not need."""
        from gateway.reports.build import build_report  # imported here: see above

        stats = await self.statistics(period)
        return await asyncio.to_thread(build_report, stats, language, self.site, self.tz,
                                       self._clock.now(), self._zone_names)

    async def write(self, period: Period, language: Language, directory: Path) -> list[Path]:
        """Build the report and write its files into `directory`."""
        files = await self.build(period, language)
        return await asyncio.to_thread(files.write, directory)

    def next_monthly_run(self, after: float) -> float:
        """When the scheduled monthly report is next due after `after`."""
        trigger = CronTrigger(day=1, hour=self.config.hour, timezone=self.tz)
        fire: datetime | None = trigger.get_next_fire_time(
            None, datetime.fromtimestamp(after, self.tz))
        if fire is None:
            raise RuntimeError("the monthly trigger has no next run")
        return fire.timestamp()

    async def run_monthly(self) -> None:
        """Write the last month's report at each scheduled run, until cancelled."""
        due = self.next_monthly_run(self._clock.now())
        while True:
            await self._clock.sleep(max(due - self._clock.now(), 0.0))
            due = self.next_monthly_run(due + 1.0)
            last = previous_month(local_date(self._clock.now(), self.tz))
            try:
                paths = await self.write(last, self.config.language, self.config.directory)
            except Exception:
                log.exception("the monthly report of %s failed", last.name)
                continue
            log.info("monthly report of %s written: %s", last.name, paths[0])


def site_reporting(config: GatewayConfig, store: Store, clock: Clock,
                   modes: ModeService) -> tuple[DrillService, Reporting]:
    """The site's drill service and reporting, from its config."""
    tz = config.site.tz
    drills = DrillService(
        store.drills, store.statistics, modes, clock, (zone.id for zone in config.zones),
        [Term(t.name, t.start, t.end) for t in config.calendar.terms],
        any(BOARDING_TAG in zone.tags for zone in config.zones),
        school_days(SchoolCalendar(config.calendar, tz)))
    reporting = Reporting(
        store.statistics, drills, clock, config.site.name,
        {severity.value: s for severity, s in config.console.ack_target_s.items()},
        {device.id: device.type for device in config.devices}, config.reports,
        {zone.id: zone.name for zone in config.zones})
    return drills, reporting


def previous_month(today: date) -> Period:
    """The month before the one `today` is in."""
    last = today.replace(day=1) - timedelta(days=1)
    return month(f"{last.year:04d}-{last.month:02d}")
