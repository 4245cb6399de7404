"""The outbox worker survives any exception from its channel: it retries the same job
with backoff (order kept), reports the channel degraded meanwhile, and logs the failure
and the recovery once each. Time is the virtual clock's; nothing sleeps."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

import pytest

from gateway.core.backoff import Backoff
from gateway.core.clock import VirtualClock
from gateway.core.health import Health, Tracker
from gateway.core.repositories import ForwardJob
from gateway.forwarding.channel import DeliveryError, DeliveryRejected, Receipt
from gateway.forwarding.worker import OutboxWorker
from simulators.police import PoliceSimulator
from simulators.police.receiver import Mode
from tests.forwarding.support import forward_job, police_channel

T0 = 1_767_225_600.0


class ListOutbox:
    """The outbox repository's worker side over a list, in creation order."""

    def __init__(self, jobs: list[ForwardJob]) -> None:
        self.pending = list(jobs)
        self.delivered: list[str] = []
        self.failed: list[str] = []
        self.rejected: list[str] = []

    async def next_job(self, channel: str) -> ForwardJob | None:
        return next((job for job in self.pending if job.channel == channel), None)

    async def mark_delivered(self, job: ForwardJob, receipt_id: str | None,
                             now: float) -> bool:
        self.pending.remove(job)
        self.delivered.append(job.idempotency_key)
        return True

    async def mark_failed(self, job: ForwardJob, error: str) -> None:
        self.failed.append(f"{job.idempotency_key}: {error}")

    async def mark_rejected(self, job: ForwardJob, reason: str, now: float) -> None:
        self.pending.remove(job)
        self.rejected.append(f"{job.idempotency_key}: {reason}")

    async def backlog(self) -> dict[str, int]:
        return {"police": len(self.pending)}

    async def jobs(self, alert_id: str) -> list[ForwardJob]:
        return [job for job in self.pending if job.alert_id == alert_id]


class BrokenThenFixedChannel:
    """Raises RuntimeError (not DeliveryError) on the first `breaks` attempts."""

    id = "police"
    forward_drills = False

    def __init__(self, clock: VirtualClock, breaks: int) -> None:
        self.attempts: list[str] = []
        self._breaks = breaks
        self._link = Tracker(clock.now())

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def health(self) -> Health:
        return self._link.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        self._link.listen(listener)

    async def deliver(self, job: ForwardJob) -> Receipt:
        self.attempts.append(job.idempotency_key)
        if len(self.attempts) <= self._breaks:
            raise RuntimeError("encoder bug")
        return Receipt(f"r-{len(self.attempts)}")


async def test_a_channel_that_raises_anything_is_retried_in_order_and_recovers(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = VirtualClock(T0)
    outbox = ListOutbox([forward_job("a-1"), forward_job("a-2")])
    channel = BrokenThenFixedChannel(clock, breaks=3)
    worker = OutboxWorker(channel, outbox, clock, Backoff(1.0, 8.0, rng=random.Random(1)))
    assert worker.health().status == "ok"
    caplog.set_level(logging.INFO, logger="gateway.forwarding.worker")

    task = asyncio.create_task(worker.run())
    try:
        await clock.advance(0)
        assert channel.attempts == ["a-1:1"]
        health = worker.health()
        assert health.status == "degraded"
        assert health.reason == "RuntimeError: encoder bug"
        assert health.since == T0
        assert outbox.delivered == []

        await clock.advance(60)  # the backoff's retries, then the delivery
        assert channel.attempts == ["a-1:1"] * 4 + ["a-2:1"]
        assert outbox.delivered == ["a-1:1", "a-2:1"]  # each once, in order
        assert worker.health().status == "ok"
        assert worker.health().since > T0
        assert worker.failures == 3 and worker.delivered == 2
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.forwarding.worker"]
    assert len(lines) == 2, lines  # once when failing starts, once on recovery
    assert "cannot deliver a-1:1: RuntimeError: encoder bug" in lines[0]
    assert "delivers again" in lines[1]


async def test_the_police_channel_reports_its_link_degraded_until_it_delivers(
        police: PoliceSimulator) -> None:
    start = float(int(time.time()))  # the simulator checks signed timestamps against its clock
    clock = VirtualClock(start)
    async with police_channel(police.url, clock, timeout_s=1.0) as channel:
        assert channel.health() == Health.ok(start)
        await police.set_mode(Mode(mode="fail", status=503))
        with pytest.raises(DeliveryError):
            await channel.deliver(forward_job("a-9"))
        health = channel.health()
        assert health.status == "degraded" and health.reason.startswith("503")
        assert health.since == start
        await police.set_mode(Mode(mode="ok"))
        await clock.advance(10)
        await channel.deliver(forward_job("a-9"))
        assert channel.health() == Health.ok(start + 10)


class RefusingChannel(BrokenThenFixedChannel):
    """Refuses `a-1` for good; delivers the rest."""

    async def deliver(self, job: ForwardJob) -> Receipt:
        self.attempts.append(job.idempotency_key)
        if job.alert_id == "a-1":
            raise DeliveryRejected("422 unknown zone")
        return Receipt("r")


async def test_a_job_refused_for_good_is_parked_reported_and_the_queue_goes_on() -> None:
    clock = VirtualClock(T0)
    outbox = ListOutbox([forward_job("a-1"), forward_job("a-2")])
    channel = RefusingChannel(clock, breaks=0)
    told: list[tuple[str, str]] = []
    worker = OutboxWorker(channel, outbox, clock, Backoff(1.0, 8.0),
                          lambda job, why: told.append((job.idempotency_key, why)))
    task = asyncio.create_task(worker.run())
    try:
        await clock.advance(0)
        assert channel.attempts == ["a-1:1", "a-2:1"]  # no retry, no wait
        assert outbox.rejected == ["a-1:1: 422 unknown zone"]
        assert outbox.delivered == ["a-2:1"]
        assert told == [("a-1:1", "422 unknown zone")]
        assert (worker.rejected, worker.health().status) == (1, "ok")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize(("status", "for_good"), [
    (400, True), (404, True), (422, True), (401, False), (403, False), (408, False),
    (429, False), (503, False)])
async def test_the_police_channel_tells_a_refusal_for_good_from_one_that_may_pass(
        police: PoliceSimulator, status: int, for_good: bool) -> None:
    clock = VirtualClock(float(int(time.time())))
    async with police_channel(police.url, clock, timeout_s=1.0) as channel:
        await police.set_mode(Mode(mode="fail", status=status))
        with pytest.raises(DeliveryError) as refused:
            await channel.deliver(forward_job("a-9"))
    assert isinstance(refused.value, DeliveryRejected) is for_good


class DownUntilChannel(BrokenThenFixedChannel):
    """Refuses every attempt until `back_at` (a receiver down for maintenance)."""

    def __init__(self, clock: VirtualClock, back_at: float) -> None:
        super().__init__(clock, breaks=0)
        self._clock, self._back_at = clock, back_at
        self.delivered_at: list[float] = []

    async def deliver(self, job: ForwardJob) -> Receipt:
        if self._clock.now() < self._back_at:
            raise DeliveryError("connection refused")
        self.delivered_at.append(self._clock.now())
        return Receipt("r")


async def test_after_a_ten_minute_outage_the_queue_arrives_within_the_default_cap() -> None:
    from gateway.forwarding.common import RetryConfig

    clock = VirtualClock(T0)
    back = T0 + 600
    channel = DownUntilChannel(clock, back)
    outbox = ListOutbox([forward_job(f"a-{n}") for n in range(20)])
    retry = RetryConfig()
    worker = OutboxWorker(channel, outbox, clock, Backoff(retry.initial_s, retry.max_s))
    task = asyncio.create_task(worker.run())
    try:
        await clock.advance(600 + retry.max_s + 1)
        assert len(channel.delivered_at) == 20
        assert channel.delivered_at[0] - back <= retry.max_s <= 5.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
