"""The console in a real Chromium (Debian's, driven by Playwright): log in, see a pressed
panic appear at the top of the queue, acknowledge it as oneself. Screenshots of what the
operator saw are written to `var/screenshots/`."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from gateway.app.runner import serving
from gateway.core.accounts import Role
from gateway.core.events import Event
from tests.conftest import Broker
from tests.core.support import school_config

pytestmark = pytest.mark.browser

SHOTS = Path("var/screenshots")


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "chromium is not installed: bash scripts/install.sh installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


async def test_an_operator_logs_in_sees_a_panic_first_and_acknowledges_it(
        tmp_path: Path, mosquitto: Broker, shots: Path) -> None:
    executable = chromium()
    config = school_config(tmp_path)
    config = config.model_copy(update={
        "api": config.api.model_copy(update={"port": 0}),
        "adapters": config.adapters.model_copy(update={
            "mqtt": config.adapters.mqtt.model_copy(update={"port": mosquitto.port})})})
    async with serving(config) as running:
        gateway = running.gateway
        await gateway.accounts.add_user("li.wei", "guard-room-2026", Role.OPERATOR, "test")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable,
                                                       args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 1920, "height": 1080})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                await page.goto(running.url + "/")
                await page.wait_for_selector("#login-form", state="visible")
                await page.fill("#login-name", "li.wei")
                await page.fill("#login-password", "wrong password")
                await page.keyboard.press("Enter")
                await page.wait_for_selector("#login-error:not(:empty)")
                await page.fill("#login-password", "guard-room-2026")
                await page.keyboard.press("Enter")
                await page.wait_for_selector("#login", state="hidden")
                assert await page.inner_text("#me") == "li.wei (operator)"
                await page.wait_for_function(
                    "document.getElementById('status').textContent.includes('live')")

                pressed = time.perf_counter()
                gateway.bus.publish(Event("s1", "pb-2", "pressed", True, gateway.clock.now(),
                                          urgent=True))
                row = page.locator("#alerts tr").first
                await row.wait_for(timeout=5000)
                shown_s = time.perf_counter() - pressed
                assert "Alarm A301 alarm" in await row.inner_text()
                assert (await page.title()).startswith("(1)")
                await page.screenshot(path=str(shots / "console-queue.png"))
                assert shown_s < 1.0, f"the panic took {shown_s:.2f} s to appear"

                await row.get_by_role("button", name="ack").click()
                await page.wait_for_function(
                    "document.querySelector('#alerts tr td:nth-child(6)')"
                    "?.textContent === 'acknowledged'")
                await page.screenshot(path=str(shots / "console-acknowledged.png"))
                assert errors == []
            finally:
                await browser.close()
        [alert] = await gateway.store.alerts.newest()
        history = await gateway.store.alerts.history(alert.id)
        assert [(h.action, h.actor) for h in history] == [("raised", "system"),
                                                          ("ack", "li.wei")]
