"""The console (built from `console/` into `gateway/app/web/dist`) in a real Chromium
(Debian's, driven by Playwright): log in, see a pressed panic appear at the top of the queue
within a second, sounding, open it and acknowledge it as oneself. Screenshots of what the
operator saw are written to `var/screenshots/`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.core.events import Event
from tests.browser.support import SHOTS, console, school_yaml, until
from tests.conftest import Broker

pytestmark = pytest.mark.browser


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


async def test_an_operator_logs_in_sees_a_panic_first_and_acknowledges_it(
        tmp_path: Path, mosquitto: Broker, shots: Path) -> None:
    async with console(school_yaml(tmp_path, mosquitto.port)) as shown:
        gateway = shown.gateway
        page = await shown.page()
        await page.goto(shown.url + "/")
        await page.wait_for_selector("#login-form", state="visible")
        await page.fill("#login-name", "li.wei")
        await page.fill("#login-password", "wrong password")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#login-error:not(:empty)")
        await page.fill("#login-password", "guard-room-2026")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#login", state="hidden")
        assert await page.inner_text("#me") == "li.wei (operator)"
        await page.wait_for_selector("#status.status-live")
        assert await page.inner_text("#status") in ("实时", "live")
        await page.screenshot(path=str(shots / "console-empty.png"))

        pressed = time.perf_counter()
        gateway.bus.publish(Event("s1", "pb-2", "pressed", True, gateway.clock.now(),
                                  urgent=True))
        row = page.locator("#alerts [data-alert-id]").first
        await row.wait_for(timeout=5000)
        shown_s = time.perf_counter() - pressed
        assert "Alarm A301 alarm" in await row.inner_text()
        assert await row.get_attribute("data-severity") == "critical"
        await until(lambda: page.title(), lambda title: title.startswith("(1)"))
        await page.wait_for_selector("#critical-banner")
        favicon = await page.get_attribute("link#favicon", "href")
        assert favicon is not None and favicon.startswith("data:image/png")
        assert await page.evaluate("window.__console.sounding()") == ["critical"]
        await page.screenshot(path=str(shots / "console-queue.png"))
        assert shown_s < 1.0, f"the panic took {shown_s:.2f} s to appear"

        await row.click()
        await page.wait_for_selector("#detail")
        await page.screenshot(path=str(shots / "console-detail.png"))
        await page.click("#detail [data-testid=action-ack]")
        await page.wait_for_selector(
            "#alerts [data-alert-id] [data-testid=state][data-state=acknowledged]")
        await until(lambda: page.title(), lambda title: not title.startswith("("))
        assert await page.evaluate("window.__console.sounding()") == []
        assert await page.locator("#critical-banner").count() == 0
        await page.screenshot(path=str(shots / "console-acknowledged.png"))
        [alert] = await gateway.store.alerts.newest()
        history = await gateway.store.alerts.history(alert.id)
        assert [(h.action, h.actor) for h in history] == [("raised", "system"),
                                                          ("ack", "li.wei")]


async def test_on_a_phone_in_english_keys_acknowledge_and_a_lost_stream_shows_not_live(
        tmp_path: Path, mosquitto: Broker, shots: Path) -> None:
    async with console(school_yaml(tmp_path, mosquitto.port)) as shown:
        gateway = shown.gateway
        page = await shown.page(width=390, height=844)
        await page.goto(shown.url + "/")
        await page.fill("#login-name", "wang.fang")
        await page.fill("#login-password", "night-shift-2026")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#status.status-live")
        await page.click("#language")
        await until(lambda: page.inner_text("#status"), lambda text: text == "live")

        gateway.bus.publish(Event("s1", "pb-2", "pressed", True, gateway.clock.now(),
                                  urgent=True))
        row = page.locator("#alerts [data-alert-id]").first
        await row.wait_for(timeout=5000)
        assert "critical" in await row.inner_text()
        await page.screenshot(path=str(shots / "console-phone-en.png"))
        await page.keyboard.press("j")
        await page.keyboard.press("a")
        await page.wait_for_selector(
            "#alerts [data-alert-id] [data-testid=state][data-state=acknowledged]")

        await page.route("**/stream*", lambda route: route.abort())
        await page.evaluate("window.__console.restartStream()")
        banner = page.locator("#not-live")
        await banner.wait_for(timeout=6000)
        assert "NOT LIVE" in await banner.inner_text()
        assert await banner.get_attribute("role") == "alert"
        await page.screenshot(path=str(shots / "console-not-live.png"))
        await page.unroute("**/stream*")
        await banner.wait_for(state="detached", timeout=15000)
        [alert] = await gateway.store.alerts.newest()
        history = await gateway.store.alerts.history(alert.id)
        assert [(h.action, h.actor) for h in history] == [("raised", "system"),
                                                          ("ack", "wang.fang")]
        user = await gateway.accounts.users.get("wang.fang")
        assert user is not None and user.language == "en"
