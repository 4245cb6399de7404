"""Login throttling: too many failures for one account or from one address lock it out
for a while (kept in memory: a restart forgets the failures)."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    failures: int = 5
    """Failures within `window_s` that lock an account out."""
    address_failures: int = 20
    """... and an address (more: a control room's desks may share one)."""
    window_s: float = 900.0
    lockout_s: float = 900.0


class LoginThrottle:
    def __init__(self, rule: ThrottleRule = ThrottleRule()) -> None:
        self.rule = rule
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._locked_until: dict[str, float] = {}

    def locked(self, keys: tuple[str, ...], now: float) -> str | None:
        """The first of `keys` that is locked out now, or None."""
        for key in keys:
            if self._locked_until.get(key, 0.0) > now:
                return key
        return None

    def failed(self, keys: tuple[str, ...], now: float) -> list[str]:
        """Count a failure for each key; the keys that this failure locked out."""
        locked = []
        for key in keys:
            times = self._failures[key]
            times.append(now)
            while times and times[0] <= now - self.rule.window_s:
                times.popleft()
            limit = (self.rule.address_failures if key.startswith("address:")
                     else self.rule.failures)
            if len(times) >= limit:
                self._locked_until[key] = now + self.rule.lockout_s
                times.clear()
                locked.append(key)
        return locked

    def succeeded(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self._failures.pop(key, None)
