"""Polling one Modbus device: block reads, change detection, availability and backoff.

`DevicePoller.poll()` is one poll cycle; whoever calls it (the scheduler, a test driving
a virtual clock, the benchmark) decides when. Time comes from the injected clock only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.base import AdapterContext
from adapters.modbus.codec import RegisterDecoder, changed, register_decoder
from adapters.modbus.config import ModbusDeviceBase, PollingDefaults
from adapters.modbus.connection import (
    DeviceUnreachable,
    EndpointConnection,
    ExceptionResponse,
    GarbledAnswer,
    MalformedResponse,
)
from adapters.modbus.planner import ReadBlock
from adapters.modbus.points import ResolvedPoint, value_matches
from gateway.core.backoff import Backoff
from gateway.core.events import AVAILABILITY, Availability, Event, PointValue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollTiming:
    """A device's effective timing (its own settings over the defaults)."""

    interval_s: float
    jitter_s: float
    refresh_s: float | None
    timeout_s: float
    offline_after: int
    retry_initial_s: float
    retry_max_s: float

    @classmethod
    def of(cls, device: ModbusDeviceBase, defaults: PollingDefaults) -> PollTiming:
        return cls(
            interval_s=device.interval_s or defaults.interval_s,
            jitter_s=defaults.jitter_s,
            refresh_s=device.refresh_s or defaults.refresh_s,
            timeout_s=device.timeout_s or defaults.timeout_s,
            offline_after=defaults.offline_after,
            retry_initial_s=defaults.retry_initial_s,
            retry_max_s=defaults.retry_max_s,
        )


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where a point sits in its block's values, and how to decode it."""

    point: ResolvedPoint
    offset: int
    decode: RegisterDecoder | None  # None: a bit table


def _slots(block: ReadBlock) -> tuple[_Slot, ...]:
    return tuple(
        _Slot(p, p.address - block.start,
              None if block.table.is_bits else register_decoder(p.spec))
        for p in block.points)


class DevicePoller:
    """The poll cycle of one device, and what it remembers between cycles."""

    def __init__(self, device: ModbusDeviceBase, blocks: Sequence[ReadBlock],
                 connection: EndpointConnection, timing: PollTiming,
                 ctx: AdapterContext) -> None:
        self.device = device
        self.blocks = list(blocks)
        self.connection = connection
        self.timing = timing
        self.ctx = ctx
        self.availability = Availability.UNKNOWN
        self._plan = [(block, _slots(block)) for block in self.blocks]
        self._points = {p.name: p for block in self.blocks for p in block.points}
        self._companions: dict[str, list[str]] = {}
        for p in self._points.values():
            if p.publish_with:
                self._companions.setdefault(p.publish_with, []).append(p.name)
        self._values: dict[str, PointValue] = {}  # as last published
        self._current: dict[str, PointValue] = {}  # as last read
        self._raw: list[list[int] | list[bool] | None] = [None] * len(self.blocks)
        self._unusable: list[str | None] = [None] * len(self.blocks)  # why, by block
        self._failures = 0
        self._retry_at: float | None = None
        self._backoff = Backoff(initial=timing.retry_initial_s, maximum=timing.retry_max_s)
        self._fault: str | None = None
        self._offline_reason: str | None = None
        self._last_refresh: float | None = None
        self._last_start: float | None = None
        self.polls = 0
        self.skipped = 0
        self.failures = 0
        self.faults = 0
        self.malformed = 0
        """Answers that were not Modbus at all."""
        self.events = 0
        self.max_lateness_s = 0.0

    @property
    def retry_at(self) -> float | None:
        """When an offline device is tried next (clock time), if it is waiting."""
        return self._retry_at

    async def poll(self) -> None:
        """One poll cycle: read every block, publish what changed and the availability."""
        now = self.ctx.clock.now()
        self._note_start(now)
        if self._retry_at is not None and now < self._retry_at:
            self.skipped += 1
            return
        self.polls += 1
        answered: list[int] = []
        fresh: list[int] = []
        fault: str | None = None
        unit, timeout = self.device.unit_id, self.timing.timeout_s
        try:
            for index, (block, slots) in enumerate(self._plan):
                try:
                    raw = await self.connection.read(block.table, block.start, block.count,
                                                     unit, timeout)
                except (ExceptionResponse, MalformedResponse) as exc:
                    fault = fault or str(exc)
                    continue
                answered.append(index)
                if raw != self._raw[index]:  # unchanged registers need no decoding
                    self._raw[index] = raw
                    self._unusable[index] = _decode(slots, raw, self._current)
                    fresh.append(index)
                fault = fault or self._unusable[index]
        except DeviceUnreachable as exc:
            if isinstance(exc, GarbledAnswer):
                self.malformed += 1
            self._failed(str(exc))
            return
        self._answered(answered, fresh, fault)

    def _note_start(self, now: float) -> None:
        if self._last_start is not None:
            lateness = now - self._last_start - self.timing.interval_s - self.timing.jitter_s
            self.max_lateness_s = max(self.max_lateness_s, lateness)
        self._last_start = now

    def _failed(self, reason: str) -> None:
        self.failures += 1
        self._failures += 1
        now = self.ctx.clock.now()
        if self.availability is not Availability.OFFLINE:
            if self._failures < self.timing.offline_after:
                return
            log.warning("%s (%s) is offline: %s", self.device.id, self.connection.name, reason)
            self._offline_reason = reason
            self._set_availability(Availability.OFFLINE, reason, now)
        self._retry_at = now + self._backoff.next_delay()

    def _answered(self, answered: list[int], fresh: list[int], fault: str | None) -> None:
        now = self.ctx.clock.now()
        was = self.availability
        self._failures = 0
        self._retry_at = None
        self._backoff.reset()
        if fault is not None:
            if was is not Availability.FAULT or fault != self._fault:
                self.faults += 1
                log.warning("%s (%s) reports a fault: %s", self.device.id,
                            self.connection.name, fault)
                self._set_availability(Availability.FAULT, fault, now)
            self._fault = fault
        elif was is not Availability.ONLINE:
            if was is Availability.OFFLINE:
                log.warning("%s (%s) is back online after: %s", self.device.id,
                            self.connection.name, self._offline_reason)
            elif was is Availability.FAULT:
                log.warning("%s (%s) fault cleared: %s", self.device.id, self.connection.name,
                            self._fault)
            self._fault = None
            self._set_availability(Availability.ONLINE, None, now)
        recovered = was in (Availability.OFFLINE, Availability.UNKNOWN)
        refresh = self.timing.refresh_s
        full = recovered or (refresh is not None and (
            self._last_refresh is None or now - self._last_refresh >= refresh))
        if full:
            self._last_refresh = now
        self._publish_values(answered if full else fresh, full, now)

    def _publish_values(self, blocks: list[int], full: bool, now: float) -> None:
        """Publish the points of `blocks` that changed (all of them when `full`)."""
        published: list[str] = []
        current = self._current
        for index in blocks:
            for point in self.blocks[index].points:
                if point.name not in current:  # never had a usable value
                    continue
                value = current[point.name]
                if full or changed(self._values.get(point.name), value, point.spec.deadband):
                    self._publish(point, value, now)
                    published.append(point.name)
        for name in published:
            for companion in self._companions.get(name, ()):
                if companion in current and companion not in published:
                    self._publish(self._points[companion], current[companion], now)

    def _publish(self, point: ResolvedPoint, value: PointValue, now: float) -> None:
        self._values[point.name] = value
        self.events += 1
        self.ctx.bus.publish(Event(
            site=self.ctx.site, device_id=self.device.id, point=point.name, value=value,
            ts=now, urgent=value_matches(value, point.spec.urgent_values)))

    def _set_availability(self, availability: Availability, detail: str | None,
                          now: float) -> None:
        self.availability = availability
        self.events += 1
        self.ctx.bus.publish(Event(site=self.ctx.site, device_id=self.device.id,
                                   point=AVAILABILITY, value=availability.value, ts=now,
                                   detail=detail))

    def counters(self) -> dict[str, int]:
        return {"polls": self.polls, "skipped": self.skipped, "failures": self.failures,
                "faults": self.faults, "malformed": self.malformed, "events": self.events}


def _decode(slots: tuple[_Slot, ...], raw: list[int] | list[bool],
            values: dict[str, PointValue]) -> str | None:
    """Every point of a block into `values`, but those whose registers hold no value (a
    float32 that is NaN): they keep their last value, and the first is named."""
    unusable: str | None = None
    for slot in slots:
        if slot.decode is None:
            values[slot.point.name] = bool(raw[slot.offset])
            continue
        try:
            values[slot.point.name] = slot.decode(
                raw[slot.offset:slot.offset + slot.point.width])
        except ValueError as exc:
            unusable = unusable or f"{slot.point.name} is unusable: {exc}"
    return unusable
