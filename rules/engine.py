"""The seam between events and alerts: a rule engine maps events, and the passing of
time, to alert outcomes. It never sends anything itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

from gateway.core.alerts import Outcome
from gateway.core.events import Event
from rules.timers import Held

__all__ = ["ModeLookup", "Outcome", "RuleEngine"]


class RuleEngine(Protocol):
    def start(self, now: float, held: Iterable[Held] = ()) -> Sequence[Outcome]:
        """Begin at `now`, restoring the conditions that were held when the gateway
        stopped; the alerts that raises."""
        ...

    def on_event(self, event: Event) -> Sequence[Outcome]:
        """The alerts this event raises or clears (often none)."""
        ...

    def on_time(self, now: float) -> Sequence[Outcome]:
        """The alerts that timers and calendar windows due by `now` raise or clear."""
        ...

    def clock_stepped(self, step_s: float, now: float) -> Sequence[Outcome]:
        """The wall clock was stepped by `step_s` (an NTP correction, a manual setting):
        `for:` durations keep the elapsed time they have held, windows are read again at
        `now`; the alerts that raises or clears."""
        ...

    def next_deadline(self) -> float | None:
        """When `on_time` next has something to do (None: nothing scheduled)."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters for /health."""
        ...


class MaintenanceLike(Protocol):
    @property
    def action(self) -> Literal["mark", "suppress"]: ...


class ModeLookup(Protocol):
    """Drills and maintenance, as the engine asks about them for each alert it raises."""

    def drill(self, zone: str, ts: float) -> object | None: ...

    def maintenance(self, device_id: str, ts: float) -> MaintenanceLike | None: ...
