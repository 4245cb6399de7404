"""What the gateway keeps, as the store must keep it: the repository interfaces.

The store layer implements them (SQLite, PostgreSQL); the alert manager, the outbox
workers, the mode service and the rule engine's held conditions use only these. Every
read-modify-write is one call, and so one transaction of the store: a caller never reads
in one call and writes what it read in another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal, Protocol

from gateway.core.accounts import (
    AuditRepository,
    SessionRepository,
    TokenRepository,
    UserRepository,
)
from gateway.core.alerts import Alert, AlertRevision, AlertState
from gateway.core.drills import DrillRepository
from gateway.core.events import PointValue
from gateway.core.handover import Handover
from gateway.core.hazards import Hazard, HazardFile, HazardFilter, Inspection
from gateway.core.modes import Mode, ModeChange
from gateway.core.sops import Sop
from gateway.core.statistics import StatisticsRepository
from gateway.core.timefmt import iso


class StoreUnavailable(Exception):
    """The store cannot be read or written now (locked, read-only, disk full, gone)."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of an alert's history: what changed, when, by whom."""

    at: float
    action: str
    from_state: str | None
    to_state: str
    actor: str
    note: str
    revision: int
    severity: str = ""
    queued_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JournalLine:
    """A history line with the alert it belongs to."""

    entry: HistoryEntry
    key: str
    rule_id: str
    device_id: str
    drill: bool
    title: str


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One change to an alert, written atomically: the alert as it is now, its history
    line, and the revision queued for each channel in `forward_to`."""

    alert: Alert
    created: bool
    action: str
    from_state: str | None
    actor: str
    note: str
    at: float
    forward_to: tuple[str, ...] = ()
    revision: AlertRevision | None = None
    """What the channels encode their messages from; required when `forward_to` is set."""


AlertChanger = Callable[[Alert | None], AlertChange | None]
"""Decides a change from the alert as stored (None: there is none); returns None to
change nothing. It runs inside the store's transaction, so it must do no I/O."""


class AlertRepository(Protocol):
    async def change(self, alert_id: str, decide: AlertChanger) -> AlertChange | None:
        """Read the alert `alert_id`, let `decide` say what changes, write that change
        (alert, history, outbox jobs), all in one transaction."""
        ...

    async def change_active(self, key: str, decide: AlertChanger) -> AlertChange | None:
        """As `change`, for the open or acknowledged alert with this key (at most one)."""
        ...

    async def change_active_many(self, changes: Sequence[tuple[str, AlertChanger]]
                                 ) -> list[AlertChange | Exception | None]:
        """`change_active` for each, in order, committed together (one wait for the
        disk for a burst). A decision that raises is its item's result, and only its
        change is undone; a store that fails fails them all (`StoreUnavailable`)."""
        ...

    async def get(self, alert_id: str) -> Alert | None: ...

    async def newest(self, states: Iterable[AlertState] | None = None,
                     limit: int = 200) -> list[Alert]:
        """The newest alerts first, optionally only those in `states`."""
        ...

    async def active_keys(self) -> set[str]:
        """The keys of the open and acknowledged alerts."""
        ...

    async def queue(self, limit: int = 1000) -> list[Alert]:
        """What operators must see: the active alerts, those that cleared by themselves
        before anyone acknowledged them, and latched ones resolved but not yet closed (a
        supervisor closes them); the newest first."""
        ...

    async def counts(self) -> dict[tuple[str, str], int]:
        """How many alerts there are per (state, severity)."""
        ...

    async def escalating(self) -> list[Alert]:
        """Open (unacknowledged) alerts with escalation steps still to apply."""
        ...

    async def history(self, alert_id: str) -> list[HistoryEntry]: ...

    async def journal(self) -> list[JournalLine]:
        """Every history line of every alert, in the order written."""
        ...


@dataclass(frozen=True, slots=True)
class ForwardJob:
    """One alert revision to deliver to one channel, as stored in the outbox.

    `payload` is the revision the channel encodes its message from (the same on every
    attempt); `idempotency_key` is stable per alert and revision, so the receiver can
    drop repeats.
    """

    id: int
    alert_id: str
    channel: str
    revision: int
    idempotency_key: str
    payload: AlertRevision
    created_at: float
    attempts: int = 0


JobOutcome = Literal["delivered", "rejected"]


class OutboxRepository(Protocol):
    async def next_job(self, channel: str) -> ForwardJob | None:
        """The oldest undelivered job of `channel`."""
        ...

    async def mark_delivered(self, job: ForwardJob, receipt_id: str | None,
                             now: float) -> bool:
        """Record a delivery (and the receipt on the alert); False if the job was folded
        into a newer revision meanwhile (it must then be delivered again)."""
        ...

    async def mark_rejected(self, job: ForwardJob, reason: str, now: float) -> None:
        """Park a job the receiver refused for good: it is kept, with the reason, and no
        longer delivered (the channel goes on with the next)."""
        ...

    async def mark_failed(self, job: ForwardJob, error: str) -> None:
        """Count a failed attempt and remember why."""
        ...

    async def oldest_pending(self) -> dict[str, float]:
        """When the oldest job still to deliver was stored, per channel."""
        ...

    async def backlog(self) -> dict[str, int]:
        """Undelivered jobs per channel."""
        ...

    async def jobs(self, alert_id: str) -> list[ForwardJob]:
        """Every job of one alert, delivered or not, in the order queued."""
        ...


@dataclass(frozen=True, slots=True)
class ModeAuditEntry:
    """One line of the modes' audit: what happened to which mode, when, by whom."""

    id: int
    mode_id: str
    at: float
    change: ModeChange
    actor: str
    note: str
    kind: str
    zone: str | None
    device_id: str | None

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {"id": self.id, "mode_id": self.mode_id, "at": iso(self.at, tz),
                "change": self.change, "actor": self.actor, "note": self.note,
                "kind": self.kind, "zone": self.zone, "device_id": self.device_id}


class ModeRepository(Protocol):
    async def insert(self, mode: Mode, change: ModeChange, at: float) -> bool:
        """Store a new mode and audit it; False (and nothing written) if its id is stored."""
        ...

    async def end(self, ended: Mode, note: str) -> bool:
        """Record that `ended` was ended early; False if the mode was already over."""
        ...

    async def expire(self, mode: Mode) -> bool:
        """Record that `mode` reached its expiry; False if that is recorded already."""
        ...

    async def open_modes(self) -> list[Mode]:
        """Modes not ended and whose expiry is not recorded yet (maybe due)."""
        ...

    async def recent(self, since: float, limit: int) -> list[Mode]:
        """Modes over since `since`, the latest first."""
        ...

    async def get(self, mode_id: str) -> Mode | None: ...

    async def audit(self, limit: int, mode_id: str | None = None) -> list[ModeAuditEntry]:
        """The audit, newest first; of one mode if `mode_id` is given."""
        ...


@dataclass(frozen=True, slots=True)
class Held:
    """A rule's condition holding for one device (and `*` match) since `since`.

    `values` are the points the condition read, so that a restarted engine can judge it
    before the devices speak again; `active` says whether its alert was raised.
    """

    key: str
    since: float
    active: bool
    values: tuple[tuple[str, str, PointValue], ...]


class HeldLog(Protocol):
    """Where the rule engine reports its held conditions. Both calls return at once: the
    store writes them behind the engine, in order."""

    def hold(self, held: Held) -> None:
        """Remember (or update) a held condition."""
        ...

    def release(self, key: str) -> None:
        """The condition no longer holds."""
        ...


class HeldRepository(HeldLog, Protocol):
    async def load(self) -> list[Held]:
        """Every held condition, as last written."""
        ...


class SopRepository(Protocol):
    async def newest(self) -> list[Sop]:
        """The newest version of every procedure."""
        ...

    async def versions(self, sop_id: str) -> list[Sop]:
        """Every version of one procedure, newest first."""
        ...

    async def add(self, sop: Sop, by: str, at: float) -> Sop:
        """Store `sop`'s content as the next version of its id (1 for a new one)."""
        ...


class HandoverRepository(Protocol):
    async def add(self, handover: Handover) -> None: ...

    async def accept(self, handover_id: str, by: str, at: float, note: str) -> Handover | None:
        """Mark it accepted, if it is not yet: the handover as accepted, or None."""
        ...

    async def recent(self, limit: int) -> list[Handover]:
        """The newest first."""
        ...


class LinkageInbox(Protocol):
    async def claim(self, channel: str, key: str, alert_id: str, at: float) -> bool:
        """Note a platform's idempotency key; False when it was received before."""
        ...

    async def release(self, channel: str, key: str) -> None:
        """Forget a key whose status could not be applied (the platform will resend)."""
        ...


class HazardRepository(Protocol):
    async def add(self, hazard: Hazard) -> Hazard:
        """Store a new hazard under its year's next number (`HZ-2026-0007`)."""
        ...

    async def get(self, hazard_id: str) -> Hazard | None:
        """With its steps."""
        ...

    async def change(self, hazard_id: str,
                     decide: Callable[[Hazard], Hazard]) -> Hazard | None:
        """Decide and store the next value in one transaction; None if there is none."""
        ...

    async def find(self, which: HazardFilter, limit: int = 1000) -> list[Hazard]:
        """Newest first, without their steps."""
        ...

    async def add_file(self, hazard_id: str, stage: str, name: str, content_type: str,
                       data: bytes, by: str, at: float) -> HazardFile: ...

    async def files(self, hazard_id: str) -> list[HazardFile]: ...

    async def file(self, hazard_id: str, file_id: str) -> tuple[HazardFile, bytes] | None: ...

    async def inspections(self) -> list[Inspection]: ...

    async def schedule_inspection(self, inspection_id: str, due: float) -> None:
        """Keep the quarter's inspection, once."""
        ...

    async def complete_inspection(
            self, inspection_id: str, checklist: dict[str, str], by: str, at: float,
            findings: Sequence[Hazard] = (),
    ) -> tuple[Inspection, list[Hazard]] | None:
        """Done, with its findings stored as hazards at once; None if not open."""
        ...


class Store(Protocol):
    """A database that keeps everything above."""

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def modes(self) -> ModeRepository: ...

    @property
    def held(self) -> HeldRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def sops(self) -> SopRepository: ...

    @property
    def handovers(self) -> HandoverRepository: ...

    @property
    def linkage_inbox(self) -> LinkageInbox: ...

    @property
    def hazards(self) -> HazardRepository: ...

    @property
    def drills(self) -> DrillRepository: ...

    @property
    def statistics(self) -> StatisticsRepository: ...

    def time_work(self, observe: Callable[[float], None]) -> None:
        """Have `observe` hear how long each piece of store work took (seconds)."""
        ...

    async def open(self) -> None:
        """Connect and bring the schema to the newest version."""
        ...

    async def close(self) -> None: ...

    async def flush(self) -> None:
        """Wait until the writes queued behind callers (held conditions) are done."""
        ...

