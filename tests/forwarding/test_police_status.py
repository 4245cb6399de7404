"""Status coming back from the police platform: signed with the channel's secret, kept
once per key on the alert's history and shown, forwarded to nobody; everything unsigned,
badly signed, stale, repeated or malformed is refused with its code and counted, and an
unsigned caller never learns whether an alert exists."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from gateway.alerts.workflow import Acknowledge, Actor, Resolve
from gateway.app.api.app import create_api
from gateway.app.config import GatewayConfig, load_config
from gateway.app.gateway import Gateway
from gateway.app.runner import serving
from gateway.core.alerts import ACTIVE_STATES, Alert, Severity
from gateway.core.clock import VirtualClock
from gateway.core.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from simulators.police.receiver import Mode
from simulators.police.server import PoliceSimulator
from simulators.police.status import StatusPlan
from tests.core.test_alerts import press

T0 = 1_767_225_600.0
SECRET = b"police-shared-secret"
CONFIG = """\
site: {id: s1, name: School One, timezone: Asia/Shanghai}
zones: [{id: a3, name: Building A 3F}]
devices: [{id: pb-2, type: panic_button, name: A301 alarm, zone: a3}]
channels:
  - {type: police_http, id: police, url: "http://127.0.0.1:9/alerts", secret: police-shared-secret}
rules:
  - {id: panic, select: {type: panic_button}, when: {point: pressed}, severity: critical,
     category: panic, title: "Alarm {device}", channels: [police]}
store: {path: DB}
api: {token: test-token-0001}
"""


def school(tmp_path: Path, police_url: str = "http://127.0.0.1:9/alerts",
           channel_extra: str = "") -> GatewayConfig:
    """The school of CONFIG, its police channel at `police_url` (with `channel_extra` keys),
    its API on a free port."""
    path = tmp_path / "gateway.yaml"
    path.write_text(CONFIG.replace("DB", str(tmp_path / "gw.db"))
                    .replace('url: "http://127.0.0.1:9/alerts"', f'url: "{police_url}"'
                             + channel_extra)
                    .replace("api: {token: test-token-0001}",
                             "api: {token: test-token-0001, port: 0}"))
    return load_config(path)


@pytest.fixture
async def gateway(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with Gateway(school(tmp_path), VirtualClock(T0), run_adapters=False,
                       forward=False) as gw:
        yield gw


def signed(body: dict[str, object], key: str, *, at: float = T0,
           secret: bytes = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {SIGNATURE_HEADER: sign(secret, int(at), raw), TIMESTAMP_HEADER: str(int(at)),
                 IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"}


async def post(gateway: Gateway, raw: bytes, headers: dict[str, str],
               channel: str = "police") -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(gateway)),
                                 base_url="http://gateway") as api:
        return await api.post(f"/linkage/{channel}/status", content=raw, headers=headers)


async def raised(gateway: Gateway) -> str:
    press(gateway, "pb-2")
    await gateway.settle()
    [alert] = await gateway.store.alerts.newest()
    return alert.id


async def test_statuses_are_kept_once_shown_and_forwarded_to_nobody(gateway: Gateway) -> None:
    alert_id = await raised(gateway)
    jobs_before = len(await gateway.store.outbox.jobs(alert_id))
    for key, body in (("p-1", {"alert_id": alert_id, "status": "accepted",
                               "at": "2026-01-01T08:00:14+08:00"}),
                      ("p-2", {"alert_id": alert_id, "status": "dispatched",
                               "unit": "城关派出所 2 号车", "eta_s": 300}),
                      ("p-3", {"alert_id": alert_id, "status": "on_scene",
                               "at": "2026-01-01T08:04:30+08:00"})):
        answer = await post(gateway, *signed(body, key))
        assert answer.status_code == 200, answer.text
        assert answer.json()["duplicate"] is False
    again = await post(gateway, *signed({"alert_id": alert_id, "status": "accepted"}, "p-1"))
    assert again.json() == {"alert_id": alert_id, "duplicate": True, "revision": None}
    alert = await gateway.store.alerts.get(alert_id)
    assert alert is not None
    assert [s.status.value for s in alert.linkage] == ["accepted", "dispatched", "on_scene"]
    view = alert.to_dict(gateway.config.site.tz)
    assert (view["police_accepted_after_s"], view["police_on_scene_after_s"]) == (14.0, 270.0)
    assert view["linkage"][1]["unit"] == "城关派出所 2 号车"
    history = await gateway.store.alerts.history(alert_id)
    assert [(h.action, h.actor) for h in history][1:] == [
        ("police.accepted", "linkage:police"), ("police.dispatched", "linkage:police"),
        ("police.on_scene", "linkage:police")]
    assert history[2].note == "police: dispatched · 城关派出所 2 号车 · ETA 300 s"
    assert len(await gateway.store.outbox.jobs(alert_id)) == jobs_before
    assert gateway.linkage_inbound == {"accepted": 3, "duplicate": 1}


async def test_bad_requests_are_refused_and_counted(gateway: Gateway) -> None:
    alert_id = await raised(gateway)
    good = {"alert_id": alert_id, "status": "accepted"}
    raw, headers = signed(good, "k-1")
    unsigned = {k: v for k, v in headers.items() if k != SIGNATURE_HEADER}
    cases = [
        (await post(gateway, raw, unsigned), 401, "missing signature"),
        (await post(gateway, *signed(good, "k-1", secret=b"wrong")), 401, "bad signature"),
        (await post(gateway, *signed(good, "k-1", at=T0 - 3600)), 401,
         "timestamp outside window"),
        (await post(gateway, raw, headers, channel="nope"), 401, "bad signature"),
        (await post(gateway, *signed(good, "")), 400, None),
        (await post(gateway, *signed({"alert_id": alert_id, "status": "lost"}, "k-2")), 422,
         None),
        (await post(gateway, *signed({**good, "extra": 1}, "k-3")), 422, None),
    ]
    for answer, code, detail in cases:
        assert answer.status_code == code, answer.text
        if detail is not None:
            assert answer.json()["detail"] == detail
    unknown = await post(gateway, *signed({"alert_id": "nope", "status": "accepted"}, "k-4"))
    assert unknown.status_code == 404
    # unsigned, an unknown alert reads exactly like a known one
    raw, headers = signed({"alert_id": "nope", "status": "accepted"}, "k-5")
    del headers[SIGNATURE_HEADER]
    assert (await post(gateway, raw, headers)).json() == {"detail": "missing signature"}
    assert gateway.linkage_inbound == {"missing signature": 2, "bad signature": 2,
                                       "timestamp outside window": 1,
                                       "no idempotency key": 1, "malformed": 2,
                                       "unknown alert": 1}
    alert = await gateway.store.alerts.get(alert_id)
    assert alert is not None and alert.linkage == ()


async def test_the_police_simulator_answers_back_through_the_real_api(tmp_path: Path) -> None:
    police = PoliceSimulator(SECRET.decode())
    await police.start()
    try:
        async with serving(school(tmp_path, police.url), run_adapters=False) as running:
            reporter = police.answer_to(StatusPlan(
                f"{running.url}/linkage/police/status",
                delays_s={"accepted": 0.05, "dispatched": 0.1, "on_scene": 0.15}))
            alert_id = await raised(running.gateway)
            for _ in range(200):
                alert = await running.gateway.store.alerts.get(alert_id)
                if alert is not None and len(alert.linkage) == 3 and len(reporter.sent) == 3:
                    break  # stored, and the simulator has read the third answer
                await asyncio.sleep(0.02)
            assert alert is not None
            assert [s.status.value for s in alert.linkage] == ["accepted", "dispatched",
                                                               "on_scene"]
            assert alert.linkage[1].unit and alert.linkage[1].eta_s == 240
            assert [code for _, _, code in reporter.sent] == [200, 200, 200]
    finally:
        await police.stop()


async def test_an_alert_the_police_do_not_accept_in_time_is_raised_to_call_them(
        tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    police = PoliceSimulator(SECRET.decode(), clock=clock)
    await police.start()
    try:
        config = school(tmp_path, police.url, ", accept_within_s: 30")
        async with Gateway(config, clock, run_adapters=False) as gateway:
            accepted_in_time = await raised(gateway)
            press(gateway, "pb-2", False)
            await delivered(gateway)  # both first documents
            answer = await post(gateway, *signed(
                {"alert_id": accepted_in_time, "status": "accepted"}, "a-1", at=clock.now()))
            assert answer.status_code == 200
            await clock.advance(31)
            await gateway.settle()
            assert not [a for a in await gateway.store.alerts.newest()
                        if a.rule_id == "linkage-unaccepted"]
            # a second alert nobody accepts
            await gateway.manager.act(accepted_in_time, Acknowledge(), Actor("li.wei"))
            await gateway.manager.act(accepted_in_time, Resolve(), Actor("li.wei"))
            unaccepted = await raised_again(gateway)
            await delivered(gateway)
            await clock.advance(31)
            await gateway.settle()
            [watch] = [a for a in await gateway.store.alerts.newest()
                       if a.rule_id == "linkage-unaccepted"]
            assert watch.key == f"linkage-unaccepted:police:{unaccepted}"
            assert watch.latching and watch.channels == ()
            assert watch.title.startswith("公安未接警 police has not accepted in 30 s")
    finally:
        await police.stop()


async def delivered(gateway: Gateway) -> None:
    """Until the outbox is empty (the police simulator answers over real HTTP)."""
    for _ in range(250):
        if not await gateway.store.outbox.backlog():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still queued: {await gateway.store.outbox.backlog()}")


async def raised_again(gateway: Gateway) -> str:
    press(gateway, "pb-2")
    await gateway.settle()
    return next(a.id for a in await gateway.store.alerts.newest()
                if a.rule_id == "panic" and a.active)


async def test_a_linkage_that_stops_answering_raises_its_own_alert_until_it_is_back(
        tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    police = PoliceSimulator(SECRET.decode(), clock=clock)
    await police.start()
    try:
        await police.set_mode(Mode(mode="refuse"))
        async with Gateway(school(tmp_path, police.url), clock,
                           run_adapters=False) as gateway:
            await raised(gateway)

            async def offline() -> list[Alert]:
                return [a for a in await gateway.store.alerts.newest(ACTIVE_STATES)
                        if a.rule_id == "linkage-offline"]
            await clock.advance(10)
            assert await offline() == []  # a hiccup is not an outage
            for _ in range(8):
                await clock.advance(5)
                await gateway.settle()
            [alert] = await offline()
            assert (alert.key, alert.severity) == ("linkage-offline:police", Severity.HIGH)
            await police.set_mode(Mode(mode="ok"))
            for _ in range(10):
                await clock.advance(5)
                await gateway.settle()
                if not await offline():
                    break
            assert await offline() == []
            assert len(police.received) == 1  # and what waited was delivered
    finally:
        await police.stop()
