"""Health that tells the truth: parts combine worst-first, a task that dies is failed with
its exception, a failing channel is degraded until it delivers again, and GET /health
answers 200 only when every part is ok (503 otherwise). Virtual clock; no sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app.api.app import create_api
from gateway.app.gateway import Gateway
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from gateway.core.health import Health, Observed, Tracker, overall, task_health, worst
from gateway.core.repositories import ForwardJob
from tests.core.support import school_config

T0 = 1_767_225_600.0


def test_the_worst_part_wins_with_its_reasons_and_latest_since() -> None:
    parts = [Health.ok(1.0), Health.degraded("slow", 5.0), Health.degraded("down", 7.0)]
    assert worst(parts, 0.0) == Health("degraded", "slow; down", 7.0)
    assert worst([], 3.0) == Health.ok(3.0)
    assert overall({"a": Health.ok(1.0), "b": Health.failed("x", 2.0)}) == "failed"
    assert overall({}) == "ok"


def test_a_tracker_keeps_since_while_the_status_holds_and_says_when_it_changes() -> None:
    tracker = Tracker(0.0)
    assert tracker.fail("refused", 10.0) is True
    assert tracker.fail("timeout", 20.0) is False  # still failing: no second log line
    assert tracker.health == Health("degraded", "timeout", 10.0)
    assert tracker.recover(30.0) is True
    assert tracker.recover(40.0) is False
    assert tracker.health == Health.ok(30.0)
    observed = Observed(0.0)
    assert observed.see("", 5.0) == Health.ok(0.0)
    assert observed.see("1 of 2 devices unreachable: fp-1", 6.0).since == 6.0


async def test_a_task_that_raised_is_failed_with_its_exception() -> None:
    async def boom() -> None:
        raise RuntimeError("disk on fire")

    task = asyncio.create_task(boom())
    await asyncio.gather(task, return_exceptions=True)
    assert task_health(task, 1.0, 2.0) == Health(
        "failed", "stopped: RuntimeError('disk on fire')", 2.0)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with Gateway(school_config(tmp_path), VirtualClock(T0), run_adapters=False) as gw:
        yield gw


class Outcomes:
    """Signals each delivery outcome the worker records in the outbox. The file channel
    and the store work in threads the virtual clock cannot drive, so tests wait for the
    recorded outcome itself (bounded), never for time."""

    def __init__(self, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
        outbox = gateway.store.outbox
        self._done = asyncio.Event()
        delivered, failed = outbox.mark_delivered, outbox.mark_failed

        async def mark_delivered(job: ForwardJob, receipt_id: str | None, now: float) -> bool:
            try:
                return await delivered(job, receipt_id, now)
            finally:
                self._done.set()

        async def mark_failed(job: ForwardJob, error: str) -> None:
            try:
                await failed(job, error)
            finally:
                self._done.set()

        monkeypatch.setattr(outbox, "mark_delivered", mark_delivered)
        monkeypatch.setattr(outbox, "mark_failed", mark_failed)

    async def next(self) -> None:
        async with asyncio.timeout(5):
            await self._done.wait()
        self._done.clear()
        await asyncio.sleep(0)  # let the worker take note of it


async def get_health(gateway: Gateway) -> tuple[int, dict[str, Any]]:
    transport = httpx.ASGITransport(app=create_api(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        assert (await client.get("/health")).status_code == 401
        assert (await client.get("/live")).json() == {"status": "alive"}
        response = await client.get("/health",
                                    headers={"Authorization": "Bearer operator-token"})
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_all_parts_ok_answers_200_listing_every_part(gateway: Gateway) -> None:
    status, body = await get_health(gateway)
    assert status == 200, body
    assert body["status"] == "ok"
    for name in ("task:bus", "task:alert-manager", "task:rule-timers", "rules", "store",
                 "channel:log"):
        assert body["parts"][name] == {"status": "ok", "reason": "", "since": T0}
    assert body["site"] == "s1" and body["outbox_backlog"] == {}
    assert "channels" in body and "events_dispatched" in body


async def test_a_task_that_dies_is_failed_and_health_answers_503(
        gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = gateway.clock
    assert isinstance(clock, VirtualClock)

    def broken(_now: float) -> list[Any]:
        raise RuntimeError("timer wheel broke")

    monkeypatch.setattr(gateway.engine, "on_time", broken)
    await clock.advance(5)
    gateway._rule_timer.set()  # the rule-timer task runs and dies
    await clock.advance(0)

    status, body = await get_health(gateway)
    assert status == 503
    assert body["status"] == "failed"
    for name in ("task:rule-timers", "rules"):
        part = body["parts"][name]
        assert part["status"] == "failed"
        assert part["reason"] == "stopped: RuntimeError('timer wheel broke')"
        assert part["since"] == T0 + 5
    assert body["parts"]["task:bus"]["status"] == "ok"


async def test_a_failing_channel_is_degraded_until_it_delivers_and_then_200(
        gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = gateway.clock
    assert isinstance(clock, VirtualClock)
    log = Path(gateway.config.channels[0].path)  # type: ignore[union-attr]
    await asyncio.to_thread(log.mkdir)  # a directory where the file should be
    attempts = Outcomes(gateway, monkeypatch)

    worker = gateway.workers[0]
    gateway.bus.publish(Event("s1", "pb-1", "pressed", True, clock.now(), urgent=True))
    await gateway.settle()
    await attempts.next()

    status, body = await get_health(gateway)
    assert status == 503
    part = body["parts"]["channel:log"]
    assert part["status"] == "degraded"
    assert "cannot write" in part["reason"] and part["since"] == T0
    assert body["outbox_backlog"] == {"log": 1}
    assert body["channels"]["log"]["failing"] is True
    assert body["channels"]["log"]["backlog"] == 1

    await asyncio.to_thread(log.rmdir)  # the disk is fixed; the next retry delivers
    await clock.advance(60)
    await attempts.next()
    assert worker.delivered == 1
    assert worker.failures == 1
    status, body = await get_health(gateway)
    assert status == 200, body
    assert body["parts"]["channel:log"]["status"] == "ok"
    assert body["parts"]["channel:log"]["since"] > T0
    assert body["outbox_backlog"] in ({}, {"log": 0})


async def test_a_store_call_that_raises_fails_the_store_until_a_change_is_applied(
        gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("database is locked")

    original = gateway.manager._apply_many
    monkeypatch.setattr(gateway.manager, "_apply_many", refuse)
    gateway.bus.publish(Event("s1", "pb-1", "pressed", True, gateway.clock.now(), urgent=True))
    await gateway.settle()
    status, body = await get_health(gateway)
    assert status == 503
    assert body["parts"]["store"]["status"] == "failed"
    assert "database is locked" in body["parts"]["store"]["reason"]

    monkeypatch.setattr(gateway.manager, "_apply_many", original)
    gateway.bus.publish(Event("s1", "pb-2", "pressed", True, gateway.clock.now(), urgent=True))
    await gateway.settle()
    status, body = await get_health(gateway)
    assert body["parts"]["store"]["status"] == "ok", body


async def test_openapi_documents_the_health_report_and_its_503(gateway: Gateway) -> None:
    schema = create_api(gateway).openapi()
    responses = schema["paths"]["/health"]["get"]["responses"]
    assert set(responses) >= {"200", "503"}
    for code in ("200", "503"):
        ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/HealthReport")
    part = schema["components"]["schemas"]["PartHealth"]["properties"]
    assert set(part) == {"status", "reason", "since"}


async def test_starting_the_adapters_twice_is_refused(gateway: Gateway) -> None:
    await gateway.start_adapters()
    with pytest.raises(RuntimeError, match="already started"):
        await gateway.start_adapters()
