"""The statistics of a period, read from the store: the one set of queries behind the
console's statistics page and every report.

Counts are grouped in SQL; the raise hour and weekday are grouped by quarter hour in SQL
and placed in the site's local hour in Python (every UTC offset is a multiple of 15
minutes); response times are read alert by alert (their first acknowledgement and
resolution in the history) and their percentiles taken here. The queries of a period run
one after the other on the store thread, so alerts are stored between them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    union_all,
)

from gateway.core.drills import DrillAlert
from gateway.core.linkage import LinkageStatus, PoliceStatus
from gateway.core.statistics import (
    Availability,
    Count,
    FalseAlarms,
    HazardFigures,
    Period,
    Statistics,
    Times,
    percentile,
)
from gateway.store.database import Database
from gateway.store.schema import alert_history, alerts, hazards

QUARTER_HOUR_S = 900
DAY_S = 86400.0
DEVICE_HEALTH = "device_health"
_RESOLVED = ("resolved", "closed")
ACTIVE = ("open", "acknowledged")


class SqlStatistics:
    """Reads the figures of a period."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def figures(self, period: Period, tz: tzinfo, now: float,
                      ack_targets_s: Mapping[str, float],
                      device_classes: Mapping[str, str]) -> Statistics:
        """Every figure of `period` as it stood at min(`now`, its end); drills are the
        caller's to add (their requirements follow the calendar). `device_classes` maps
        each device id to its class (its type)."""
        start, end = period.bounds(tz)
        as_of = min(now, end)
        real = and_(alerts.c.raised_at >= start, alerts.c.raised_at < end, alerts.c.drill == 0)
        run, backend = self._db.run, self._db.backend
        # one piece at a time on the store thread, so that alerts are written in between
        by_hour, by_weekday = await run(lambda c: _hours(c, backend, real, tz))
        times = await run(lambda c: _times(c, real))
        counts = await run(lambda c: (
            _counts(c, alerts.c.category, real), _counts(c, alerts.c.zone, real),
            _false_alarms(c, alerts.c.device_id, real), _false_alarms(c, alerts.c.rule_id, real)))
        availability = await run(lambda c: _availability(c, start, as_of, device_classes))
        hazard_figures = await run(lambda c: _hazards(c, start, end, as_of))
        ack_sev, res_sev, ack_op, res_op = (defaultdict(list) for _ in range(4))
        accepted: list[float] = []
        on_scene: list[float] = []
        for row in times:
            if row.ack_s is not None:
                ack_sev[row.severity].append(row.ack_s)
                ack_op[row.ack_by].append(row.ack_s)
            if row.resolve_s is not None:
                res_sev[row.severity].append(row.resolve_s)
                res_op[row.resolve_by].append(row.resolve_s)
            if row.accepted_s is not None:
                accepted.append(row.accepted_s)
            if row.on_scene_s is not None:
                on_scene.append(row.on_scene_s)
        return Statistics(
            period=period, start=start, end=end, as_of=as_of, alerts=len(times),
            by_category=counts[0], by_zone=counts[1], by_hour=by_hour, by_weekday=by_weekday,
            ack_by_severity=_grouped(ack_sev, ack_targets_s),
            resolve_by_severity=_grouped(res_sev, {}),
            ack_by_operator=_grouped(ack_op, {}), resolve_by_operator=_grouped(res_op, {}),
            false_by_device=counts[2], false_by_rule=counts[3], availability=availability,
            police_accepted=Times.of("accepted", accepted),
            police_on_scene=Times.of("on_scene", on_scene), hazards=hazard_figures)

    async def drill_alerts(self, zone: str | None, start: float, end: float
                           ) -> list[DrillAlert]:
        """The drill alerts raised in `zone` (None: anywhere) from `start` to `end`."""
        where = [alerts.c.drill == 1, alerts.c.raised_at >= start, alerts.c.raised_at < end]
        if zone is not None:
            where.append(alerts.c.zone == zone)
        return await self._db.run(lambda c: _drill_alerts(c, and_(*where)))


def _counts(c: Connection, column: Any, where: ColumnElement[bool]) -> tuple[Count, ...]:
    query = select(column, func.count()).where(where).group_by(column)
    rows = [Count(str(key), int(n)) for key, n in c.execute(query)]
    return tuple(sorted(rows, key=lambda row: (-row.count, row.key)))


def _hours(c: Connection, backend: str, where: ColumnElement[bool], tz: tzinfo
           ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    slot_of = alerts.c.raised_at / QUARTER_HOUR_S
    slot = func.floor(slot_of) if backend == "postgresql" else cast(slot_of, Integer)
    hours, weekdays = [0] * 24, [0] * 7
    for quarter, n in c.execute(select(slot, func.count()).where(where).group_by(slot)):
        local = datetime.fromtimestamp(int(quarter) * QUARTER_HOUR_S, tz)
        hours[local.hour] += int(n)
        weekdays[local.weekday()] += int(n)
    return tuple(hours), tuple(weekdays)


class _Timed:
    """One alert's response: seconds from the raise, and who acted."""

    __slots__ = (
        "accepted_s",
        "ack_by",
        "ack_s",
        "dispatch_s",
        "on_scene_s",
        "resolve_by",
        "resolve_s",
        "row",
        "severity",
    )

    def __init__(self, row: Any) -> None:
        self.row = row
        self.severity: str = row.severity
        self.ack_s: float | None = None
        self.ack_by = ""
        self.resolve_s: float | None = None
        self.resolve_by = ""
        self.accepted_s, self.on_scene_s = _police(row.linkage, row.raised_at)
        self.dispatch_s = None if row.dispatches == "[]" else round(
            min(float(d["at"]) for d in json.loads(row.dispatches)) - row.raised_at, 3)


_TIMED = (alerts.c.id, alerts.c.title, alerts.c.zone, alerts.c.severity, alerts.c.raised_at,
          alerts.c.linkage, alerts.c.dispatches)


def _times(c: Connection, where: ColumnElement[bool],
           query: Select[Any] | None = None) -> list[_Timed]:
    """Each alert matching `where`, with its first acknowledgement and resolution."""
    timed = {row.id: _Timed(row)
             for row in c.execute(query if query is not None else select(*_TIMED).where(where))}
    # driven from the alerts (by their raise) into each one's history, not the other way
    steps = (select(alert_history.c.alert_id, alert_history.c.at, alert_history.c.action,
                    alert_history.c.to_state, alert_history.c.actor)
             .where(alert_history.c.alert_id.in_(select(alerts.c.id).where(where)),
                    or_(alert_history.c.action == "ack",
                        alert_history.c.to_state.in_(_RESOLVED)))
             .order_by(alert_history.c.id))
    for alert_id, at, action, to_state, actor in c.execute(steps):
        one = timed[alert_id]
        after = round(at - one.row.raised_at, 3)
        if action == "ack" and one.ack_s is None:
            one.ack_s, one.ack_by = after, actor
        if to_state in _RESOLVED and one.resolve_s is None:
            one.resolve_s, one.resolve_by = after, actor
    return list(timed.values())


def _police(linkage: str, raised_at: float) -> tuple[float | None, float | None]:
    """Seconds to the police's first `accepted` and first `on_scene`."""
    if linkage == "[]":
        return None, None
    statuses = [LinkageStatus.from_record(item) for item in json.loads(linkage)]

    def first(status: PoliceStatus) -> float | None:
        at = next((s.at for s in statuses if s.status is status), None)
        return None if at is None else round(at - raised_at, 3)
    return first(PoliceStatus.ACCEPTED), first(PoliceStatus.ON_SCENE)


def _grouped(seconds: Mapping[str, Sequence[float]],
             targets_s: Mapping[str, float]) -> tuple[Times, ...]:
    return tuple(Times.of(group, seconds[group], targets_s.get(group))
                 for group in sorted(seconds))


def _false_alarms(c: Connection, column: Any, where: ColumnElement[bool]
                  ) -> tuple[FalseAlarms, ...]:
    false = func.sum(case((alerts.c.closure == "false_alarm", 1), else_=0))
    query = select(column, func.count(), false).where(where).group_by(column)
    rows = [FalseAlarms(str(key), int(n), int(f or 0)) for key, n, f in c.execute(query)]
    return tuple(sorted(rows, key=lambda row: (-row.rate, -row.alerts, row.key)))


def _availability(c: Connection, start: float, as_of: float,
                  device_classes: Mapping[str, str]) -> tuple[Availability, ...]:
    """Offline time per device class, from device-health alerts raise to resolve (the
    registry keeps no history of its own); overlapping outages of a device count once."""
    resolved = (select(func.min(alert_history.c.at))
                .where(alert_history.c.alert_id == alerts.c.id,
                       alert_history.c.to_state.in_(_RESOLVED))
                .scalar_subquery())
    # an outage overlapping the period changed (was resolved) since its start, or is still
    # active: two ranges of the index on (category, updated_at)
    outage = select(alerts.c.device_id, alerts.c.raised_at, resolved)
    health = (alerts.c.category == DEVICE_HEALTH, alerts.c.drill == 0, alerts.c.raised_at < as_of)
    query = union_all(outage.where(*health, alerts.c.updated_at >= start),
                      outage.where(*health, alerts.c.updated_at < start,
                                   alerts.c.state.in_(ACTIVE)))
    outages: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for device_id, raised_at, resolved_at in c.execute(query):
        over = as_of if resolved_at is None else min(resolved_at, as_of)
        begun = max(raised_at, start)
        if device_id in device_classes and over > begun:
            outages[device_id].append((begun, over))
    offline: defaultdict[str, float] = defaultdict(float)
    for device_id, spans in outages.items():
        offline[device_classes[device_id]] += _union(spans)
    members = Counter(device_classes.values())
    period_s = max(as_of - start, 0.0)
    return tuple(Availability(kind, members[kind], round(offline[kind], 3), period_s)
                 for kind in sorted(members))


def _union(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for begun, over in sorted(spans):
        if over > reach:
            total += over - max(begun, reach)
            reach = over
    return total


def _hazards(c: Connection, start: float, end: float, as_of: float) -> HazardFigures:
    h = hazards.c

    def count(*where: ColumnElement[bool]) -> int:
        return int(c.execute(select(func.count()).select_from(hazards).where(*where))
                   .scalar_one())
    found = and_(h.found_at >= start, h.found_at < end)
    not_closed = and_(h.found_at < as_of, or_(h.closed_at.is_(None), h.closed_at >= as_of))
    ages = [(as_of - found_at) / DAY_S
            for (found_at,) in c.execute(select(h.found_at).where(not_closed))]
    return HazardFigures(
        opened=count(found),
        fixed=count(h.fixed_at >= start, h.fixed_at < end),
        closed=count(h.closed_at >= start, h.closed_at < end),
        overdue=count(h.state == "open", h.deadline < as_of, h.found_at < as_of),
        not_closed=len(ages),
        major_not_closed=count(not_closed, h.level == "major"),
        age_p50_days=_days(percentile(ages, 0.5)),
        age_max_days=_days(max(ages, default=None)),
        by_category=_counts(c, h.category, found),
        by_level=_counts(c, h.level, found))


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _drill_alerts(c: Connection, where: ColumnElement[bool]) -> list[DrillAlert]:
    query = select(*_TIMED).where(where).order_by(alerts.c.raised_at, alerts.c.id)
    return [DrillAlert(t.row.id, t.row.title, t.row.zone, t.severity, t.row.raised_at,
                       t.ack_s, t.dispatch_s, t.resolve_s) for t in _times(c, where, query)]
