"""One injectable clock. Nothing in the core reads the wall clock directly."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """Unix-seconds time and sleeping, real or virtual.

    `now()` is wall time, which an NTP correction or a person may step; `monotonic()`
    and sleeps run on elapsed time, which never steps."""

    def now(self) -> float: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


async def sleep_until(clock: Clock, deadline: float | None, wake: asyncio.Event,
                      asleep: asyncio.Event | None = None) -> None:
    """Sleep on `clock` until `deadline` (None: no deadline) or until `wake` is set,
    whichever comes first. `asleep`, if given, is set once the sleep has begun (unless
    `wake` is already set) and cleared when it ends, for callers that wait for quiet."""
    waits: set[asyncio.Future[object]] = {asyncio.ensure_future(wake.wait())}
    if deadline is not None:
        waits.add(asyncio.ensure_future(clock.sleep(max(deadline - clock.now(), 0.0))))
    if asleep is not None and not wake.is_set():
        asleep.set()
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if asleep is not None:
            asleep.clear()
        for waiting in waits:
            waiting.cancel()


class ClockSteps:
    """Notices the wall clock being stepped: the difference between wall and elapsed time
    changing by `tolerance_s` or more since it was last looked at."""

    def __init__(self, clock: Clock, tolerance_s: float = 1.0) -> None:
        self._clock = clock
        self._tolerance_s = tolerance_s
        self._offset = clock.now() - clock.monotonic()

    def step(self) -> float:
        """Seconds the wall clock was stepped by (forward > 0) since the last call; 0.0
        when it was not."""
        offset = self._clock.now() - self._clock.monotonic()
        step = offset - self._offset
        if abs(step) < self._tolerance_s:
            return 0.0
        self._offset = offset
        return step


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """A clock that only moves when told to: `await clock.advance(seconds)`.

    Sleepers wake in deadline order, each seeing `now()` equal to its own deadline, so
    timers behave exactly as they would in real time, without waiting.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        await future

    def next_wakeup(self) -> float | None:
        """The earliest deadline a sleeper waits for (None: nobody sleeps)."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline falls inside."""
        target = self._now + seconds
        await _settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
            await _settle()
        self._now = target
        await _settle()

    async def set_time(self, when: float) -> None:
        """Advance to an absolute unix time (never backwards)."""
        await self.advance(max(0.0, when - self._now))


async def _settle(rounds: int = 20) -> None:
    """Let woken tasks run until they block again."""
    for _ in range(rounds):
        await asyncio.sleep(0)
