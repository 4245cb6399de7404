"""Outbox workers: one per channel, delivering stored jobs in creation order.

At least once: a job is marked delivered only after the receiver answered 2xx, so a
crash between sending and marking sends it again with the same Idempotency-Key, which the
receiver deduplicates. A failing receiver holds its channel's queue (order is kept: the
same job is retried) with capped exponential backoff and jitter; other channels are not
affected. A job the receiver refuses for good (`DeliveryRejected`) is parked as rejected
and reported, and the queue goes on. Any other exception from a channel is a failed
attempt, never the end of the worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from gateway.core.backoff import Backoff
from gateway.core.clock import Clock
from gateway.core.health import Health, Tracker
from gateway.core.repositories import OutboxRepository
from gateway.forwarding.channel import Channel, DeliveryError, DeliveryRejected, ForwardJob

log = logging.getLogger(__name__)


class OutboxWorker:
    """Delivers one channel's outbox. Logs once when delivery starts failing (with the
    reason) and once when it recovers; `health()` is degraded in between."""

    def __init__(self, channel: Channel, outbox: OutboxRepository, clock: Clock,
                 backoff: Backoff,
                 on_rejected: Callable[[ForwardJob, str], None] = lambda job, why: None,
                 on_delivered: Callable[[ForwardJob, float], None] = lambda _job, _now: None
                 ) -> None:
        """`on_rejected` hears of each job the receiver refused for good (parked);
        `on_delivered` of each job delivered, and when."""
        self.channel = channel
        self._on_rejected = on_rejected
        self._on_delivered = on_delivered
        self.rejected = 0
        self._outbox = outbox
        self._clock = clock
        self._backoff = backoff
        self._wakeup = asyncio.Event()
        self._state = Tracker(clock.now())
        self.delivered = 0
        self.failures = 0
        self.failing_since: float | None = None

    def wake(self) -> None:
        """New jobs were stored."""
        self._wakeup.set()

    def health(self) -> Health:
        """Degraded while the channel's jobs fail (since the first failure, with the last
        reason); ok otherwise."""
        return self._state.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever this worker's health or its channel's changes status,
        so that a watcher of the link sleeps until something changes."""
        self._state.listen(listener)
        self.channel.on_health_change(listener)

    async def run(self) -> None:
        """Deliver jobs until cancelled."""
        channel_id = self.channel.id
        while True:
            self._wakeup.clear()
            job = await self._outbox.next_job(channel_id)
            if job is None:
                await self._wakeup.wait()
                continue
            try:
                receipt = await self.channel.deliver(job)
            except DeliveryRejected as exc:
                await self._rejected(job, str(exc))
                continue
            except DeliveryError as exc:
                await self._failed(job, str(exc))
                continue
            except Exception as exc:  # a channel bug must not stop forwarding
                await self._failed(job, f"{type(exc).__name__}: {exc}", exc)
                continue
            now = self._clock.now()
            await self._outbox.mark_delivered(job, receipt.receipt_id, now)
            self.delivered += 1
            self._on_delivered(job, now)
            self._backoff.reset()
            self._recovered(now)

    async def _rejected(self, job: ForwardJob, reason: str) -> None:
        """Park the job and go on: one refused document must not hold back the rest."""
        await self._outbox.mark_rejected(job, reason, self._clock.now())
        self.rejected += 1
        log.error("channel %s refused %s for good: %s (parked; going on with the next)",
                  self.channel.id, job.idempotency_key, reason)
        self._on_rejected(job, reason)
        self._backoff.reset()
        self._recovered(self._clock.now())  # the receiver answers: the link is fine

    def _recovered(self, now: float) -> None:
        if self.failing_since is not None:
            log.info("channel %s delivers again (after %.0f s)", self.channel.id,
                     now - self.failing_since)
            self.failing_since = None
        self._state.recover(now)

    async def _failed(self, job: ForwardJob, error: str,
                      unexpected: BaseException | None = None) -> None:
        self.failures += 1
        await self._outbox.mark_failed(job, error)
        now = self._clock.now()
        if self._state.fail(error, now):
            self.failing_since = now
            log.warning("channel %s cannot deliver %s: %s (retrying with backoff)",
                        self.channel.id, job.idempotency_key, error,
                        exc_info=unexpected)
        await self._clock.sleep(self._backoff.next_delay())
