"""Statistics and report benchmark: a year of a school's data, the statistics page and the
monthly PDF, beside the same figures read by one plain SQL query.

    python -m bench.reports [--alerts 50000] [--hazards 2000] [--drills 30]
                            [--store postgresql://postgres@127.0.0.1:5432] [--json PATH]

The school is config/school.yaml (its devices, zones, calendar). A year of alerts (2026,
with their raise, acknowledgement and resolution in the history, false alarms, dispatches,
police statuses and device outages), hazards and drills is inserted in bulk; then, on the
same store in the same run (best of three each):

- `stats_page_ms`: every figure of the statistics page for November 2026, as
  `GET /statistics?month=2026-11` answers it (the store's queries and the JSON);
- `raw_query_ms`: one plain SQL query of that month's alerts by category;
- `monthly_pdf_s`: the whole monthly report (statistics, charts, PDF, XLSX, CSV).

Targets: the page under 300 ms, the PDF under 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, text

from bench.stores import HELP, backend, bench_store
from gateway.app.config import GatewayConfig, load_config
from gateway.app.reporting import site_reporting
from gateway.core.alerts import (
    Alert,
    AlertState,
    Category,
    Closure,
    Dispatch,
    DispatchKind,
    Severity,
)
from gateway.core.clock import VirtualClock
from gateway.core.drills import DRILL_KINDS
from gateway.core.feed import AlertFeed
from gateway.core.hazards import HazardCategory
from gateway.core.linkage import LinkageStatus, PoliceStatus
from gateway.core.modes import ModeBook
from gateway.core.statistics import month
from gateway.modes.service import ModeService
from gateway.store.alerts import alert_row
from gateway.store.database import transaction
from gateway.store.open import SqlStore
from gateway.store.schema import alert_history, alerts, drills, hazards, modes

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
YEAR_START = datetime(2026, 1, 1, tzinfo=TZ).timestamp()
YEAR_S = 365 * 86400.0
NOW = datetime(2027, 1, 5, 9, 0, tzinfo=TZ).timestamp()
MONTH = "2026-11"
ROUNDS = 3
OPERATORS = ("li.wei", "wang.fang", "zhao.lei", "chen.jing", "liu.yang", "sun.hao")
CATEGORIES = [(Category.INTRUSION, Severity.HIGH, 0.25), (Category.PERIMETER, Severity.WARNING,
              0.2), (Category.DEVICE_HEALTH, Severity.WARNING, 0.15),
              (Category.HAZARD, Severity.WARNING, 0.15), (Category.PANIC, Severity.CRITICAL,
              0.08), (Category.FIRE, Severity.CRITICAL, 0.05),
              (Category.TRAFFIC, Severity.INFO, 0.1), (Category.TAMPER, Severity.HIGH, 0.02)]
RAW = text("SELECT category, count(*) FROM alerts WHERE raised_at >= :s AND raised_at < :e "
           "AND drill = 0 GROUP BY category")
T = TypeVar("T")


def school(store_url: str) -> GatewayConfig:
    config = load_config(ROOT / "config" / "school.yaml")
    return config.model_copy(update={
        "store": config.store.model_copy(update={"url": store_url}),
        "reports": config.reports.model_copy(update={"monthly": False})})


def year_of_alerts(config: GatewayConfig, count: int, rng: random.Random
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` alerts over 2026 and their history lines."""
    devices = list(config.devices)
    weights = [w for _, _, w in CATEGORIES]
    rows, history = [], []
    for n in range(count):
        category, severity, _ = rng.choices(CATEGORIES, weights)[0]
        device = rng.choice(devices)
        hour = rng.choices(range(24), [1 + 6 * (7 <= h <= 18) for h in range(24)])[0]
        raised = YEAR_START + rng.randrange(365) * 86400 + hour * 3600 + rng.random() * 3600
        drill = rng.random() < 0.02
        acked = rng.random() < 0.85
        ack_s = rng.lognormvariate(4, 0.8)
        resolve_s = ack_s + rng.lognormvariate(6, 1.0)
        closure = Closure.FALSE_ALARM if rng.random() < 0.12 else Closure.REAL
        operator = rng.choice(OPERATORS)
        police = category in (Category.PANIC, Category.FIRE) and rng.random() < 0.6
        alert = Alert(
            id=f"AL-{n:06d}", key=f"{category.value}:{device.id}:{n}", rule_id=category.value,
            site=config.site.id, device_id=device.id, zone=device.zone, category=category,
            severity=severity, title=f"{category.value} {device.name}", message="",
            location="", state=AlertState.CLOSED if acked else AlertState.RESOLVED,
            latching=False, drill=drill, raised_at=raised, last_event_at=raised,
            event_count=1, revision=3, closure=closure,
            dispatches=(Dispatch(DispatchKind.GUARD, "guard", operator, raised + ack_s + 30),)
            if acked and rng.random() < 0.3 else (),
            linkage=(LinkageStatus("police", PoliceStatus.ACCEPTED, raised + 12, raised + 13),
                     LinkageStatus("police", PoliceStatus.ON_SCENE,
                                   raised + rng.uniform(180, 900), raised + 901))
            if police else ())
        rows.append({**alert_row(alert), "updated_at": raised + resolve_s})
        steps: list[tuple[float, str, str | None, str, str, int]] = [
            (raised, "raise", None, "open", "system", 1)]
        if acked:
            steps.append((raised + ack_s, "ack", "open", "acknowledged", operator, 2))
        steps.append((raised + resolve_s, "resolve", "acknowledged" if acked else "open",
                      "resolved", operator if acked else "system", 3))
        history += [{"alert_id": alert.id, "at": at, "action": action, "from_state": before,
                     "to_state": after, "actor": actor, "note": "", "revision": revision,
                     "severity": severity.value, "queued_to": "[]"}
                    for at, action, before, after, actor, revision in steps]
    return rows, history


def year_of_hazards(config: GatewayConfig, count: int, rng: random.Random
                    ) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        found = YEAR_START + rng.random() * YEAR_S
        state = rng.choices(["open", "fixed", "verified", "closed"], [0.15, 0.1, 0.05, 0.7])[0]
        fixed = found + rng.uniform(1, 20) * 86400 if state != "open" else None
        rows.append({
            "id": f"HZ-2026-{n:05d}", "source": "patrol", "zone": rng.choice(config.zones).id,
            "category": rng.choice(list(HazardCategory)).value,
            "level": "major" if rng.random() < 0.05 else "general", "title": "", "description": "",
            "found_by": rng.choice(OPERATORS), "found_at": found, "responsible": "facilities",
            "deadline": found + rng.uniform(7, 30) * 86400, "state": state, "fixed_at": fixed,
            "closed_at": None if state != "closed" or fixed is None else fixed + 86400,
            "updated_at": found})
    return rows


def year_of_drills(config: GatewayConfig, count: int, rng: random.Random
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    mode_rows, drill_rows = [], []
    for n in range(count):
        starts = YEAR_START + (n + rng.random()) * YEAR_S / count
        kind = DRILL_KINDS[n % len(DRILL_KINDS)]
        mode_id = f"drill-bench-{n:03d}"
        mode_rows.append({"id": mode_id, "kind": "drill", "zone": None, "device_id": None,
                          "starts": starts, "until": starts + 1800, "actor": "zhang.min",
                          "note": kind, "action": "mark", "closed": 1})
        drill_rows.append({"id": f"DRL-{n:03d}", "kind": kind, "title": kind, "zone": None,
                           "planned_start": starts, "duration_s": 1800.0,
                           "expected_participants": 900, "lead": "zhang.min",
                           "source": "console", "planned_by": "zhang.min", "mode_id": mode_id,
                           "evacuation_s": rng.uniform(120, 400), "participants": 880,
                           "notes": "", "updated_at": starts})
    return mode_rows, drill_rows


async def best(work: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """The fastest of `ROUNDS` runs (seconds) and its result."""
    times, result = [], None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    return min(times), result  # type: ignore[return-value]


async def run(args: argparse.Namespace, store_url: str) -> dict[str, Any]:
    config = school(store_url)
    rng = random.Random(2026)
    store = SqlStore(config.store.database_url)
    await store.open()
    try:
        alert_rows, history_rows = year_of_alerts(config, args.alerts, rng)
        mode_rows, drill_rows = year_of_drills(config, args.drills, rng)
        hazard_rows = year_of_hazards(config, args.hazards, rng)

        def load(c: Connection) -> None:
            with transaction(c):
                for table, rows in ((alerts, alert_rows), (alert_history, history_rows),
                                    (hazards, hazard_rows), (modes, mode_rows),
                                    (drills, drill_rows)):
                    for at in range(0, len(rows), 5000):
                        c.execute(insert(table), rows[at:at + 5000])
            if c.dialect.name == "postgresql":
                c.exec_driver_sql("ANALYZE")
        started = time.perf_counter()
        await store.database.run(load)
        load_s = time.perf_counter() - started

        clock = VirtualClock(NOW)
        mode_service = ModeService(ModeBook(), store.modes, clock, AlertFeed(), TZ,
                                   (z.id for z in config.zones), ())
        _, reporting = site_reporting(config, store, clock, mode_service)
        period = month(MONTH)
        start, end = period.bounds(TZ)

        async def page() -> dict[str, Any]:
            answer: dict[str, Any] = json.loads(json.dumps(
                (await reporting.statistics(period)).to_dict(TZ)))
            return answer

        async def raw() -> list[Any]:
            return await store.database.run(
                lambda c: list(c.execute(RAW, {"s": start, "e": end})))

        page_s, answer = await best(page)
        raw_s, counted = await best(raw)
        assert {row[0]: row[1] for row in counted} == {
            c["key"]: c["count"] for c in answer["by_category"]}, "the page and SQL disagree"
        pdf_s, files = await best(lambda: reporting.build(period, "zh-CN"))
    finally:
        await store.close()
    return {"store": backend(args.store), "alerts": args.alerts, "hazards": args.hazards,
            "drills": args.drills, "month_alerts": answer["alerts"],
            "load_s": round(load_s, 2), "stats_page_ms": round(page_s * 1000, 1),
            "raw_query_ms": round(raw_s * 1000, 2),
            "page_vs_raw": round(page_s / raw_s, 1) if raw_s else None,
            "monthly_pdf_s": round(pdf_s, 2), "pdf_bytes": len(files.pdf),
            "targets": {"stats_page_ms": 300, "monthly_pdf_s": 5}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--hazards", type=int, default=2_000)
    parser.add_argument("--drills", type=int, default=30)
    parser.add_argument("--store", help=HELP)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, \
            bench_store(args.store, Path(folder) / "bench.db") as store:
        figures = asyncio.run(run(args, store.database_url))
    print(f"{figures['alerts']} alerts, {figures['hazards']} hazards, {figures['drills']} "
          f"drills on {figures['store']} (loaded in {figures['load_s']} s); "
          f"{MONTH}: {figures['month_alerts']} alerts")
    print(f"statistics page  {figures['stats_page_ms']:8.1f} ms   (target < 300 ms)")
    print(f"raw SQL query    {figures['raw_query_ms']:8.2f} ms   (the page is "
          f"{figures['page_vs_raw']}× one query)")
    print(f"monthly PDF      {figures['monthly_pdf_s']:8.2f} s    (target < 5 s)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
