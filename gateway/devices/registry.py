"""Device registry: last value, last seen and availability of every device, and the
supervision that turns silence into `offline`.

A device with `heartbeat_s` that sends nothing for two intervals becomes offline (an
event); its next message brings it back online (an event). Adapters may also report
availability themselves (a Modbus panel that stops answering); those events only update
the state here. A device in maintenance is not supervised: its two intervals start again
when the maintenance ends. Silence is elapsed time: when the wall clock is stepped, the
times devices were last heard move with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gateway.core.bus import EventBus
from gateway.core.clock import Clock, ClockSteps, sleep_until
from gateway.core.config import DeviceBase
from gateway.core.events import AVAILABILITY, Availability, Event, PointValue, Quality
from gateway.core.modes import ModeBook

log = logging.getLogger(__name__)

MISSED_INTERVALS = 2
LOGGED_ONE_BY_ONE = 5
"""More devices than this going offline in one check are logged in one line."""


@dataclass
class DeviceState:
    id: str
    type: str
    name: str
    zone: str
    heartbeat_s: float | None
    availability: Availability = Availability.UNKNOWN
    last_seen: float | None = None
    availability_detail: str | None = None
    points: dict[str, PointValue] = field(default_factory=dict)
    watched_since: float = 0.0
    resumes_at: float | None = None
    """End of the device's latest maintenance: silence counts from then at the earliest."""
    since: float | None = None
    """When its availability last changed."""
    events: int = 0
    """Events heard from it (its availability included)."""

    def silence_deadline(self) -> float | None:
        if self.heartbeat_s is None or self.availability == Availability.OFFLINE:
            return None
        since = self.last_seen if self.last_seen is not None else self.watched_since
        if self.resumes_at is not None:
            since = max(since, self.resumes_at)
        return since + MISSED_INTERVALS * self.heartbeat_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "type": self.type, "name": self.name, "zone": self.zone,
            "availability": self.availability.value, "detail": self.availability_detail,
            "last_seen": self.last_seen, "heartbeat_s": self.heartbeat_s,
            "since": self.since, "points": dict(self.points),
        }


class DeviceRegistry:
    def __init__(self, site: str, devices: Iterable[DeviceBase], clock: Clock,
                 bus: EventBus, modes: ModeBook | None = None) -> None:
        self._site = site
        self._clock = clock
        self._bus = bus
        self._modes = modes
        self._watch_again = asyncio.Event()
        self._clock_steps = ClockSteps(clock)
        if modes is not None:  # a maintenance ended early brings a deadline forward
            modes.subscribe(self._watch_again.set)
        now = clock.now()
        self.devices: dict[str, DeviceState] = {
            d.id: DeviceState(d.id, d.type, d.name, d.zone, d.heartbeat_s, watched_since=now)
            for d in devices
        }

    def observe(self, event: Event) -> None:
        """Bus handler: record what the device said."""
        state = self.devices.get(event.device_id)
        if state is None:
            return
        self._follow_clock_steps()
        state.events += 1
        if event.is_availability:
            availability = Availability(str(event.value))
            if state.availability is Availability.OFFLINE and (
                    availability is not Availability.OFFLINE):
                # Back, as its adapter says: silence counts again from now.
                state.last_seen = max(state.last_seen or event.ts, event.ts)
                self._watch_again.set()
            if availability is not state.availability:
                state.since = event.ts
            state.availability = availability
            state.availability_detail = event.detail
            return
        state.last_seen = event.ts
        if event.quality is Quality.GOOD:
            state.points[event.point] = event.value
        if state.availability in (Availability.UNKNOWN, Availability.OFFLINE):
            if state.availability is Availability.OFFLINE:
                log.info("device %s is back online", state.id)
                self._watch_again.set()
            self._announce(state, Availability.ONLINE, event.ts, None)

    def check_silence(self) -> float | None:
        """Mark devices that missed their heartbeats offline; returns the next deadline."""
        self._follow_clock_steps()
        now = self._clock.now()
        next_deadline: float | None = None
        silent: list[DeviceState] = []
        for state in self.devices.values():
            self._follow_maintenance(state, now)
            deadline = state.silence_deadline()
            if deadline is None:
                continue
            if deadline <= now:
                silent.append(state)
                self._announce(state, Availability.OFFLINE, now,
                               f"missed {MISSED_INTERVALS} heartbeats")
            elif next_deadline is None or deadline < next_deadline:
                next_deadline = deadline
        if len(silent) > LOGGED_ONE_BY_ONE:  # many at once: one line, not thousands
            log.warning("%d devices went offline together (%s, ...): nothing heard for "
                        "%d heartbeat intervals", len(silent),
                        ", ".join(s.id for s in silent[:LOGGED_ONE_BY_ONE]), MISSED_INTERVALS)
        else:
            for state in silent:
                log.warning("device %s is offline: nothing heard for %.0f s", state.id,
                            now - (state.last_seen or state.watched_since))
        return next_deadline

    async def supervise(self) -> None:
        """Run `check_silence` at each next deadline, until cancelled. A device that comes
        back online brings its own deadline, which may be sooner: it wakes this up."""
        while True:
            deadline = self.check_silence()
            self._watch_again.clear()
            await sleep_until(self._clock, deadline, self._watch_again)

    def _follow_clock_steps(self) -> None:
        """The wall clock was stepped: move the times silence counts from by as much, so
        that a step is neither silence nor an hour more to wait for it."""
        step = self._clock_steps.step()
        if not step:
            return
        for state in self.devices.values():
            state.watched_since += step
            if state.last_seen is not None:
                state.last_seen += step
        self._watch_again.set()

    def _follow_maintenance(self, state: DeviceState, now: float) -> None:
        if self._modes is None or state.heartbeat_s is None:
            return
        maintenance = self._modes.maintenance(state.id, now)
        if maintenance is not None:
            state.resumes_at = maintenance.end
        elif state.resumes_at is not None and state.resumes_at > now:
            state.resumes_at = now  # ended before its expiry

    def _announce(self, state: DeviceState, availability: Availability, ts: float,
                  detail: str | None) -> None:
        state.since = ts
        state.availability = availability
        state.availability_detail = detail
        self._bus.publish(Event(self._site, state.id, AVAILABILITY, availability.value, ts,
                                detail=detail))
