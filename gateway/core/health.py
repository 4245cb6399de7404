"""Health as state: what each long-running part says about itself, and how parts combine.

In the style of Home Assistant's update coordinator: a part is available or not, and its
owner logs once when it starts failing and once when it recovers, never on every attempt.
`since` is when the part entered its current status (clock seconds), so an unchanged
status keeps its `since`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "degraded", "failed"]

_RANK: dict[Status, int] = {"ok": 0, "degraded": 1, "failed": 2}


@dataclass(frozen=True, slots=True)
class Health:
    """One part's state. Invariant: `reason` is empty exactly when `status` is "ok"."""

    status: Status
    reason: str
    since: float

    @classmethod
    def ok(cls, since: float) -> Health:
        return cls("ok", "", since)

    @classmethod
    def degraded(cls, reason: str, since: float) -> Health:
        return cls("degraded", reason or "degraded", since)

    @classmethod
    def failed(cls, reason: str, since: float) -> Health:
        return cls("failed", reason or "failed", since)

    @property
    def is_ok(self) -> bool:
        return self.status == "ok"


def worst(parts: Iterable[Health], since: float) -> Health:
    """The combined health of `parts`: the worst status wins, with the reasons of every
    part at that status and the latest `since` among them. No parts at all is ok `since`."""
    listed = list(parts)
    if not listed:
        return Health.ok(since)
    rank = max(_RANK[part.status] for part in listed)
    bad = [part for part in listed if _RANK[part.status] == rank]
    reason = "; ".join(part.reason for part in bad if part.reason)
    return Health(bad[0].status, reason, max(part.since for part in bad))


def overall(parts: Mapping[str, Health]) -> Status:
    """"ok" only when every part is ok; otherwise the worst status among them."""
    return max((part.status for part in parts.values()), key=_RANK.__getitem__, default="ok")


def task_health(task: asyncio.Task[None], started: float, ended: float | None) -> Health:
    """The health of a task that should run until cancelled: ok while it runs, failed once
    it has ended (`ended`, when known, is when), naming its exception or that it returned
    or was cancelled. A task never ends on its own while the gateway runs."""
    if not task.done():
        return Health.ok(started)
    at = ended if ended is not None else started
    if task.cancelled():
        return Health.failed("cancelled", at)
    error = task.exception()
    return Health.failed(f"stopped: {error!r}" if error else "returned", at)


class Tracker:
    """Remembers one part's health across failures and recoveries, so that `since` is
    when the current status began and callers can log only on a change.

    `fail()` and `recover()` return True when the status changed (the caller logs then),
    and call the listeners then, so that a watcher of the health need not poll it."""

    def __init__(self, since: float) -> None:
        self._health = Health.ok(since)
        self._listeners: list[Callable[[], None]] = []

    @property
    def health(self) -> Health:
        return self._health

    def listen(self, listener: Callable[[], None]) -> None:
        """Call `listener` after each change of status (and so of `since`)."""
        self._listeners.append(listener)

    def fail(self, reason: str, now: float, status: Status = "degraded") -> bool:
        changed = self._health.status != status
        since = now if changed else self._health.since
        self._health = Health(status, reason or status, since)
        if changed:
            self._changed()
        return changed

    def recover(self, now: float) -> bool:
        if self._health.is_ok:
            return False
        self._health = Health.ok(now)
        self._changed()
        return True

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()


def unreachable(names: Iterable[str], total: int, what: str = "devices") -> str:
    """The reason for a part whose devices are partly unreachable: "2 of 5 devices
    unreachable: fp-1, fp-2" (empty when none are)."""
    down = sorted(names)
    if not down:
        return ""
    return f"{len(down)} of {total} {what} unreachable: {', '.join(down)}"


class Observed:
    """Health derived from a state that its owner does not timestamp: `see()` is called
    with the current reason (empty: ok) whenever health is asked, and `since` is when a
    change was first seen. Invariant: an unchanged status keeps its `since`."""

    def __init__(self, since: float) -> None:
        self._tracker = Tracker(since)

    def see(self, reason: str, now: float) -> Health:
        if reason:
            self._tracker.fail(reason, now)
        else:
            self._tracker.recover(now)
        return self._tracker.health
