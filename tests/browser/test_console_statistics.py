"""The statistics page in zh-CN, in a real Chromium (1920×1080, as the control room's wall
screen): a known month's figures, its charts drawn by ECharts, the data behind a chart
opened from the keyboard, the report offered to a supervisor; then the drills view. The
screenshots go to `var/screenshots/console-statistics.png` and `console-drills.png`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.support import console, school_yaml, shot, until
from tests.conftest import Broker
from tests.core.support import SCHOOL
from tests.reports.support import CALENDAR, known_month

pytestmark = pytest.mark.browser

BOARDING = SCHOOL.replace(
    "  - {id: a3, name: Building A 3F, building: A, floor: 3F}\n",
    "  - {id: a3, name: Building A 3F, building: A, floor: 3F}\n"
    "  - {id: dorm, name: Dormitory, tags: [boarding]}\n")


async def test_the_statistics_page_shows_a_known_month_in_chinese(
        tmp_path: Path, mosquitto: Broker) -> None:
    config = school_yaml(tmp_path, mosquitto.port, CALENDAR + "reports: {monthly: false}\n",
                         school=BOARDING)
    async with console(config) as shown:
        await known_month(shown.gateway)
        page = await shown.logged_in("zhang.min", timezone_id="Asia/Shanghai", locale="zh-CN")
        await page.click('nav [data-view="stats"]')
        await page.wait_for_selector("#stats-view")
        await page.fill("#stats-period", "2026-11")
        await page.keyboard.press("Enter")
        await until(lambda: page.inner_text("#stats-range"),
                    lambda text: text == "2026-11-01 – 2026-11-30")
        assert await page.inner_text("#kpi-alerts .value") == "7"
        assert await page.inner_text("#kpi-overdue .value") == "2"
        assert await page.inner_text("#kpi-drills .value") == "2 / 2"
        assert await page.locator(".stats-notice").count() == 0  # November is over
        assert await page.inner_text("#stats-heading") == "统计分析"
        # every chart drawn (ECharts, lazily loaded, on SVG)
        await until(lambda: page.locator(".stats-chart svg").count(), lambda n: n >= 13)
        assert "一键报警" in await page.inner_text("#stats-category")
        # the data behind a chart, opened with the keyboard
        summary = page.locator("#stats-ack summary")
        await summary.focus()
        await page.keyboard.press("Enter")
        rows = await page.locator("#stats-ack tbody tr").all_inner_texts()
        assert [r.split("\t")[:3] for r in rows] == [["紧急", "2", "p50 30 s"],
                                                      ["高", "2", "p50 100 s"]]
        href = await page.get_attribute("#stats-report", "href")
        assert href == "/reports/monthly?month=2026-11&language=zh-CN"
        await page.locator("#stats-heading").scroll_into_view_if_needed()
        await shot(page, "console-statistics")
        # the drills view: the term's requirements met, a drill's report with its alert
        await page.click('nav [data-view="drills"]')
        await page.wait_for_selector("#drills-view td.req-met")
        assert await page.locator("#drills-view td.req-met").count() == 2
        await page.click('[data-drill-id="DR-FIRE"] button')
        report = page.locator("#drill-report")
        await report.wait_for()
        await until(report.inner_text, lambda text: "3.1 min" in text and "20 s" in text)
        await shot(page, "console-drills")
