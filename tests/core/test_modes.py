"""Drill and maintenance modes: the book the engine asks, their audit, their expiry on
the virtual clock, the supervision pause, and the operators' API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app.api.app import create_api
from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.core.alerts import AlertSpec, Category, Severity
from gateway.core.clock import VirtualClock
from gateway.core.configfile import ConfigError
from gateway.core.events import Event
from gateway.core.modes import Mode, ModeBook, ModeConflict, ModeNotFound
from gateway.core.repositories import ModeAuditEntry
from tests.core.support import school_config

T0 = 1_767_225_600.0  # VirtualClock's start: 2026-01-01 08:00 in Shanghai
AUTH = {"Authorization": "Bearer operator-token"}


def drill(mode_id: str, zone: str | None, starts: float, until: float) -> Mode:
    return Mode(mode_id, "drill", zone, None, starts, until, "li.wei", "", "mark")


def maintenance(mode_id: str, device_id: str, starts: float, until: float) -> Mode:
    return Mode(mode_id, "maintenance", None, device_id, starts, until, "li.wei", "",
                "suppress")


# -- the book ---------------------------------------------------------------------------


def test_a_site_drill_covers_every_zone_a_zone_drill_only_its_own() -> None:
    book = ModeBook()
    site = drill("site", None, 100, 200)
    a3 = drill("a3", "a3", 150, 300)
    book.add(site)
    book.add(a3)
    assert book.drill("gate", 150) == site
    assert book.drill("a3", 150) in (site, a3)
    assert book.drill("gate", 250) is None
    assert book.drill("a3", 250) == a3
    assert book.drill("a3", 99) is None
    assert book.maintenance("pb-1", 150) is None
    assert [m.id for m in book.active(160)] == ["site", "a3"]


def test_a_mode_covers_from_its_start_up_to_but_not_at_its_expiry() -> None:
    book = ModeBook()
    book.add(maintenance("m1", "pb-1", 100, 200))
    book.add(drill("d1", None, 100, 400))
    assert book.maintenance("pb-1", 99.999) is None
    assert book.maintenance("pb-1", 100) is not None
    assert book.maintenance("pb-1", 199.999) is not None
    assert book.maintenance("pb-1", 200) is None
    assert book.maintenance("pb-2", 150) is None
    assert book.next_expiry(150) == 200
    assert book.next_expiry(200) == 400
    assert book.next_expiry(400) is None
    assert [m.id for m in book.finished(200)] == ["m1"]


def test_ending_a_mode_early_stops_it_at_once_and_only_once() -> None:
    book = ModeBook()
    changes: list[None] = []
    book.subscribe(lambda: changes.append(None))
    book.add(drill("d1", "a3", 100, 400))
    ended = book.end("d1", "zhang.min", 150)
    assert (ended.ended_at, ended.ended_by, ended.end) == (150, "zhang.min", 150)
    assert book.drill("a3", 149) == ended
    assert book.drill("a3", 150) is None
    assert book.next_expiry(150) is None  # ended, so it will not expire
    assert book.finished(150) == [ended]
    with pytest.raises(ModeConflict, match="already over"):
        book.end("d1", "li.wei", 160)
    with pytest.raises(ModeNotFound):
        book.end("nope", "li.wei", 160)
    book.discard("d1")
    assert book.get("d1") is None
    assert book.finished(1000) == []
    assert len(changes) == 3  # add, end, discard


# -- through the gateway ----------------------------------------------------------------


def client(gateway: Gateway, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """An API client with the config's token (a supervisor), or with `headers`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(gateway)),
                             base_url="http://gateway",
                             headers=AUTH if headers is None else headers)


async def audit(gateway: Gateway, mode_id: str | None = None) -> list[ModeAuditEntry]:
    """The modes' audit, oldest first."""
    return list(reversed(await gateway.store.modes.audit(1000, mode_id)))


async def stored_modes(gateway: Gateway) -> int:
    return len({entry.mode_id for entry in await audit(gateway)})


def mode_messages(queue: asyncio.Queue[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    while not queue.empty():
        message = queue.get_nowait()
        if message["type"] == "mode":
            found.append((message["change"], message["mode"]["id"]))
    return found


@pytest.fixture
async def gateway(tmp_path: Path, store_url: str) -> AsyncIterator[Gateway]:
    config = school_config(tmp_path, store=store_url)
    async with Gateway(config, VirtualClock(T0), run_adapters=False) as gw:
        yield gw


async def test_a_drill_started_over_the_api_is_stored_audited_and_expires_on_time(
        gateway: Gateway) -> None:
    clock = gateway.clock
    assert isinstance(clock, VirtualClock)
    async with gateway.feed.listen() as feed, client(gateway) as api:
        response = await api.post("/modes/drill", headers=AUTH, json={
            "zone": "a3", "minutes": 30, "note": "fire evacuation"})
        assert response.status_code == 201, response.text
        started = response.json()
        assert (started["kind"], started["zone"], started["action"]) == ("drill", "a3", "mark")
        assert started["until"] == "2026-01-01T08:30:00.000+08:00"
        mode_id = started["id"]
        assert mode_messages(feed) == [("started", mode_id)]
        assert gateway.modes.drill("a3", clock.now()) is not None
        assert gateway.modes.drill("gate", clock.now()) is None

        listing = (await api.get("/modes")).json()
        assert [m["id"] for m in listing["active"]] == [mode_id]
        assert listing["recent"] == []

        await clock.advance(30 * 60 - 1)
        await gateway.settle()
        assert gateway.modes.drill("a3", clock.now()) is not None
        assert mode_messages(feed) == []

        await clock.advance(1)
        await gateway.settle()
        assert gateway.modes.drill("a3", clock.now()) is None
        assert mode_messages(feed) == [("expired", mode_id)]
        audit = (await api.get("/modes/audit")).json()
        assert [(a["change"], a["actor"], a["at"]) for a in audit] == [
            ("expired", "system", "2026-01-01T08:30:00.000+08:00"),
            ("started", "token:config", "2026-01-01T08:00:00.000+08:00")]
        assert audit[1]["note"] == "fire evacuation"
        listing = (await api.get("/modes")).json()
        assert listing["active"] == []
        assert [m["id"] for m in listing["recent"]] == [mode_id]


async def test_a_drill_survives_a_restart_and_one_that_expired_meanwhile_is_recorded(
        tmp_path: Path, store_url: str) -> None:
    config = school_config(tmp_path, store=store_url)
    async with Gateway(config, VirtualClock(T0), run_adapters=False) as gateway:
        short = await gateway.mode_service.start_drill("gate", T0 + 600, "li.wei")
        long = await gateway.mode_service.start_drill("a3", T0 + 3600, "li.wei", "building A")
    clock = VirtualClock(T0 + 1200)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        await gateway.settle()
        assert gateway.modes.drill("a3", clock.now()) == long
        assert gateway.modes.get(short.id) is None
        expiries = await gateway.mode_service.audit()
        assert [(a.mode_id, a.change, a.at) for a in expiries if a.change == "expired"] == [
            (short.id, "expired", T0 + 600)]
        await clock.advance(2400)
        await gateway.settle()
        assert gateway.modes.drill("a3", clock.now()) is None
        assert [(a.change, a.at) for a in await audit(gateway, long.id)] == [
            ("started", T0), ("expired", T0 + 3600)]


PLANNED = """\
drills:
  - {zone: a3, start: "2026-01-01T09:00", duration: 30m, note: fire evacuation}
  - {start: "2025-12-31T09:00", duration: 1h, note: long past}
"""


async def test_a_planned_drill_covers_its_window_once_across_restarts(
        tmp_path: Path, store_url: str) -> None:
    config = school_config(tmp_path, PLANNED, store=store_url)
    clock = VirtualClock(T0)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        [planned] = (await gateway.mode_service.list_modes()).upcoming
        assert (planned.zone, planned.actor, planned.note) == ("a3", "config", "fire evacuation")
        assert planned.starts == datetime(2026, 1, 1, 9, tzinfo=config.site.tz).timestamp()
        assert gateway.modes.drill("a3", clock.now()) is None
        await clock.advance(3600 - 1)
        assert gateway.modes.drill("a3", clock.now()) is None
        await clock.advance(1)
        assert gateway.modes.drill("a3", clock.now()) == planned
        assert gateway.modes.drill("gate", clock.now()) is None
    clock = VirtualClock(T0 + 3600 + 600)
    async with Gateway(config, clock, run_adapters=False) as gateway:
        assert gateway.modes.drill("a3", clock.now()) == planned
        await clock.advance(1200)
        await gateway.settle()
        assert gateway.modes.drill("a3", clock.now()) is None
        assert [(a.mode_id, a.change, a.actor) for a in await audit(gateway)] == [
            (planned.id, "scheduled", "config"), (planned.id, "expired", "system")]
    async with Gateway(config, VirtualClock(T0 + 7200), run_adapters=False) as gateway:
        assert await stored_modes(gateway) == 1
        assert gateway.modes.active(T0 + 7200) == []


def test_a_planned_drill_must_name_a_known_zone_and_last_at_most_a_day(
        tmp_path: Path) -> None:
    school_config(tmp_path)
    path = tmp_path / "gateway.yaml"
    base = path.read_text()
    for drill_yaml, problem in [
            ('{zone: roof, start: "2026-01-01T09:00", duration: 30m}',
             "drills[0].zone: unknown zone 'roof'"),
            ('{zone: a3, start: "2026-01-01T09:00", duration: 2d}',
             "drills[0].duration: Input should be less than or equal to 86400")]:
        path.write_text(base + f"drills:\n  - {drill_yaml}\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert any(problem in found for found in caught.value.problems), caught.value


def availability(gateway: Gateway) -> str:
    return gateway.registry.devices["pb-1"].availability.value


@pytest.fixture
async def heard(gateway: Gateway) -> VirtualClock:
    """The gateway's clock 30 s after pb-1 (heartbeat 60 s) was last heard."""
    clock = gateway.clock
    assert isinstance(clock, VirtualClock)
    gateway.bus.publish(Event("s1", "pb-1", "pressed", False, clock.now()))
    await gateway.settle()
    assert availability(gateway) == "online"
    await clock.advance(30)
    return clock


async def test_a_device_in_maintenance_is_not_declared_offline_until_two_beats_after_it(
        gateway: Gateway, heard: VirtualClock) -> None:
    await gateway.mode_service.start_maintenance("pb-1", T0 + 630, "li.wei",
                                                 "battery swap", "suppress")
    await heard.advance(600)  # silent for 630 s: far beyond two beats of 60 s
    await gateway.settle()
    assert availability(gateway) == "online"
    await heard.advance(119)
    await gateway.settle()
    assert availability(gateway) == "online"
    await heard.advance(2)
    await gateway.settle()
    assert availability(gateway) == "offline"


async def test_ending_maintenance_early_restarts_supervision_from_then(
        gateway: Gateway, heard: VirtualClock) -> None:
    mode = await gateway.mode_service.start_maintenance("pb-1", T0 + 3600, "li.wei")
    await heard.advance(270)
    await gateway.settle()
    ended = await gateway.mode_service.end_mode(mode.id, "zhang.min", "done early")
    assert ended.ended_at == T0 + 300
    await heard.advance(119)
    await gateway.settle()
    assert availability(gateway) == "online"
    await heard.advance(2)
    await gateway.settle()
    assert availability(gateway) == "offline"
    assert [(a.change, a.actor, a.note, a.at) for a in await audit(gateway)] == [
        ("started", "li.wei", "", T0 + 30), ("ended", "zhang.min", "done early", T0 + 300)]


def with_police(config: GatewayConfig, tmp_path: Path) -> GatewayConfig:
    path = tmp_path / "gateway.yaml"
    path.write_text(path.read_text().replace("channels:\n", """\
channels:
  - {type: police_http, id: police, url: "http://127.0.0.1:9/alerts", secret: s3cret}
""", 1))
    return load_config(path)


async def test_a_drill_alert_is_never_sent_to_a_channel_that_does_not_take_drills(
        tmp_path: Path, store_url: str) -> None:
    config = with_police(school_config(tmp_path, store=store_url), tmp_path)
    assert {c.id: c.forward_drills for c in config.channels} == {"police": False, "log": True}
    async with Gateway(config, VirtualClock(T0), run_adapters=False) as gateway:
        gateway.manager.submit(AlertSpec(
            key="drill-panic", rule_id="panic", site="s1", device_id="pb-2", zone="a3",
            category=Category.PANIC, severity=Severity.CRITICAL, title="Alarm A301",
            channels=("police", "log"), latching=True, ts=T0, drill=True))
        await gateway.settle()
        [alert] = await gateway.store.alerts.newest()
        assert alert.drill
        assert [job.channel for job in await gateway.store.outbox.jobs(alert.id)] == ["log"]


# -- the API's guards -------------------------------------------------------------------


async def test_modes_need_a_login_to_read_and_a_supervisor_to_change(
        gateway: Gateway) -> None:
    async with client(gateway, {}) as api:
        body = {"minutes": 10}
        assert (await api.post("/modes/drill", json=body)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await api.post("/modes/drill", json=body, headers=wrong)).status_code == 401
        assert (await api.post("/modes/maintenance", json={
            **body, "device_id": "pb-1", "action": "mark"})).status_code == 401
        assert (await api.post("/modes/x/end", json={})).status_code == 401
        assert (await api.get("/modes")).status_code == 401
        assert (await api.get("/modes/audit")).status_code == 401
        assert (await api.get("/modes", headers=AUTH)).status_code == 200
        assert await stored_modes(gateway) == 0


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/modes/drill", {"zone": "roof", "minutes": 10}, 404),
    ("/modes/drill", {"minutes": 0}, 422),
    ("/modes/drill", {"minutes": 24 * 60 + 1}, 422),
    ("/modes/drill", {}, 422),
    ("/modes/drill", {"minutes": 1e-9}, 409),  # would end as it starts
    ("/modes/maintenance", {"device_id": "cam-9", "minutes": 10,
                            "action": "mark"}, 404),
    ("/modes/maintenance", {"device_id": "pb-1", "minutes": 7 * 24 * 60 + 1,
                            "action": "mark"}, 422),
    ("/modes/maintenance", {"device_id": "pb-1", "minutes": 10,
                            "action": "ignore"}, 422),
    ("/modes/maintenance", {"device_id": "pb-1", "minutes": 10}, 422),
    ("/modes/nope/end", {}, 404),
])
async def test_bad_mode_requests_are_refused(gateway: Gateway, path: str,
                                             body: dict[str, Any], status: int) -> None:
    async with client(gateway) as api:
        response = await api.post(path, json=body, headers=AUTH)
        assert response.status_code == status, response.text
    assert await stored_modes(gateway) == 0


async def test_a_mode_ends_once_and_a_device_has_one_maintenance_at_a_time(
        gateway: Gateway) -> None:
    async with client(gateway) as api:
        body = {"device_id": "pb-1", "minutes": 7 * 24 * 60,
                "action": "suppress", "note": "replacing the panel"}
        first = await api.post("/modes/maintenance", json=body, headers=AUTH)
        assert first.status_code == 201, first.text
        assert first.json()["until"] == "2026-01-08T08:00:00.000+08:00"
        again = await api.post("/modes/maintenance", json=body, headers=AUTH)
        assert again.status_code == 409
        assert "already in maintenance" in again.json()["detail"]
        mode_id = first.json()["id"]
        assert gateway.modes.maintenance("pb-1", gateway.clock.now()) is not None
        end = {"note": "panel works"}
        ended = await api.post(f"/modes/{mode_id}/end", json=end, headers=AUTH)
        assert ended.status_code == 200
        assert ended.json()["ended_by"] == "token:config"
        assert gateway.modes.maintenance("pb-1", gateway.clock.now()) is None
        await gateway.settle()
        twice = await api.post(f"/modes/{mode_id}/end", json=end, headers=AUTH)
        assert twice.status_code == 409
        audit = (await api.get("/modes/audit", params={"mode_id": mode_id})).json()
        assert [(a["change"], a["actor"], a["note"]) for a in audit] == [
            ("ended", "token:config", "panel works"),
            ("started", "token:config", "replacing the panel")]



async def test_a_drill_overlapping_another_is_refused(gateway: Gateway) -> None:
    """One shared credential once let a fuzzer start 47 overlapping site-wide drills."""
    async with client(gateway) as api:
        zone = await api.post("/modes/drill", json={"zone": "a3", "minutes": 30})
        assert zone.status_code == 201, zone.text
        site = await api.post("/modes/drill", json={"minutes": 10})
        assert site.status_code == 409 and "zone a3" in site.json()["detail"]
        again = await api.post("/modes/drill", json={"zone": "a3", "minutes": 5})
        assert again.status_code == 409
        other = await api.post("/modes/drill", json={"zone": "gate", "minutes": 5})
        assert other.status_code == 201, other.text
        ended = await api.post(f"/modes/{zone.json()['id']}/end", json={})
        assert ended.status_code == 200
        assert (await api.post("/modes/drill", json={"zone": "a3",
                                                     "minutes": 5})).status_code == 201
