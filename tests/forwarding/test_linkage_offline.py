"""A linkage channel failing for `LINKAGE_OFFLINE_S` raises `linkage-offline` at exactly that
age, not before, and clears at its first delivery after; the watch sleeps in between: it
looks again only when a worker or channel changes status or a failure comes of age, never
on the worker's retries or while the link is steady."""

from __future__ import annotations

from pathlib import Path

import pytest

import gateway.app.gateway as gateway_module
from gateway.app.gateway import LINKAGE_OFFLINE_S, Gateway, worker_health
from gateway.core.alerts import ACTIVE_STATES, Alert
from gateway.core.clock import VirtualClock
from gateway.core.health import Health
from gateway.forwarding.channel import ForwardJob, Receipt
from gateway.forwarding.worker import OutboxWorker
from tests.core.support import school_config
from tests.core.test_alerts import press
from tests.helpers import eventually

T0 = 1_767_225_600.0
DAY = 86_400.0


async def offline(gateway: Gateway) -> list[Alert]:
    return [a for a in await gateway.store.alerts.newest(ACTIVE_STATES)
            if a.rule_id == "linkage-offline"]


async def test_a_channel_failing_thirty_seconds_is_offline_then_and_back_at_its_first_delivery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock(T0)
    looks: list[float] = []  # each time the watch looks at the channel

    def looked_at(worker: OutboxWorker) -> Health:
        looks.append(clock.now())
        return worker_health(worker)
    monkeypatch.setattr(gateway_module, "worker_health", looked_at)
    journal = tmp_path / "alerts.jsonl"
    journal.mkdir()  # the file channel cannot write its journal: every attempt fails
    async with Gateway(school_config(tmp_path), clock, run_adapters=False) as gateway:
        [worker] = gateway.workers
        attempts = 0
        deliver = worker.channel.deliver

        async def attempt(job: ForwardJob) -> Receipt:
            nonlocal attempts
            attempts += 1
            return await deliver(job)
        monkeypatch.setattr(worker.channel, "deliver", attempt)
        await clock.advance(DAY)  # a steady link: the watch does not look at all
        assert looks == [T0]
        press(gateway, "gs-1", point="forced")
        await gateway.settle()
        await eventually(lambda: worker.failing_since is not None, what="a failed attempt")
        await gateway.settle()  # the watch has looked at the change
        since = worker.failing_since
        assert since == clock.now() == T0 + DAY
        seen = len(looks)
        assert seen <= 3  # the channel's failure, then the worker's
        await clock.advance(LINKAGE_OFFLINE_S - 1)  # retried every few seconds meanwhile
        await gateway.settle()
        assert attempts > 1 and len(looks) == seen
        assert await offline(gateway) == []
        await clock.advance(1)
        await gateway.settle()
        [alert] = await offline(gateway)
        assert (alert.key, alert.raised_at) == ("linkage-offline:log", since + LINKAGE_OFFLINE_S)
        assert looks[seen:] == [since + LINKAGE_OFFLINE_S]
        await clock.advance(10 * 60)  # still failing, and said so: nothing to look at
        await gateway.settle()
        assert len(looks) == seen + 1
        journal.rmdir()  # writable again: the next retry delivers
        for _ in range(60):  # the next retry comes within the backoff's cap (4 s)
            await clock.advance(1)
            # An attempt begun in that second has its outcome before time moves on.
            await eventually(lambda: attempts == worker.failures + worker.delivered,
                             what="the attempt's outcome")
            if worker.delivered:
                break
        assert worker.delivered, "no retry delivered within a minute of the journal's return"
        await gateway.settle()  # what the delivery woke
        assert worker.failing_since is None
        delivered_at = worker.health().since
        assert set(looks[seen + 1:]) == {delivered_at}  # the channel's recovery, the worker's
        assert len(looks) <= seen + 3
        assert await offline(gateway) == []
        [cleared] = [entry for entry in await gateway.store.alerts.history(alert.id)
                     if entry.note == "linkage back"]
        assert cleared.at == delivered_at
