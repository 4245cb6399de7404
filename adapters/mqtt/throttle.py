"""At most one log line per key and interval, on the injected clock."""

from __future__ import annotations

from gateway.core.clock import Clock


class LogThrottle:
    """Says when a recurring problem may be logged again: the first time, then at most once
    per `interval_s` per key; the occurrences in between are counted, not logged."""

    def __init__(self, clock: Clock, interval_s: float = 60.0) -> None:
        self._clock = clock
        self._interval_s = interval_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def admit(self, key: str) -> int | None:
        """None if this occurrence must stay silent; else how many were kept silent since
        the last one logged."""
        now = self._clock.now()
        last = self._last.get(key)
        if last is not None and now - last < self._interval_s:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._suppressed.pop(key, 0)
