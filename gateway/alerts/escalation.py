"""Escalation of alerts nobody acknowledges in time.

A rule gives an alert escalation steps, each due a number of seconds after the alert was
raised. The escalator sleeps until the earliest due step of any open alert, has the alert
manager apply it, and repeats. Its schedule is read from the store each time it wakes, so
after a restart every step still fires at its original time (at once if that time passed
while the gateway was down). A newly raised or acknowledged alert wakes it.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.alerts.manager import AlertManager
from gateway.alerts.model import Alert
from gateway.clock import Clock

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

    def alert_changed(self, alert: Alert) -> None:
        """Manager callback: a change to an alert with steps may move the next deadline."""
        if alert.escalation:
            self.wake()

    def wake(self) -> None:
        """Read the schedule again now."""
        self._idle.clear()
        self._wake.set()

    async def drain(self) -> None:
        """Wait until every due step is applied and the escalator sleeps again."""
        await self._idle.wait()

    async def run(self) -> None:
        """Apply due steps, then sleep until the next one or a wake-up, until cancelled."""
        while True:
            self._wake.clear()
            try:
                deadline = await self.escalate_due()
            except Exception:
                log.exception("escalation failed; trying again in %.0f s", RETRY_S)
                deadline = self._clock.now() + RETRY_S
            waits: set[asyncio.Future[object]] = {asyncio.ensure_future(self._wake.wait())}
            if deadline is not None:
                waits.add(asyncio.ensure_future(
                    self._clock.sleep(max(deadline - self._clock.now(), 0.0))))
            if not self._wake.is_set():
                self._idle.set()
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._idle.clear()
                for waiting in waits:
                    waiting.cancel()

    async def escalate_due(self) -> float | None:
        """Apply every step that is due; returns when the next one is due, if any."""
        deadline: float | None = None
        for alert in await self._manager.escalating():
            due = await self._catch_up(alert)
            if due is not None and (deadline is None or due < deadline):
                deadline = due
        return deadline

    async def _catch_up(self, alert: Alert) -> float | None:
        """Apply the due steps of one alert in order; when its next step is due."""
        current: Alert | None = alert
        while current is not None:
            due = current.next_escalation_at
            if due is None or due > self._clock.now():
                return due
            current = await self._manager.escalate(current.id, current.escalation_level)
        # Acknowledged or changed meanwhile: that change wakes the escalator again.
        return None
