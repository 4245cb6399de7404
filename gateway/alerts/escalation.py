"""Escalation of alerts nobody acknowledges in time.

A rule gives an alert escalation steps, each due a number of seconds after the alert was
raised. The escalator sleeps until the earliest due step of any open alert, has the alert
manager apply it, and repeats. It reads the open alerts from the store once, on start, so
after a restart every step still fires at its original time (at once if that time passed
while the gateway was down); after that, every stored change of an alert updates its
schedule in memory, so a busy gateway never re-reads its alerts to escalate them.

Steps are due after elapsed time: a step of the wall clock (an NTP correction) neither
brings them forward nor holds them back. A step's due time, stored in wall time, is turned
into elapsed time when the escalator learns of it; the next step of the same alert is then
due that much later than the one before.
"""

from __future__ import annotations

import asyncio
import heapq
import logging

from gateway.alerts.manager import AlertManager
from gateway.core.alerts import Alert
from gateway.core.clock import Clock, sleep_until

log = logging.getLogger(__name__)

RETRY_S = 5.0
"""How long to wait before trying again when the store could not be read or written."""


class Escalator:
    """Must be created on the running event loop."""

    def __init__(self, manager: AlertManager, clock: Clock) -> None:
        self._manager = manager
        self._clock = clock
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._next: dict[str, tuple[float, int, float]] = {}
        """Alert id -> its next step: (due in wall time, level, due in elapsed time)."""
        self._queue: list[tuple[float, str, int]] = []
        """(due in elapsed time, alert id, level), as a heap; stale entries kept."""

    def alert_changed(self, alert: Alert) -> None:
        """Manager callback: every stored change to an alert, with its next step if any."""
        due, level = alert.next_escalation_at, alert.escalation_level
        if due is None:
            self._next.pop(alert.id, None)
            return
        known = self._next.get(alert.id)
        if known is not None and known[:2] == (due, level):
            return
        if known is not None and known[1] < level:  # the step after one applied
            elapsed = known[2] + (due - known[0])
        else:
            elapsed = self._clock.monotonic() + (due - self._clock.now())
        self._next[alert.id] = (due, level, elapsed)
        heapq.heappush(self._queue, (elapsed, alert.id, level))
        if elapsed <= self._clock.monotonic() or elapsed == self._queue[0][0]:
            self.wake()

    def wake(self) -> None:
        """Look at the schedule again now."""
        self._idle.clear()
        self._wake.set()

    async def drain(self) -> None:
        """Wait until every due step is applied and the escalator sleeps again."""
        await self._idle.wait()

    async def run(self) -> None:
        """Apply due steps, then sleep until the next one or a wake-up, until cancelled."""
        await self._load()
        while True:
            self._wake.clear()
            try:
                deadline = await self.escalate_due()
            except Exception:
                log.exception("escalation failed; trying again in %.0f s", RETRY_S)
                deadline = self._clock.now() + RETRY_S
            await sleep_until(self._clock, deadline, self._wake, asleep=self._idle)

    async def _load(self) -> None:
        while True:
            try:
                alerts = await self._manager.escalating()
            except Exception:
                log.exception("cannot read alerts to escalate; trying again in %.0f s",
                              RETRY_S)
                await self._clock.sleep(RETRY_S)
                continue
            for alert in alerts:
                self.alert_changed(alert)
            return

    async def escalate_due(self) -> float | None:
        """Apply every step that is due; returns when the next one is due, if any."""
        while self._queue:
            elapsed, alert_id, level = self._queue[0]
            scheduled = self._next.get(alert_id)
            if scheduled is None or scheduled[1:] != (level, elapsed):
                heapq.heappop(self._queue)  # acknowledged, resolved or already applied
                continue
            wait = elapsed - self._clock.monotonic()
            if wait > 0:
                return self._clock.now() + wait
            escalated = await self._manager.escalate(alert_id, level)
            if escalated is not None:
                self.alert_changed(escalated)  # its next step, if any
            elif self._next.get(alert_id) == scheduled:
                del self._next[alert_id]  # no longer open: nothing more to do
        return None
