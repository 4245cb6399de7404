"""Operators' and the config's drills and maintenance: every start, early end and expiry is
stored with its audit row first, then put in the `ModeBook` and announced on the live feed
as `{"type": "mode", "change": ..., "mode": {...}}`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from gateway.core.clock import Clock, sleep_until
from gateway.core.feed import AlertFeed
from gateway.core.modes import (
    MaintenanceAction,
    Mode,
    ModeBook,
    ModeChange,
    ModeConflict,
    ModeKind,
    ModeNotFound,
)
from gateway.core.repositories import ModeAuditEntry, ModeRepository
from gateway.core.timefmt import iso
from gateway.modes.config import ScheduledDrillConfig

log = logging.getLogger(__name__)

SYSTEM = "system"
"""The actor of expiries."""

CONFIG = "config"
"""The actor of drills planned in the config."""

RECENT_S = 86400.0
"""How far back `list_modes` shows modes that are over."""


@dataclass(frozen=True, slots=True)
class ModeListing:
    active: list[Mode]
    upcoming: list[Mode]
    recent: list[Mode]


class ModeService:
    """Starts, ends and expires the gateway's modes. `run()` records expiries on time."""

    def __init__(self, book: ModeBook, modes: ModeRepository, clock: Clock, feed: AlertFeed,
                 tz: tzinfo, zones: Iterable[str], devices: Iterable[str],
                 planned: Sequence[ScheduledDrillConfig] = ()) -> None:
        self.book = book
        self._modes = modes
        self._clock = clock
        self._feed = feed
        self.tz = tz
        self._zones = set(zones)
        self._devices = set(devices)
        self._planned = planned
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        book.subscribe(self._changed.set)

    async def load(self) -> None:
        """Put the stored modes not yet over in the book, and store new planned drills."""
        for mode in await self._modes.open_modes():
            self.book.add(mode)
        now = self._clock.now()
        for drill in self._planned:
            starts, until = drill.window(self.tz)
            if until <= now:
                continue
            mode = Mode(drill.mode_id(self.tz), "drill", drill.zone, None, starts, until,
                        CONFIG, drill.note, "mark")
            if await self._modes.insert(mode, "scheduled", now):
                log.info("drill %s planned in %s from %s to %s", mode.id,
                         mode.zone or "the whole site", iso(starts, self.tz),
                         iso(until, self.tz))
                self.book.add(mode)
                self._announce("scheduled", mode, CONFIG)

    async def run(self) -> None:
        """Record every expiry when it comes, until cancelled."""
        while True:
            await self._close_finished()
            self._changed.clear()
            await sleep_until(self._clock, self.book.next_expiry(self._clock.now()),
                              self._changed)

    async def start_drill(self, zone: str | None, until: float, actor: str,
                          note: str = "") -> Mode:
        """A drill of `zone` (None: the whole site) from now until `until`."""
        if zone is not None and zone not in self._zones:
            raise ModeNotFound(f"no zone {zone!r}")
        return await self._start("drill", zone, None, until, actor, note, "mark")

    async def start_maintenance(self, device_id: str, until: float, actor: str,
                                note: str = "", action: MaintenanceAction = "mark") -> Mode:
        """Maintenance of `device_id` from now until `until`."""
        if device_id not in self._devices:
            raise ModeNotFound(f"no device {device_id!r}")
        return await self._start("maintenance", None, device_id, until, actor, note, action)

    async def end_mode(self, mode_id: str, actor: str, note: str = "") -> Mode:
        """End a mode before its expiry (a planned drill not yet started: cancel it)."""
        async with self._lock:
            now = self._clock.now()
            mode = self.book.get(mode_id)
            if mode is None:
                if await self._modes.get(mode_id) is None:
                    raise ModeNotFound(f"no mode {mode_id!r}")
                raise ModeConflict(f"mode {mode_id!r} is already over")
            if mode.end <= now:
                raise ModeConflict(f"mode {mode_id!r} is already over")
            await self._modes.end(mode.ending(actor, now), note)
            ended = self.book.end(mode_id, actor, now)
            log.info("%s %s ended by %s", ended.kind, ended.id, actor)
            self._announce("ended", ended, actor, note)
            return ended

    async def list_modes(self) -> ModeListing:
        """Modes covering now, modes planned for later, and modes over in the last day."""
        now = self._clock.now()
        still_open = await self._modes.open_modes()
        recent = await self._modes.recent(now - RECENT_S, 200)
        return ModeListing(
            active=[mode for mode in still_open if mode.covers_at(now)],
            upcoming=[mode for mode in still_open if mode.starts > now],
            recent=[mode for mode in still_open if mode.end <= now] + recent)

    async def audit(self, limit: int = 200, mode_id: str | None = None
                    ) -> list[ModeAuditEntry]:
        """The audit trail, newest first."""
        return await self._modes.audit(limit, mode_id)

    async def _start(self, kind: ModeKind, zone: str | None, device_id: str | None,
                     until: float, actor: str, note: str, action: MaintenanceAction) -> Mode:
        async with self._lock:
            now = self._clock.now()
            if until <= now:
                raise ModeConflict("a mode must end after it starts")
            current = self.book.maintenance(device_id, now) if device_id else None
            if current is not None:
                raise ModeConflict(f"{device_id} is already in maintenance until "
                                   f"{iso(current.until, self.tz)} ({current.id})")
            if kind == "drill":
                self._refuse_overlap(zone, now, until)
            mode = Mode(_new_id(kind, now), kind, zone, device_id, now, until, actor, note,
                        action)
            await self._modes.insert(mode, "started", now)
            log.info("%s %s of %s started by %s until %s", kind, mode.id,
                     device_id or zone or "the whole site", actor, iso(until, self.tz))
            self.book.add(mode)
            self._announce("started", mode, actor, note)
            return mode

    def _refuse_overlap(self, zone: str | None, starts: float, until: float) -> None:
        """One drill at a time per zone: a drill of a zone overlaps a drill of that zone
        and any site-wide drill; a site-wide drill overlaps every drill."""
        for other in self.book.all():
            if other.kind != "drill" or other.end <= starts or other.starts >= until:
                continue
            if zone is None or other.zone is None or other.zone == zone:
                where = f"zone {other.zone}" if other.zone else "the whole site"
                raise ModeConflict(f"a drill of {where} is planned or in force until "
                                   f"{iso(other.end, self.tz)} ({other.id})")

    async def _close_finished(self) -> None:
        """Record the expiry of modes that reached it; forget modes that are over."""
        async with self._lock:
            for mode in self.book.finished(self._clock.now()):
                if mode.ended_at is None and await self._modes.expire(mode):
                    log.info("%s %s expired", mode.kind, mode.id)
                    self._announce("expired", mode, SYSTEM)
                self.book.discard(mode.id)

    def _announce(self, change: ModeChange, mode: Mode, actor: str, note: str = "") -> None:
        self._feed.publish({"type": "mode", "change": change, "actor": actor, "note": note,
                            "mode": mode.to_dict(self.tz)})


def _new_id(kind: ModeKind, ts: float) -> str:
    """Sortable and unique: the kind, milliseconds since the epoch in hex, randomness."""
    return f"{kind}-{int(ts * 1000):011x}{secrets.token_hex(4)}"
