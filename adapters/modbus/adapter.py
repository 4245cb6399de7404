"""One adapter per Modbus endpoint: its connection, and its devices' polls on an
APScheduler schedule (coalesced, one instance at a time, each run jittered)."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from adapters.modbus.connection import EndpointConnection
from adapters.modbus.poller import DevicePoller
from gateway.core.events import Availability
from gateway.core.health import Health, Observed, unreachable

log = logging.getLogger(__name__)

_scheduler_log = logging.getLogger("adapters.modbus.scheduler")


class _SkippedRunFilter(logging.Filter):
    """A poll still running when the next is due is skipped by design (max_instances=1);
    the device's availability tells about it, not a warning every interval."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


_scheduler_log.addFilter(_SkippedRunFilter())


class ModbusEndpointAdapter:
    """Polls the devices behind one endpoint (a TCP address or a serial line)."""

    def __init__(self, connection: EndpointConnection, pollers: list[DevicePoller]) -> None:
        self.name = f"modbus {connection.name}"
        self.connection = connection
        self.pollers = pollers
        self._rng = random.Random()
        self._stopping = False
        self._clock = pollers[0].ctx.clock if pollers else None
        self._observed = Observed(self._clock.now() if self._clock else 0.0)

    async def run(self) -> None:
        """Poll on schedule until cancelled; then stop the scheduler and disconnect."""
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(),
                                     logger=_scheduler_log)
        # The scheduler's own time decides only when a poll runs; every timestamp and
        # timer inside the poll comes from the gateway clock.
        for poller in self.pollers:
            # Jitter is applied inside the job rather than by the trigger: APScheduler 3
            # adds a trigger's jitter to the next base time, so the rate would drift
            # to 1 / (interval + jitter / 2).
            scheduler.add_job(
                self._poll, IntervalTrigger(seconds=poller.timing.interval_s),
                args=(poller,), id=poller.device.id, name=f"poll {poller.device.id}",
                coalesce=True, max_instances=1, misfire_grace_time=None)
        scheduler.start()
        self._stagger(scheduler)
        try:
            await asyncio.Event().wait()
        finally:
            self._stopping = True
            scheduler.shutdown(wait=False)  # cancels polls under way
            self.connection.close()

    async def _poll(self, poller: DevicePoller) -> None:
        try:
            if poller.timing.jitter_s:
                await poller.ctx.clock.sleep(self._rng.uniform(0, poller.timing.jitter_s))
            await poller.poll()
        except asyncio.CancelledError:
            if not self._stopping:
                raise

    def _stagger(self, scheduler: AsyncIOScheduler) -> None:
        """Move each device's first poll to a random point of its first interval, so that
        devices started together do not poll in step."""
        for poller in self.pollers:
            job = scheduler.get_job(poller.device.id)
            if job is None or job.next_run_time is None:
                continue
            interval = poller.timing.interval_s
            early = timedelta(seconds=interval - self._rng.uniform(0, interval))
            job.modify(next_run_time=job.next_run_time - early)

    def health(self) -> Health:
        """Degraded while any device behind this endpoint is offline or in fault (the
        reason counts and names them), ok otherwise; `since` is when that was first seen."""
        down = [p.device.id for p in self.pollers
                if p.availability in (Availability.OFFLINE, Availability.FAULT)]
        now = self._clock.now() if self._clock else 0.0
        return self._observed.see(unreachable(down, len(self.pollers)), now)

    def malformed_by_device(self) -> dict[str, int]:
        """Answers that were not Modbus, per device that gave them."""
        return {p.device.id: p.malformed for p in self.pollers if p.malformed}

    def counters(self) -> dict[str, int]:
        totals = {"requests": self.connection.requests, "connects": self.connection.connects,
                  "timeouts": self.connection.timeouts}
        for poller in self.pollers:
            for key, value in poller.counters().items():
                totals[key] = totals.get(key, 0) + value
        return totals
