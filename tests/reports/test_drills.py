"""Drills: planned in the config or the console, run in drill mode, reported with their
alerts' response times and the evacuation time; each term's requirements; bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from gateway.app.api.app import create_api
from gateway.app.gateway import Gateway
from gateway.app.hazards import school_days
from gateway.core.alerts import AlertSpec, Category, Severity
from gateway.core.clock import VirtualClock
from gateway.core.configfile import ConfigError
from gateway.core.drills import Drill, DrillKind, Term, requirements
from gateway.core.statistics import month
from rules.calendar import SchoolCalendar
from tests.helpers import eventually
from tests.reports.support import CALENDAR, TZ, at, boarding_school

AUTH = {"Authorization": "Bearer operator-token"}
# The term starts on Monday 2026-09-28; 1-7 October are off (the 3rd and 4th a weekend).
HOLIDAY_TERM = Term("autumn-late", date(2026, 9, 28), date(2027, 1, 22))


def held(kind: DrillKind, day: str) -> Drill:
    starts = at(f"{day} 09:00")
    return Drill(f"{kind}-{day}", kind, "", None, starts, 1800.0, 0, "", "console", "carol",
                 "mode", starts, starts + 1800)


@pytest.fixture(scope="module")
def school_day(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    config = boarding_school(tmp_path_factory.mktemp("calendar"))
    return school_days(SchoolCalendar(config.calendar, TZ))


@pytest.mark.parametrize(("drills", "boarding", "today", "expected"), [
    # the first week is five school days: the holiday moves its end to Friday 9 October
    ([held("comprehensive", "2026-10-09")], False, "2026-10-20",
     [("comprehensive", "2026-09-28", "2026-10-09", "met")]),
    ([held("comprehensive", "2026-10-12")], False, "2026-10-20",
     [("comprehensive", "2026-09-28", "2026-10-09", "missing")]),
    ([held("fire", "2026-09-29")], False, "2026-10-20",
     [("comprehensive", "2026-09-28", "2026-10-09", "missing")]),
    ([], False, "2026-10-08", [("comprehensive", "2026-09-28", "2026-10-09", "pending")]),
    # boarders: a night drill any time in the term
    ([held("comprehensive", "2026-09-28"), held("night", "2026-12-10")], True, "2027-01-30",
     [("comprehensive", "2026-09-28", "2026-10-09", "met"),
      ("night", "2026-09-28", "2027-01-22", "met")]),
    ([held("comprehensive", "2026-09-28")], True, "2027-01-30",
     [("comprehensive", "2026-09-28", "2026-10-09", "met"),
      ("night", "2026-09-28", "2027-01-22", "missing")]),
    ([held("comprehensive", "2026-09-28")], True, "2026-12-01",
     [("comprehensive", "2026-09-28", "2026-10-09", "met"),
      ("night", "2026-09-28", "2027-01-22", "pending")]),
])
def test_each_term_needs_a_comprehensive_drill_in_its_first_week_and_boarders_a_night_drill(
        school_day: object, drills: list[Drill], boarding: bool, today: str,
        expected: list[tuple[str, str, str, str]]) -> None:
    now = at(f"{today} 12:00")
    found = requirements(HOLIDAY_TERM, drills, boarding, school_day, TZ,  # type: ignore[arg-type]
                         now)
    assert [(r.kind, r.due_from.isoformat(), r.due_until.isoformat(),
             r.status(date.fromisoformat(today))) for r in found] == expected


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    config = boarding_school(tmp_path)
    async with Gateway(config, VirtualClock(at("2026-09-08 09:00")),
                       run_adapters=False) as gw:
        yield gw


def client(gateway: Gateway) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(gateway)),
                             base_url="http://gateway", headers=AUTH)


async def test_a_drill_runs_in_drill_mode_and_reports_its_alerts_and_evacuation(
        gateway: Gateway) -> None:
    clock = gateway.clock
    assert isinstance(clock, VirtualClock)
    async with client(gateway) as api:
        listing = (await api.get("/drills")).json()
        assert [(r["kind"], r["status"]) for r in listing["required"]] == [
            ("comprehensive", "missing"), ("night", "pending")]  # the first week is over
        planned = await api.post("/drills", json={
            "kind": "fire", "title": "A3 fire evacuation", "zone": "a3",
            "start": "2026-09-08T09:00", "minutes": 30, "expected_participants": 320,
            "lead": "carol"})
        assert planned.status_code == 201, planned.text
        drill_id = planned.json()["id"]
        assert planned.json()["state"] == "planned"
        assert (await api.post(f"/drills/{drill_id}/record",
                               json={"evacuation_s": 1})).status_code == 409
        started = await api.post(f"/drills/{drill_id}/start")
        assert started.status_code == 200, started.text
        assert started.json()["state"] == "running"
        assert gateway.modes.drill("a3", clock.now()) is not None
        assert (await api.post(f"/drills/{drill_id}/start")).status_code == 409

        await clock.advance(300)
        gateway.manager.submit(AlertSpec(
            key="panic:pb-2", rule_id="panic", site="s1", device_id="pb-2", zone="a3",
            category=Category.PANIC, severity=Severity.CRITICAL, title="Alarm A301",
            ts=clock.now(), drill=True))
        await gateway.settle()
        [alert] = [a for a in await gateway.store.alerts.newest() if a.rule_id == "panic"]
        for after, path, body in [(20, "ack", {}),
                                  (20, "dispatch", {"kind": "guard", "to": "guard 1"}),
                                  (80, "resolve", {"reason": "drill"})]:
            await clock.advance(after)
            done = await api.post(f"/alerts/{alert.id}/{path}", json=body)
            assert done.status_code == 200, done.text
        await clock.advance(60)
        ended = await api.post(f"/drills/{drill_id}/end", json={"note": "all out"})
        assert ended.json()["state"] == "done"
        recorded = await api.post(f"/drills/{drill_id}/record", json={
            "evacuation_s": 185, "participants": 301, "notes": "stair B slow"})
        assert recorded.status_code == 200, recorded.text
        report = (await api.get(f"/drills/{drill_id}")).json()
        assert report["drill"]["started_at"] == "2026-09-08T09:00:00.000+08:00"
        assert report["drill"]["ended_at"] == "2026-09-08T09:08:00.000+08:00"
        assert (report["drill"]["evacuation_s"], report["drill"]["participants"],
                report["drill"]["notes"]) == (185.0, 301, "stair B slow")
        assert [(a["id"], a["ack_s"], a["dispatch_s"], a["resolve_s"])
                for a in report["alerts"]] == [(alert.id, 20.0, 40.0, 120.0)]
        actions = [e.action for e in reversed(await gateway.store.audit.newest(20))
                   if e.action.startswith("drill.")]
        assert actions == ["drill.plan", "drill.start", "drill.end", "drill.record"]
    stats = await gateway.reporting.statistics(month("2026-09"))
    # the drill's alert is in its report, not in the statistics (pb-1's silence is)
    assert [(c.key, c.count) for c in stats.by_category] == [("device_health", 1)]
    assert (stats.drills.held, [r.kind for r in stats.drills.missing]) == (1, ["comprehensive"])


async def test_bad_drill_requests_name_the_field(gateway: Gateway) -> None:
    async with client(gateway) as api:
        for body, field in [
                ({"kind": "parade", "start": "2026-09-09T09:00", "minutes": 30}, "kind"),
                ({"kind": "fire", "start": "2026-13-09T09:00", "minutes": 30}, "start"),
                ({"kind": "fire", "start": "2026-09-09T09:00", "minutes": 0}, "minutes")]:
            refused = await api.post("/drills", json=body)
            assert refused.status_code == 422
            assert refused.json()["detail"][0]["loc"][-1] == field
        unknown = await api.post("/drills", json={"kind": "fire", "zone": "roof",
                                                  "start": "2026-09-09T09:00", "minutes": 5})
        assert unknown.status_code == 404 and "roof" in unknown.json()["detail"]
        for params, field in [({"from": "2026/09/01"}, "from"), ({"to": "tomorrow"}, "to")]:
            refused = await api.get("/drills", params=params)
            assert refused.status_code == 422 and refused.json()["detail"].startswith(field)
        assert (await api.post("/drills/nope/start")).status_code == 404


def test_a_drill_of_an_unknown_kind_in_the_config_is_said_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        boarding_school(tmp_path, extra='drills:\n  - {zone: dorm, start: "2026-11-20T21:30",'
                                         ' duration: 30m, kind: nightly}\n')
    [problem] = caught.value.problems
    assert problem.startswith(f"{tmp_path / 'gateway.yaml'}:")
    assert "drills[0].kind" in problem and "'night'" in problem, problem
    assert CALENDAR  # the calendar the config above is checked with


async def test_a_drill_planned_in_the_config_runs_by_itself_and_counts_for_its_term(
        tmp_path: Path) -> None:
    config = boarding_school(tmp_path, extra='drills:\n  - {zone: dorm, start: '
                                             '"2026-11-20T21:30", duration: 30m, kind: night,'
                                             ' lead: carol, expected_participants: 400}\n')
    clock = VirtualClock(at("2026-11-20 12:00"))
    async with Gateway(config, clock, run_adapters=False) as gateway:
        [drill] = await gateway.drills.between(at("2026-11-01 00:00"), at("2026-12-01 00:00"))
        assert (drill.kind, drill.source, drill.state(clock.now())) == ("night", "config",
                                                                        "planned")
        with pytest.raises(Exception, match="starts by itself"):
            await gateway.drills.start(drill.id, "carol")
        await clock.advance(9.5 * 3600)
        assert gateway.modes.drill("dorm", clock.now()) is not None
        assert (await gateway.drills.get(drill.id)).state(clock.now()) == "running"
        await clock.advance(1800)
        await gateway.settle()
        required = await gateway.drills.required(date(2026, 11, 1), date(2026, 11, 30))
        assert [(r.kind, r.met_by) for r in required] == [("comprehensive", None),
                                                          ("night", drill.id)]


async def test_the_monthly_report_is_written_on_the_first_at_six(tmp_path: Path) -> None:
    config = boarding_school(tmp_path)
    config = config.model_copy(update={"reports": config.reports.model_copy(
        update={"monthly": True})})
    clock = VirtualClock(at("2026-11-30 23:00"))
    async with Gateway(config, clock, run_adapters=False) as gateway:
        assert gateway.reporting.next_monthly_run(clock.now()) == at("2026-12-01 06:00")
        await clock.advance(7 * 3600 - 1)
        assert not (tmp_path / "reports").exists()
        await clock.advance(1)
        await eventually(lambda: (tmp_path / "reports" / "report-month-2026-11-zh-CN.xlsx"
                                  ).exists(), within_s=30)
        names = sorted(p.name for p in (tmp_path / "reports").iterdir())
        assert "report-month-2026-11-zh-CN.pdf" in names
        assert "report-month-2026-11-zh-CN.xlsx" in names
        assert gateway.reporting.next_monthly_run(clock.now() + 1) == at("2027-01-01 06:00")
