"""Every figure of a known month, from the store's queries, in the console's API and in
the report's XLSX, CSV and PDF alike."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from gateway.app.api.app import create_api
from gateway.app.gateway import Gateway
from gateway.core.accounts import Role
from gateway.core.clock import VirtualClock
from gateway.core.statistics import Statistics, month
from tests.reports.support import NOW, TZ, as_json, at, boarding_school, known_month

AUTH = {"Authorization": "Bearer operator-token"}
NOVEMBER_S = 30 * 86400.0


@pytest.fixture
async def gateway(tmp_path: Path, store_url: str) -> AsyncIterator[Gateway]:
    config = boarding_school(tmp_path, store_url)
    async with Gateway(config, VirtualClock(NOW), run_adapters=False) as gw:
        await known_month(gw)
        yield gw


@pytest.fixture
async def on_sqlite(tmp_path: Path) -> AsyncIterator[Gateway]:
    """The known month on SQLite only: the report's files do not depend on the store."""
    async with Gateway(boarding_school(tmp_path), VirtualClock(NOW),
                       run_adapters=False) as gw:
        await known_month(gw)
        yield gw


def client(gateway: Gateway) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(gateway)),
                             base_url="http://gateway", headers=AUTH)


def times(rows: Any) -> list[tuple[Any, ...]]:
    return [(t.group, t.count, t.p50_s, t.p90_s, t.target_s, t.within_target) for t in rows]


def check_november(stats: Statistics) -> None:
    """The figures of `known_month`, worked out by hand."""
    assert (stats.start, stats.end, stats.as_of) == (at("2026-11-01 00:00"),
                                                    at("2026-12-01 00:00"),
                                                    at("2026-12-01 00:00"))
    assert stats.complete
    assert stats.alerts == 7  # the drill alert and the two on the month's edges left out
    assert [(c.key, c.count) for c in stats.by_category] == [
        ("device_health", 3), ("intrusion", 2), ("panic", 2)]
    assert [(c.key, c.count) for c in stats.by_zone] == [("gate", 5), ("a3", 2)]
    hours = dict(enumerate(stats.by_hour))
    assert {h: n for h, n in hours.items() if n} == {8: 2, 14: 2, 22: 1, 23: 2}
    assert stats.by_weekday == (2, 4, 0, 0, 0, 1, 0)
    assert times(stats.ack_by_severity) == [("critical", 2, 30.0, 50.0, 60.0, 2),
                                            ("high", 2, 100.0, 200.0, 120.0, 1)]
    assert times(stats.resolve_by_severity) == [
        ("critical", 2, 300.0, 600.0, None, None), ("high", 2, 400.0, 1000.0, None, None),
        ("warning", 2, 1800.0, 3600.0, None, None)]
    assert times(stats.ack_by_operator) == [("alice", 2, 30.0, 50.0, None, None),
                                            ("bob", 2, 100.0, 200.0, None, None)]
    assert times(stats.resolve_by_operator) == [
        ("alice", 3, 600.0, 1000.0, None, None), ("bob", 1, 400.0, 400.0, None, None),
        ("system", 2, 1800.0, 3600.0, None, None)]
    assert [(f.key, f.alerts, f.false_alarms) for f in stats.false_by_device] == [
        ("gs-1", 2, 1), ("pb-2", 2, 1), ("pb-1", 3, 0)]
    assert [(f.key, f.alerts, f.false_alarms) for f in stats.false_by_rule] == [
        ("forced", 2, 1), ("panic", 2, 1), ("offline", 3, 0)]
    assert [(a.device_class, a.devices, a.offline_s, a.period_s)
            for a in stats.availability] == [("gate_sensor", 1, 0.0, NOVEMBER_S),
                                              ("panic_button", 2, 7200.0, NOVEMBER_S)]
    assert stats.availability[1].availability == pytest.approx(1 - 7200 / (2 * NOVEMBER_S))
    assert (stats.police_accepted.count, stats.police_accepted.p50_s) == (1, 14.0)
    assert (stats.police_on_scene.count, stats.police_on_scene.p90_s) == (1, 270.0)
    h = stats.hazards
    assert (h.opened, h.fixed, h.closed, h.overdue, h.not_closed, h.major_not_closed) == (
        3, 3, 2, 2, 3, 2)
    assert (h.age_p50_days, h.age_max_days) == (26.0, 61.0)
    assert [(c.key, c.count) for c in h.by_category] == [("exit", 2), ("fire_equipment", 1)]
    assert [(c.key, c.count) for c in h.by_level] == [("general", 2), ("major", 1)]
    d = stats.drills
    assert (d.held, [(c.key, c.count) for c in d.by_kind]) == (2, [("fire", 1), ("night", 1)])
    assert [(r.term, r.kind, r.met_by) for r in d.required] == [
        ("autumn-2026", "comprehensive", "DR-COMP"), ("autumn-2026", "night", "DR-NIGHT")]
    assert d.missing == []


async def test_every_figure_of_a_known_month(gateway: Gateway) -> None:
    check_november(await gateway.reporting.statistics(month("2026-11")))


async def test_the_console_reads_the_same_figures_and_refuses_bad_dates(
        gateway: Gateway) -> None:
    stats = await gateway.reporting.statistics(month("2026-11"))
    async with client(gateway) as api:
        answer = await api.get("/statistics", params={"month": "2026-11"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == as_json(stats.to_dict(TZ))
        ranged = (await api.get("/statistics", params={"from": "2026-11-01",
                                                       "to": "2026-11-30"})).json()
        assert (ranged["alerts"], ranged["hazards"]) == (7, answer.json()["hazards"])
        for params, field in [({"month": "2026-13"}, "month"), ({"month": "11/2026"}, "month"),
                              ({"from": "2026/11/01", "to": "2026-11-30"}, "from"),
                              ({"from": "2026-11-01", "to": "30.11.2026"}, "to"),
                              ({"quarter": "2026-Q5"}, "quarter"),
                              ({"term": "summer-1999"}, "term"), ({}, "give `from`")]:
            refused = await api.get("/statistics", params=params)
            assert refused.status_code == 422, (params, refused.text)
            assert refused.json()["detail"].startswith(field), refused.json()


def sheet(book: Any, name: str) -> list[tuple[Any, ...]]:
    """A sheet's data rows (below its title and headings)."""
    return [tuple(row) for row in book[name].iter_rows(min_row=3, values_only=True)]


async def test_the_report_shows_the_same_numbers_in_its_xlsx_csv_and_pdf(
        on_sqlite: Gateway) -> None:
    files = await on_sqlite.reporting.build(month("2026-11"), "zh-CN")
    book = load_workbook(io.BytesIO(files.xlsx))
    assert sheet(book, "by_category") == [("设备故障", 3), ("入侵", 2), ("一键报警", 2)]
    assert sheet(book, "by_zone") == [("Main gate", 5), ("Building A 3F", 2)]
    assert [n for _, n in sheet(book, "by_hour")][8] == 2
    assert sheet(book, "by_weekday")[:2] == [("周一", 2), ("周二", 4)]
    assert sheet(book, "ack_by_severity") == [("紧急", 2, 30, 50, 60, 2),
                                              ("高", 2, 100, 200, 120, 1)]
    assert sheet(book, "resolve_by_operator") == [("alice", 3, 600, 1000), ("bob", 1, 400, 400),
                                                  ("system", 2, 1800, 3600)]
    assert sheet(book, "false_by_device") == [("gs-1", 2, 1, 0.5), ("pb-2", 2, 1, 0.5),
                                              ("pb-1", 3, 0, 0)]
    assert sheet(book, "availability")[1][:3] == ("panic_button", 2, 7200)
    assert sheet(book, "police") == [("警方接警", 1, 14, 14), ("警方到场", 1, 270, 270)]
    assert dict(sheet(book, "hazards")) == {
        "新增隐患": 3, "已整改": 3, "已销账": 2, "超期未整改": 2, "未销账": 3,
        "未销账重大隐患": 2, "未销账隐患时长中位数（天）": 26, "未销账隐患最长时长（天）": 61}
    assert sheet(book, "drills") == [
        ("autumn-2026", "综合演练", "2026-09-01", "2026-09-07", "已完成", "DR-COMP"),
        ("autumn-2026", "夜间疏散演练", "2026-09-01", "2027-01-22", "已完成", "DR-NIGHT")]
    assert files.csv["by_zone"].decode("utf-8-sig").splitlines() == [
        "区域,数量", "Main gate,5", "Building A 3F,2"]
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(files.pdf)).pages)
    flat = text.replace("\n", " ")
    assert "安全月报" in flat and "2026-11-01 – 2026-11-30" in flat
    assert "尚未结束" not in flat
    for figure in ("超期未整改 2", "未销账重大隐患 2", "26.0", "61.0", "7200.0", "99.9%"):
        assert figure in flat, figure
    assert "校长（签字）" in flat and "安全负责人（签字）" in flat


async def test_a_month_not_over_says_so_and_the_api_serves_the_zip_to_supervisors(
        on_sqlite: Gateway) -> None:
    gateway = on_sqlite
    async with client(gateway) as api:
        answer = await api.get("/reports/monthly", params={"month": "2026-12",
                                                           "language": "en"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/zip"
        bundle = zipfile.ZipFile(io.BytesIO(answer.content))
        names = set(bundle.namelist())
        assert {"report-month-2026-12-en.pdf", "report-month-2026-12-en.xlsx",
                "report-month-2026-12-en-by_category.csv"} <= names
        pdf = PdfReader(io.BytesIO(bundle.read("report-month-2026-12-en.pdf")))
        first = (pdf.pages[0].extract_text() or "").replace("\n", " ")
        assert "This period is not over" in first and "2026-12-02 10:00" in first
        assert "Principal (signature)" in (pdf.pages[-1].extract_text() or "")
        refused = await api.get("/reports/monthly", params={"month": "December"})
        assert refused.status_code == 422 and refused.json()["detail"].startswith("month")
        audit = await gateway.store.audit.newest(10)
        assert any(entry.action == "report.monthly" for entry in audit)
    await gateway.accounts.add_user("zhao.lei", "duty-officer-2026", Role.OPERATOR, "test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(gateway)),
                                 base_url="http://gateway") as person:
        login = await person.post("/auth/login", json={"name": "zhao.lei",
                                                        "password": "duty-officer-2026"})
        assert login.status_code == 200, login.text
        assert (await person.get("/statistics", params={"month": "2026-11"})).status_code == 200
        refused = await person.get("/reports/monthly", params={"month": "2026-11"})
        assert refused.status_code == 403  # reports are for supervisors
