"""A known month of a boarding school, inserted through the store on the virtual clock:
the alerts, hazards and drills whose every figure the tests check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.core.alerts import (
    Alert,
    AlertState,
    Category,
    Closure,
    Dispatch,
    DispatchKind,
    Severity,
)
from gateway.core.drills import Drill, DrillKind
from gateway.core.linkage import LinkageStatus, PoliceStatus
from gateway.core.modes import Mode
from gateway.core.repositories import AlertChange
from gateway.store.schema import hazards
from tests.core.support import SCHOOL

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = """\
calendar:
  statutory: none
  holidays: [2026-10-01, 2026-10-02, 2026-10-05, 2026-10-06, 2026-10-07]
  terms:
    - {name: autumn-2026, start: 2026-09-01, end: 2027-01-22}
"""


def at(text: str) -> float:
    """Site-local `YYYY-MM-DD HH:MM` as unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


NOW = at("2026-12-02 10:00")
"""November is over; December is not."""


def boarding_school(tmp_path: Path, store: str | None = None, extra: str = "") -> GatewayConfig:
    """The test school with a boarding dormitory and the autumn term."""
    text = SCHOOL.replace(
        "  - {id: a3, name: Building A 3F, building: A, floor: 3F}\n",
        "  - {id: a3, name: Building A 3F, building: A, floor: 3F}\n"
        "  - {id: dorm, name: Dormitory, tags: [boarding]}\n")
    path = tmp_path / "gateway.yaml"
    path.write_text(text.replace("{log}", str(tmp_path / "alerts.jsonl"))
                    .replace("{db}", store or f"sqlite:///{tmp_path / 'gw.db'}")
                    + CALENDAR + "reports: {monthly: false, directory: "
                    + str(tmp_path / "reports") + "}\n" + extra)
    return load_config(path)


Step = tuple[float, str, AlertState, str]
"""Seconds after the raise, the action, the state after it, the actor."""


async def put(gateway: Gateway, alert: Alert, steps: Sequence[Step] = (),
              closure: Closure | None = None) -> None:
    """Store `alert` as raised, then each step as its history says."""
    raised = alert.raised_at
    await gateway.store.alerts.change(
        alert.id, lambda _: AlertChange(alert, True, "raise", None, "system", "", raised))
    current = alert
    for after, action, state, actor in steps:
        previous = current.state.value
        current = replace(current, state=state, revision=current.revision + 1,
                          closure=closure if state is AlertState.RESOLVED else current.closure)
        changed = current

        def decide(_: Alert | None, changed: Alert = changed, action: str = action,
                   actor: str = actor, after: float = after,
                   previous: str = previous) -> AlertChange:
            return AlertChange(changed, False, action, previous, actor, "", raised + after)
        await gateway.store.alerts.change(alert.id, decide)


def alert(alert_id: str, rule: str, device: str, zone: str, category: Category,
          severity: Severity, raised: str, drill: bool = False, **more: object) -> Alert:
    return Alert(id=alert_id, key=f"{rule}:{device}:{alert_id}", rule_id=rule, site="s1",
                 device_id=device, zone=zone, category=category, severity=severity,
                 title=f"{rule} {device}", message="", location="", state=AlertState.OPEN,
                 latching=False, drill=drill, raised_at=at(raised), last_event_at=at(raised),
                 event_count=1, revision=1, **more)  # type: ignore[arg-type]


ACK, RESOLVED = AlertState.ACKNOWLEDGED, AlertState.RESOLVED


async def known_month(gateway: Gateway) -> None:
    """November 2026 (and its edges): seven real alerts, one drill alert, six hazards, and
    the term's drills."""
    a1 = alert("A1", "panic", "pb-1", "gate", Category.PANIC, Severity.CRITICAL,
               "2026-11-02 08:10",
               dispatches=(Dispatch(DispatchKind.GUARD, "guard 2", "alice",
                                    at("2026-11-02 08:10") + 90),),
               linkage=(LinkageStatus("police", PoliceStatus.ACCEPTED,
                                      at("2026-11-02 08:10") + 14, at("2026-11-02 08:10") + 15),
                        LinkageStatus("police", PoliceStatus.ON_SCENE,
                                      at("2026-11-02 08:10") + 270,
                                      at("2026-11-02 08:10") + 271)))
    await put(gateway, a1, [(30, "ack", ACK, "alice"), (600, "resolve", RESOLVED, "alice")],
              Closure.REAL)
    await put(gateway, alert("A2", "forced", "gs-1", "gate", Category.INTRUSION,
                             Severity.HIGH, "2026-11-03 22:40"),
              [(200, "ack", ACK, "bob"), (400, "false_alarm", RESOLVED, "bob")],
              Closure.FALSE_ALARM)
    await put(gateway, alert("A3", "forced", "gs-1", "gate", Category.INTRUSION,
                             Severity.HIGH, "2026-11-03 23:05"),
              [(100, "ack", ACK, "bob"), (1000, "resolve", RESOLVED, "alice")], Closure.REAL)
    await put(gateway, alert("A4", "panic", "pb-2", "a3", Category.PANIC, Severity.CRITICAL,
                             "2026-11-07 08:50"),
              [(50, "ack", ACK, "alice"), (300, "false_alarm", RESOLVED, "alice")],
              Closure.FALSE_ALARM)
    await put(gateway, alert("A5", "offline", "pb-1", "gate", Category.DEVICE_HEALTH,
                             Severity.WARNING, "2026-11-10 14:00"),
              [(3600, "clear", RESOLVED, "system")])
    # pb-1 reported again inside the same outage: its offline time counts once
    await put(gateway, alert("A7", "offline", "pb-1", "gate", Category.DEVICE_HEALTH,
                             Severity.WARNING, "2026-11-10 14:30"),
              [(1800, "clear", RESOLVED, "system")])
    await put(gateway, alert("A6", "offline", "pb-2", "a3", Category.DEVICE_HEALTH,
                             Severity.WARNING, "2026-11-30 23:00"))
    # on the edges of the month: not in it
    await put(gateway, alert("B1", "panic", "pb-1", "gate", Category.PANIC, Severity.CRITICAL,
                             "2026-10-31 23:59"), [(10, "ack", ACK, "alice")])
    await put(gateway, alert("B2", "panic", "pb-1", "gate", Category.PANIC, Severity.CRITICAL,
                             "2026-12-01 00:00"), [(10, "ack", ACK, "alice")])
    # raised in the fire drill of November 20th
    d1 = alert("D1", "panic", "pb-2", "a3", Category.PANIC, Severity.CRITICAL,
               "2026-11-20 10:05", drill=True,
               dispatches=(Dispatch(DispatchKind.GUARD, "guard 1", "alice",
                                    at("2026-11-20 10:05") + 40),))
    await put(gateway, d1, [(20, "ack", ACK, "alice"), (120, "resolve", RESOLVED, "alice")],
              Closure.DRILL)
    await _hazards(gateway)
    await drill(gateway, "DR-COMP", "comprehensive", None, "2026-09-02 09:00", 40)
    await drill(gateway, "DR-FIRE", "fire", "a3", "2026-11-20 10:00", 30, evacuation_s=185.0)
    await drill(gateway, "DR-NIGHT", "night", "dorm", "2026-11-20 21:30", 30)


async def drill(gateway: Gateway, drill_id: str, kind: DrillKind, zone: str | None,
                start: str, minutes: int, evacuation_s: float | None = None) -> None:
    """A console drill that ran in its own drill mode for `minutes`."""
    starts = at(start)
    mode = Mode(f"mode-{drill_id}", "drill", zone, None, starts, starts + minutes * 60,
                "carol", kind, "mark")
    await gateway.store.modes.insert(mode, "started", starts)
    await gateway.store.drills.plan(
        Drill(drill_id, kind, f"{kind} drill", zone, starts, minutes * 60.0, 300, "carol",
              "console", "carol"), starts - 86400)
    await gateway.store.drills.started(drill_id, mode.id, starts)
    if evacuation_s is not None:
        await gateway.store.drills.record(drill_id, starts + 3600, evacuation_s, 280,
                                          "exit B slow")


HAZARDS = [
    # id, category, level, found, deadline, state, fixed, closed
    ("H1", "exit", "general", "2026-11-05 00:00", "2026-11-12 00:00", "open", None, None),
    ("H2", "fire_equipment", "major", "2026-11-08 00:00", "2026-12-20 00:00", "fixed",
     "2026-11-15 00:00", None),
    ("H3", "electrical", "general", "2026-10-20 00:00", "2026-10-30 00:00", "closed",
     "2026-11-02 00:00", "2026-11-04 00:00"),
    ("H4", "exit", "general", "2026-11-25 00:00", "2026-11-28 00:00", "closed",
     "2026-11-26 00:00", "2026-11-27 00:00"),
    ("H5", "gas", "major", "2026-10-01 00:00", "2026-10-10 00:00", "open", None, None),
    ("H6", "food", "general", "2026-12-01 10:00", "2026-12-05 00:00", "open", None, None),
]


async def _hazards(gateway: Gateway) -> None:
    rows = [{"id": hid, "source": "patrol", "zone": "gate", "category": category,
             "level": level, "title": hid, "description": "", "found_by": "dave",
             "found_at": at(found), "responsible": "erin", "deadline": at(deadline),
             "state": state, "fixed_at": None if fixed is None else at(fixed),
             "closed_at": None if closed is None else at(closed), "updated_at": at(found)}
            for hid, category, level, found, deadline, state, fixed, closed in HAZARDS]
    await gateway.store.database.run(lambda c: c.execute(insert(hazards), rows))  # type: ignore[attr-defined]


def as_json(value: object) -> object:
    return json.loads(json.dumps(value))
