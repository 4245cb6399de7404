"""Drill (演练) and maintenance modes, and the in-memory book the rule engine asks.

A drill covers a zone or the whole site for a while: alerts there are still raised, but
marked as drills (and only forwarded where a channel asks for drills). Maintenance covers
one device: its alerts are suppressed or marked, and its heartbeat supervision waits until
the maintenance is over. Every mode has an expiry.

`ModeBook` answers "is this zone in a drill, is this device in maintenance, now?" for
every alert raised, so it is a pair of dicts and never does I/O. Storing, auditing and
announcing changes is `gateway.modes.service`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import tzinfo
from typing import Any, Literal

from gateway.core.timefmt import iso

ModeKind = Literal["drill", "maintenance"]
MaintenanceAction = Literal["mark", "suppress"]
"""`suppress`: the device's alerts are not raised; `mark`: raised, marked, never sent."""
ModeChange = Literal["started", "scheduled", "ended", "expired"]
"""What the audit records: started by an operator, planned in the config, ended early by
an operator, or expired."""


class ModeError(Exception):
    """A mode change that cannot be made."""


class ModeNotFound(ModeError):
    """An unknown mode, zone or device."""


class ModeConflict(ModeError):
    """A change that does not fit the current modes (already over, overlapping)."""


@dataclass(frozen=True, slots=True)
class Mode:
    """A drill of a zone (`zone` None: the whole site) or the maintenance of a device."""

    id: str
    kind: ModeKind
    zone: str | None
    device_id: str | None
    starts: float
    until: float
    actor: str
    note: str
    action: MaintenanceAction
    ended_at: float | None = None
    ended_by: str | None = None

    @property
    def end(self) -> float:
        """When the mode stops covering: ended early, or at its expiry."""
        return self.ended_at if self.ended_at is not None else self.until

    def covers_at(self, ts: float) -> bool:
        return self.starts <= ts < self.end

    def ending(self, actor: str, ts: float) -> Mode:
        """This mode ended early by `actor` at `ts`."""
        return replace(self, ended_at=ts, ended_by=actor)

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        data = asdict(self)
        data.update(starts=iso(self.starts, tz), until=iso(self.until, tz),
                    ended_at=None if self.ended_at is None else iso(self.ended_at, tz))
        return data


class ModeBook:
    """The modes not yet over (and those just over, until `discard`), indexed by zone and
    by device. Listeners learn of every change, e.g. to re-check a deadline."""

    def __init__(self) -> None:
        self._modes: dict[str, Mode] = {}
        self._drills: dict[str | None, dict[str, Mode]] = {}
        self._maintenance: dict[str, dict[str, Mode]] = {}
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every add, end or discard."""
        self._listeners.append(listener)

    def drill(self, zone: str, ts: float) -> Mode | None:
        """The drill covering `zone` at `ts`: of that zone or of the whole site."""
        return (_covering(self._drills.get(zone), ts)
                or _covering(self._drills.get(None), ts))

    def maintenance(self, device_id: str, ts: float) -> Mode | None:
        """The maintenance covering `device_id` at `ts`."""
        return _covering(self._maintenance.get(device_id), ts)

    def get(self, mode_id: str) -> Mode | None:
        return self._modes.get(mode_id)

    def all(self) -> list[Mode]:
        """Every mode the book holds: planned, in force, or over but not yet forgotten."""
        return list(self._modes.values())

    def active(self, ts: float) -> list[Mode]:
        """Modes covering `ts`, soonest to end first."""
        return sorted((m for m in self._modes.values() if m.covers_at(ts)),
                      key=lambda m: (m.end, m.id))

    def finished(self, ts: float) -> list[Mode]:
        """Modes over at `ts` (ended early or expired), oldest first."""
        return sorted((m for m in self._modes.values() if m.end <= ts),
                      key=lambda m: (m.end, m.id))

    def next_expiry(self, ts: float) -> float | None:
        """The earliest expiry after `ts` of a mode not ended early."""
        return min((m.until for m in self._modes.values()
                    if m.ended_at is None and m.until > ts), default=None)

    def add(self, mode: Mode) -> None:
        """Add `mode`, or replace the mode with its id."""
        self._unindex(mode.id)
        self._modes[mode.id] = mode
        self._index(mode)[mode.id] = mode
        self._changed()

    def end(self, mode_id: str, actor: str, ts: float) -> Mode:
        """End a mode early; it stops covering at `ts`."""
        mode = self._modes.get(mode_id)
        if mode is None:
            raise ModeNotFound(f"no mode {mode_id!r}")
        if mode.end <= ts:
            raise ModeConflict(f"mode {mode_id!r} is already over")
        ended = mode.ending(actor, ts)
        self._modes[mode_id] = ended
        self._index(ended)[mode_id] = ended
        self._changed()
        return ended

    def discard(self, mode_id: str) -> None:
        """Forget a mode (once it is over and recorded)."""
        if self._unindex(mode_id):
            self._changed()

    def _index(self, mode: Mode) -> dict[str, Mode]:
        if mode.kind == "drill":
            return self._drills.setdefault(mode.zone, {})
        return self._maintenance.setdefault(mode.device_id or "", {})

    def _unindex(self, mode_id: str) -> bool:
        old = self._modes.pop(mode_id, None)
        if old is None:
            return False
        del self._index(old)[mode_id]  # empty slots stay: zones and devices are few
        return True

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()


def _covering(modes: dict[str, Mode] | None, ts: float) -> Mode | None:
    if modes:
        for mode in modes.values():
            if mode.covers_at(ts):
                return mode
    return None
