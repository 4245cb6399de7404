"""The hazard register in a real Chromium (1920×1080, zh-CN): a hazard made from an alert
goes round its closed loop — registered by the operator, fixed with a photo by the person
responsible (on a phone), verified by someone else, closed out by a supervisor — and is
pinned on the floor plan meanwhile. Screenshots go to `var/screenshots/console-hazard-*.png`."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.async_api import Page

from gateway.core.hazards import HazardFilter, HazardState
from tests.browser.support import console, newest_id, press, row_of, school_yaml, shot, until
from tests.browser.test_console_flows import PLAN_SVG
from tests.conftest import Broker

pytestmark = pytest.mark.browser


async def open_hazard(page: Page, hazard_id: str) -> None:
    await page.click("nav [data-view=hazards]")
    await page.locator(f'#hazards-view [data-hazard-id="{hazard_id}"] button.link').click()
    await page.locator("#hazard-page").wait_for()


async def step(page: Page, action: str, note: str) -> None:
    await page.fill("#hazard-note", note)
    await page.locator(f"#hazard-actions [data-action={action}]").click()


async def test_a_hazard_from_an_alert_to_its_close_out(tmp_path: Path, mosquitto: Broker) -> None:
    (tmp_path / "a3.svg").write_text(PLAN_SVG)
    config = school_yaml(tmp_path, mosquitto.port, f"""\
plans:
  - {{id: a-3f, name: 教学楼A 三层, building: A, floor: 3F, image: "{tmp_path / 'a3.svg'}",
     width: 800, height: 500, devices: {{pb-1: [200, 140], pb-2: [600, 350]}}}}
""")
    photo = tmp_path / "exit-cleared.png"
    picture = np.full((120, 160, 3), (40, 160, 40), np.uint8)
    cv2.imwrite(str(photo), picture)
    async with console(config) as shown:
        gateway = shown.gateway
        operator = await shown.logged_in("li.wei")
        press(gateway)
        alert_id = await newest_id(gateway)
        await (await row_of(operator, alert_id)).click()
        await operator.locator("#detail [data-action=hazard]").click()
        form = operator.locator("#hazard-form")
        await form.wait_for()
        assert await operator.input_value("#hazard-zone") == "a3"
        assert await operator.input_value("#hazard-device") == "pb-2"
        await form.locator("#hazard-responsible option[value='wang.fang']").wait_for(
            state="attached")
        await operator.select_option("#hazard-responsible", "wang.fang")
        await operator.fill("#hazard-description", "报警按钮旁通道堆放桌椅，需清走")
        await operator.click("#hazard-submit")
        page = operator.locator("#hazard-page")
        await page.wait_for()
        [hazard] = await gateway.store.hazards.find(HazardFilter())
        assert (hazard.alert_id, hazard.zone, hazard.responsible, hazard.plan) == (
            alert_id, "a3", "wang.fang", "a-3f")
        assert await page.get_attribute("data-hazard-id") == hazard.id
        await page.locator("path.hazard-mark").wait_for()  # pinned at the alarm button
        await shot(operator, "console-hazard-registered")

        fixer = await shown.logged_in("wang.fang", width=390, height=844)  # on a phone
        await fixer.click("nav [data-view=hazards]")
        await fixer.check("#hazard-filter-mine")
        await until(fixer.locator("#hazards-view tr.hazard-row").count, lambda n: n == 1)
        await open_hazard(fixer, hazard.id)
        await fixer.set_input_files("#hazard-photo-input", str(photo))
        await fixer.locator(".hazard-photo img").wait_for()
        await shot(fixer, "console-hazard-phone")
        await step(fixer, "fix", "桌椅已搬回教室，通道畅通")
        await fixer.locator("#hazard-page .hazard-fixed").wait_for()
        assert await fixer.locator("#hazard-actions [data-action=verify]").count() == 0

        await open_hazard(operator, hazard.id)
        await step(operator, "verify", "现场查看，通道畅通")
        await operator.locator("#hazard-page .hazard-verified").wait_for()
        assert await operator.locator("#hazard-actions [data-action=close]").count() == 0

        chief = await shown.logged_in("zhang.min")
        await open_hazard(chief, hazard.id)
        await step(chief, "close", "同意销账")
        await chief.locator("#hazard-page .hazard-closed").wait_for()
        history = await chief.locator("#hazard-history li").all_inner_texts()
        assert [line.split(" · ")[1] for line in history] == [
            "登记", "整改完成", "验收通过", "销账"]
        await shot(chief, "console-hazard-closed")
        closed = await gateway.store.hazards.get(hazard.id)
        assert closed is not None and closed.state is HazardState.CLOSED
        assert [f.stage for f in await gateway.store.hazards.files(hazard.id)] == ["fix"]

        await chief.click("#hazard-back")
        await chief.select_option("#hazard-filter-state", "all")
        await until(chief.locator("#hazards-view tr.hazard-row").count, lambda n: n == 1)
        await shot(chief, "console-hazard-register")
