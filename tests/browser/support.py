"""Driving the console in a real Chromium: a served gateway of the test's own (on the test's
mosquitto, its evidence in the test's folder), people of each role, and logged-in pages that
record every page error and Content-Security-Policy violation."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.app.runner import Serving, serving
from gateway.core.accounts import Role
from gateway.core.events import Event
from tests.core.support import SCHOOL

SHOTS = Path("var/screenshots")
CONSOLE = Path(__file__).resolve().parents[2] / "gateway" / "app" / "web" / "dist" / "index.html"
WAIT_MS = 10_000
"""Playwright's default wait (every wait stays under 15 s)."""

PEOPLE: dict[str, tuple[str, Role]] = {
    "li.wei": ("guard-room-2026", Role.OPERATOR),
    "wang.fang": ("night-shift-2026", Role.OPERATOR),
    "zhang.min": ("supervisor-2026", Role.SUPERVISOR),
}


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "chromium is not installed: bash scripts/install.sh installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def built_console() -> None:
    if CONSOLE.is_file():
        return
    message = "the console is not built: cd console && npm ci && npm run build"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


async def until(read: Callable[[], Awaitable[Any]], done: Callable[[Any], bool],
                timeout_s: float = 5.0) -> Any:
    """Polls from here: the page's CSP forbids the eval that `wait_for_function` needs."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await read()
        if done(value) or time.monotonic() > deadline:
            assert done(value), f"still {value!r} after {timeout_s} s"
            return value
        await asyncio.sleep(0.05)


def shot(page: Page, name: str) -> Awaitable[bytes]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=str(SHOTS / f"{name}.png"))


def school_yaml(tmp_path: Path, port: int, extra: str = "",
                school: str = SCHOOL) -> GatewayConfig:
    """The test school on the broker at `port`, its evidence under `tmp_path`, with
    `extra` config (anything but `adapters:`); `school` may be a variant of SCHOOL."""
    path = tmp_path / "gateway.yaml"
    adapters = (f"adapters:\n  mqtt: {{port: {port}}}\n"
                f"  video: {{evidence_dir: \"{tmp_path / 'evidence'}\"}}\n")
    path.write_text(school.replace("{log}", str(tmp_path / "alerts.jsonl"))
                    .replace("{db}", f"sqlite:///{tmp_path / 'gw.db'}") + adapters + extra)
    config = load_config(path)
    return config.model_copy(update={"api": config.api.model_copy(update={"port": 0})})


def press(gateway: Gateway, device_id: str = "pb-2", point: str = "pressed") -> None:
    """A device event straight onto the gateway's bus (as the MQTT adapter puts it)."""
    gateway.bus.publish(Event("s1", device_id, point, True, gateway.clock.now(),
                              urgent=point == "pressed"))


@dataclass
class Console:
    """A served gateway and a Chromium to look at it with."""

    running: Serving
    browser: Browser
    config: GatewayConfig
    problems: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    @property
    def gateway(self) -> Gateway:
        return self.running.gateway

    @property
    def url(self) -> str:
        return self.running.url

    async def page(self, *, width: int = 1920, height: int = 1080,
                   **options: Any) -> Page:
        """A page in a context of its own (its own cookies and localStorage)."""
        context = await self.browser.new_context(viewport={"width": width, "height": height},
                                                 **options)
        context.set_default_timeout(WAIT_MS)
        self.contexts.append(context)
        page = await context.new_page()
        self.watch(page)
        return page

    def watch(self, page: Page) -> None:
        label = f"page {len(self.contexts)}"
        page.on("pageerror", lambda error: self.problems.append(f"{label}: {error}"))
        page.on("console", lambda message: self.problems.append(f"{label}: {message.text}")
                if "Content Security Policy" in message.text else None)

    async def log_in(self, page: Page, name: str) -> Page:
        await page.goto(self.url + "/")
        await page.wait_for_selector("#login-form", state="visible")
        await page.fill("#login-name", name)
        await page.fill("#login-password", PEOPLE[name][0])
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#login", state="hidden")
        await page.wait_for_selector("#status.status-live")
        assert await page.inner_text("#me") == f"{name} ({PEOPLE[name][1].value})"
        return page

    async def logged_in(self, name: str, **options: Any) -> Page:
        return await self.log_in(await self.page(**options), name)


@asynccontextmanager
async def console(config: GatewayConfig) -> AsyncIterator[Console]:
    """The gateway of `config` served, the people of PEOPLE, a Chromium; at the end, no page
    may have thrown or met a CSP violation."""
    executable = chromium()
    built_console()
    async with serving(config) as running:
        for name, (password, role) in PEOPLE.items():
            await running.gateway.accounts.add_user(name, password, role, "test")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable,
                                                       args=["--no-sandbox"])
            shown = Console(running, browser, config)
            try:
                yield shown
            finally:
                await browser.close()
            assert shown.problems == []


def drop_live_streams(running: Serving) -> int:
    """Cut the server's end of every open `/stream` connection (as a restarting proxy or a
    lost link would): the consoles' EventSources see their stream end. How many were cut."""
    cut = 0
    for connection in list(running.server.server_state.connections):
        scope = getattr(connection, "scope", None)
        transport = getattr(connection, "transport", None)
        if scope and scope.get("path") == "/stream" and transport is not None:
            transport.close()
            cut += 1
    return cut


async def row_of(page: Page, alert_id: str | None = None) -> Any:
    """The queue row of the alert (the top one when None), once shown."""
    selector = ("#alerts [data-alert-id]" if alert_id is None
                else f'#alerts [data-alert-id="{alert_id}"]')
    row = page.locator(selector).first
    await row.wait_for()
    return row


async def newest_id(gateway: Gateway, count: int = 1) -> str:
    """The newest alert's id, once `count` alerts are stored."""
    alerts = await until(lambda: gateway.store.alerts.newest(),
                         lambda found: len(found) >= count)
    return str(alerts[0].id)
