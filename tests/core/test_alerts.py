"""The alert lifecycle on the virtual clock: raise, repeat, latch, operator actions,
auto-resolve, supervision, and the outbox written with every change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from gateway.alerts.manager import AlertActionError, AlertNotFound
from gateway.alerts.workflow import Acknowledge, Actor, Close, Resolve
from gateway.app.api.app import create_api
from gateway.app.gateway import Gateway
from gateway.core.alerts import AlertState, Closure, Severity
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from tests.core.support import school_config


def press(gateway: Gateway, device: str, value: bool = True, point: str = "pressed") -> None:
    gateway.bus.publish(Event("s1", device, point, value, gateway.clock.now(), urgent=True))


@pytest.fixture
async def gateway(tmp_path: Path, store_url: str):  # type: ignore[no-untyped-def]
    config = school_config(tmp_path, store=store_url)
    async with Gateway(config, VirtualClock(), run_adapters=False) as gw:
        yield gw


async def alerts(gateway: Gateway) -> list:  # type: ignore[type-arg]
    return await gateway.store.alerts.newest()


async def panic_alerts(gateway: Gateway) -> list:  # type: ignore[type-arg]
    return [alert for alert in await alerts(gateway) if alert.rule_id == "panic"]


async def test_press_raises_one_stored_alert_and_repeats_update_it(gateway: Gateway) -> None:
    press(gateway, "pb-1")
    await gateway.settle()
    [alert] = await alerts(gateway)
    assert (alert.device_id, alert.severity, alert.state) == ("pb-1", Severity.CRITICAL,
                                                               AlertState.OPEN)
    assert alert.title == "Alarm Guard room alarm"
    assert alert.latching
    press(gateway, "pb-1", False)
    press(gateway, "pb-1")
    press(gateway, "pb-1")  # the same state reported again is not another press
    await gateway.settle()
    [alert] = await alerts(gateway)
    assert alert.event_count == 2
    assert alert.state is AlertState.OPEN  # the release did not clear it


async def test_panic_alert_is_never_closed_by_the_system_only_by_an_operator(
        gateway: Gateway, tmp_path: Path) -> None:
    press(gateway, "pb-2")
    await gateway.settle()
    press(gateway, "pb-2", False)
    await gateway.clock.advance(3600)  # type: ignore[attr-defined]
    await gateway.settle()
    [alert] = await panic_alerts(gateway)
    assert alert.state is AlertState.OPEN
    with pytest.raises(AlertNotFound, match="no alert"):
        await gateway.manager.act("nope", Acknowledge(), Actor("li.wei"))
    await gateway.manager.act(alert.id, Acknowledge("on my way"), Actor("li.wei"))
    with pytest.raises(AlertActionError, match="cannot acknowledge an alert that is "
                                               "acknowledged"):
        await gateway.manager.act(alert.id, Acknowledge(), Actor("li.wei"))
    await gateway.manager.act(alert.id, Resolve("pressed by a pupil", reason=Closure.FALSE_ALARM),
                              Actor("li.wei"))
    closed = await gateway.manager.act(alert.id, Close(force=True),
                                       Actor("zhang.min", may_force=True))
    assert closed.state is AlertState.CLOSED
    history = await gateway.store.alerts.history(alert.id)
    assert [(h.action, h.actor) for h in history] == [
        ("raised", "system"), ("ack", "li.wei"), ("resolve", "li.wei"), ("close", "zhang.min")]
    assert history[2].note == "false_alarm · pressed by a pupil"
    # A press after closing opens a new alert.
    press(gateway, "pb-2")
    await gateway.settle()
    assert len(await panic_alerts(gateway)) == 2


async def test_the_api_tells_an_unknown_alert_from_an_action_that_does_not_apply(
        gateway: Gateway) -> None:
    press(gateway, "pb-2")
    await gateway.settle()
    [alert] = await alerts(gateway)
    transport = httpx.ASGITransport(app=create_api(gateway))
    auth = {"Authorization": "Bearer operator-token"}
    body = {"actor": "li.wei"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as api:
        assert (await api.get("/")).text.startswith("<!doctype html>")
        assert (await api.get("/alerts/nope")).status_code == 401
        assert (await api.get("/alerts/nope", headers=auth)).status_code == 404
        unknown = await api.post("/alerts/nope/ack", json=body, headers=auth)
        assert unknown.status_code == 404, unknown.text
        assert (await api.post(f"/alerts/{alert.id}/ack", json=body,
                               headers=auth)).status_code == 200
        again = await api.post(f"/alerts/{alert.id}/ack", json=body, headers=auth)
        assert again.status_code == 409, again.text
        shown = (await api.get(f"/alerts/{alert.id}", headers=auth)).json()
        assert shown["state"] == "acknowledged"
        assert [(h["action"], h["revision"]) for h in shown["history"]] == [
            ("raised", 1), ("ack", 2)]


async def test_non_latching_alert_auto_resolves_when_the_condition_clears(
        gateway: Gateway) -> None:
    press(gateway, "gs-1", True, "forced")
    await gateway.settle()
    press(gateway, "gs-1", False, "forced")
    await gateway.settle()
    [alert] = await alerts(gateway)
    assert alert.state is AlertState.RESOLVED
    history = await gateway.store.alerts.history(alert.id)
    assert history[-1].action == "auto_resolved"


async def test_silent_device_goes_offline_after_two_heartbeats_and_comes_back(
        gateway: Gateway) -> None:
    clock = gateway.clock
    assert isinstance(clock, VirtualClock)
    press(gateway, "pb-1", False)
    await gateway.settle()
    await clock.advance(119)
    await gateway.settle()
    assert gateway.registry.devices["pb-1"].availability.value == "online"
    await clock.advance(2)
    await gateway.settle()
    assert gateway.registry.devices["pb-1"].availability.value == "offline"
    [alert] = await alerts(gateway)
    assert (alert.rule_id, alert.severity) == ("offline", Severity.WARNING)
    gateway.bus.publish(Event("s1", "pb-1", "heartbeat", 7, clock.now()))
    await gateway.settle()
    assert gateway.registry.devices["pb-1"].availability.value == "online"
    [alert] = await alerts(gateway)
    assert alert.state is AlertState.RESOLVED
    # pb-2 has no heartbeat interval: never supervised.
    assert gateway.registry.devices["pb-2"].availability.value == "unknown"


async def test_alert_document_reaches_the_file_channel_once_per_revision(
        gateway: Gateway, tmp_path: Path) -> None:
    press(gateway, "pb-2")
    await gateway.settle()
    [alert] = await alerts(gateway)
    for _ in range(1000):  # the file write runs on a thread, in real time
        if gateway.workers[0].delivered:
            break
        await asyncio.sleep(0.01)
    lines = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [line["idempotency_key"] for line in lines] == [f"{alert.id}:1"]
    document = lines[0]["document"]
    assert document["site"] == {"id": "s1", "name": "School One"}
    assert document["zone"]["name"] == "Building A 3F"
    assert document["location"] == "Room A301"
    assert document["raised_at"].endswith("+08:00")
    [stored] = await alerts(gateway)
    assert stored.receipts["log"]


async def test_alerts_survive_a_restart(tmp_path: Path, store_url: str) -> None:
    config = school_config(tmp_path, store=store_url)
    async with Gateway(config, VirtualClock(), run_adapters=False) as gateway:
        press(gateway, "pb-1")
        await gateway.settle()
    async with Gateway(config, VirtualClock(), run_adapters=False) as gateway:
        press(gateway, "pb-1")
        await gateway.settle()
        [alert] = await alerts(gateway)
        assert alert.event_count == 2


async def test_a_document_refused_for_good_raises_a_latched_alert_for_the_control_room(
        gateway: Gateway) -> None:
    press(gateway, "pb-2")
    await gateway.settle()
    [panic] = await alerts(gateway)
    [job] = await gateway.store.outbox.jobs(panic.id)
    for _ in range(2):
        gateway._linkage_refused(job, "422 unknown zone")
    await gateway.settle()
    [refused] = [a for a in await alerts(gateway) if a.rule_id == "linkage-refused"]
    assert refused.latching and refused.channels == () and refused.event_count == 2
    assert refused.title == "联动平台拒收 Linkage log refused: Alarm A301 alarm"
    assert "422 unknown zone" in refused.message


async def test_an_alert_that_cleared_before_anyone_saw_it_stays_queued_until_acknowledged(
        gateway: Gateway) -> None:
    press(gateway, "gs-1", True, "forced")  # non-latching
    await gateway.settle()
    press(gateway, "gs-1", False, "forced")
    await gateway.settle()
    [alert] = await alerts(gateway)
    assert (alert.state, alert.cleared_unseen) == (AlertState.RESOLVED, True)
    assert [a.id for a in await gateway.store.alerts.queue()] == [alert.id]
    transport = httpx.ASGITransport(app=create_api(gateway))
    auth = {"Authorization": "Bearer operator-token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway",
                                 headers=auth) as api:
        queued = (await api.get("/alerts", params={"state": "queue"})).json()
        assert [(a["id"], a["cleared_unseen"]) for a in queued] == [(alert.id, True)]
        seen = await api.post(f"/alerts/{alert.id}/ack", json={"note": "checked the gate"})
        assert seen.status_code == 200, seen.text
        assert (seen.json()["state"], seen.json()["cleared_unseen"]) == ("resolved", False)
        assert (await api.get("/alerts", params={"state": "queue"})).json() == []
        again = await api.post(f"/alerts/{alert.id}/ack", json={})
        assert again.status_code == 409


async def test_an_alert_acknowledged_before_it_cleared_leaves_the_queue_when_it_does(
        gateway: Gateway) -> None:
    press(gateway, "gs-1", True, "forced")
    await gateway.settle()
    [alert] = await alerts(gateway)
    await gateway.manager.act(alert.id, Acknowledge(), Actor("li.wei"))
    press(gateway, "gs-1", False, "forced")
    await gateway.settle()
    [alert] = await alerts(gateway)
    assert (alert.state, alert.cleared_unseen) == (AlertState.RESOLVED, False)
    assert await gateway.store.alerts.queue() == []
