"""Outbox workers: one per channel, delivering stored jobs in creation order.

At least once: a job is marked delivered only after the receiver answered 2xx, so a
crash between sending and marking sends it again with the same Idempotency-Key, which the
receiver deduplicates. A failing receiver holds its channel's queue (order is kept) and is
retried with capped exponential backoff and jitter; other channels are not affected.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.core.backoff import Backoff
from gateway.core.clock import Clock
from gateway.core.repositories import OutboxRepository
from gateway.forwarding.channel import Channel, DeliveryError, ForwardJob

log = logging.getLogger(__name__)


class OutboxWorker:
    def __init__(self, channel: Channel, outbox: OutboxRepository, clock: Clock,
                 backoff: Backoff) -> None:
        self.channel = channel
        self._outbox = outbox
        self._clock = clock
        self._backoff = backoff
        self._wakeup = asyncio.Event()
        self.delivered = 0
        self.failures = 0
        self.failing_since: float | None = None

    def wake(self) -> None:
        """New jobs were stored."""
        self._wakeup.set()

    async def run(self) -> None:
        channel_id = self.channel.id
        while True:
            self._wakeup.clear()
            job = await self._outbox.next_job(channel_id)
            if job is None:
                await self._wakeup.wait()
                continue
            try:
                receipt = await self.channel.deliver(job)
            except DeliveryError as exc:
                await self._failed(job, str(exc))
                continue
            now = self._clock.now()
            await self._outbox.mark_delivered(job, receipt.receipt_id, now)
            self.delivered += 1
            self._backoff.reset()
            if self.failing_since is not None:
                log.info("channel %s delivers again (after %.0f s)", channel_id,
                         now - self.failing_since)
                self.failing_since = None

    async def _failed(self, job: ForwardJob, error: str) -> None:
        self.failures += 1
        await self._outbox.mark_failed(job, error)
        if self.failing_since is None:
            self.failing_since = self._clock.now()
            log.warning("channel %s cannot deliver %s: %s (retrying with backoff)",
                        self.channel.id, job.idempotency_key, error)
        await self._clock.sleep(self._backoff.next_delay())
