"""SQLite (WAL) store: alerts, their state history and the forwarding outbox.

Every change to an alert and the outbox jobs it causes are written in one transaction,
before anything leaves the gateway (transactional outbox). All SQLite work runs on one
dedicated thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from gateway.core.alerts import (
    Alert,
    AlertRevision,
    AlertState,
    Category,
    Severity,
    step_from_record,
    step_record,
)
from gateway.core.repositories import (
    AlertChange,
    AlertChanger,
    ForwardJob,
    HistoryEntry,
    JournalLine,
    StoreUnavailable,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

_ALERT_COLUMNS = (
    "id, key, rule_id, site, device_id, zone, category, severity, title, message, location, "
    "state, latching, drill, raised_at, last_event_at, event_count, revision, channels, "
    "evidence, receipts, escalation, escalation_level, sop"
)

_HISTORY_COLUMNS = ("h.at, h.action, h.from_state, h.to_state, h.actor, h.note, h.revision, "
                    "h.severity, h.queued_to")


class AlertStore:
    """The alert database. Methods ending in `_sync` run on the store thread only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-store")
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open (creating) the database; `StoreUnavailable` with one line if it cannot be."""
        await self.run(self._open_sync)

    async def close(self) -> None:
        if self._db is not None:
            await self.run(self._close_sync)
        self._executor.shutdown(wait=True)

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` on the store thread; a database that cannot be read or written
        (locked, read-only, disk full, corrupt) raises `StoreUnavailable`."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from exc
        except OSError as exc:
            raise StoreUnavailable(f"{self.path}: {exc.strerror or exc}") from exc

    def submit(self, work: Callable[[], object]) -> None:
        """Queue `work` on the store thread without waiting for it; failures are logged."""
        self._executor.submit(work).add_done_callback(_log_failure)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("alert store is not open")
        return self._db

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(resources.files("gateway.store").joinpath("schema.sql").read_text())
        self._db = db

    def _close_sync(self) -> None:
        self.db.close()
        self._db = None

    # -- alerts -------------------------------------------------------------------------

    def active_by_key_sync(self, key: str) -> Alert | None:
        row = self.db.execute(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE key = ? "
            "AND state IN ('open', 'acknowledged')", (key,)).fetchone()
        return _alert(row) if row else None

    def active_keys_sync(self) -> set[str]:
        """The keys of the open and acknowledged alerts."""
        rows = self.db.execute(
            "SELECT key FROM alerts WHERE state IN ('open', 'acknowledged')")
        return {key for (key,) in rows}

    def get_sync(self, alert_id: str) -> Alert | None:
        row = self.db.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?",
                              (alert_id,)).fetchone()
        return _alert(row) if row else None

    def list_sync(self, states: Iterable[AlertState] | None = None,
                  limit: int = 200) -> list[Alert]:
        query = f"SELECT {_ALERT_COLUMNS} FROM alerts"
        args: list[Any] = []
        if states is not None:
            wanted = list(states)
            query += f" WHERE state IN ({','.join('?' * len(wanted))})"
            args += [s.value for s in wanted]
        query += " ORDER BY raised_at DESC LIMIT ?"
        return [_alert(row) for row in self.db.execute(query, (*args, limit))]

    def escalating_sync(self) -> list[Alert]:
        """Open (unacknowledged) alerts with escalation steps still to apply."""
        rows = self.db.execute(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE state = 'open' "
            "AND escalation_level < json_array_length(escalation)")
        return [_alert(row) for row in rows]

    def history_sync(self, alert_id: str) -> list[HistoryEntry]:
        rows = self.db.execute(
            f"SELECT {_HISTORY_COLUMNS} FROM alert_history h WHERE alert_id = ? ORDER BY id",
            (alert_id,))
        return [_history(row) for row in rows]

    def journal_sync(self) -> list[JournalLine]:
        """Every history line of every alert, in the order written."""
        rows = self.db.execute(
            f"SELECT {_HISTORY_COLUMNS}, a.key, a.rule_id, a.device_id, a.drill, a.title "
            "FROM alert_history h JOIN alerts a ON a.id = h.alert_id ORDER BY h.id")
        return [JournalLine(_history(row[:9]), row[9], row[10], row[11], bool(row[12]), row[13])
                for row in rows]

    def change_sync(self, read: Callable[[], Alert | None],
                    decide: AlertChanger) -> AlertChange | None:
        """Read, decide and write one alert change in one transaction."""
        db = self.db
        with transaction(db):
            change = decide(read())
            if change is not None:
                self._write(change)
        return change

    def _write(self, change: AlertChange) -> None:
        """One alert change, its history line and its outbox jobs (inside a transaction)."""
        alert, now = change.alert, change.at
        values = (*_alert_values(alert), now)
        if change.created:
            self.db.execute(f"INSERT INTO alerts ({_ALERT_COLUMNS}, updated_at) "
                            f"VALUES ({','.join('?' * len(values))})", values)
        else:
            assignments = ", ".join(f"{c.strip()} = ?" for c in _ALERT_COLUMNS.split(",")[1:])
            self.db.execute(f"UPDATE alerts SET {assignments}, updated_at = ? WHERE id = ?",
                            (*values[1:], alert.id))
        self.db.execute(
            "INSERT INTO alert_history (alert_id, at, action, from_state, to_state, actor, "
            "note, revision, severity, queued_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (alert.id, now, change.action, change.from_state, alert.state.value, change.actor,
             change.note, alert.revision, alert.severity.value,
             json.dumps(list(change.forward_to))))
        if change.forward_to:
            if change.revision is None:
                raise ValueError(f"alert {alert.id}: forwarded without its revision")
            payload = change.revision.to_json()
            for channel in change.forward_to:
                self._enqueue(alert, channel, payload, now)

    def _enqueue(self, alert: Alert, channel: str, payload: str, now: float) -> None:
        """Add a job, or fold it into a still-undelivered job of the same alert and channel
        (the receiver then gets the newest revision instead of every intermediate one)."""
        key = f"{alert.id}:{alert.revision}"
        folded = self.db.execute(
            "UPDATE outbox SET revision = ?, idempotency_key = ?, body = ? "
            "WHERE alert_id = ? AND channel = ? AND delivered_at IS NULL AND revision > 1",
            (alert.revision, key, payload, alert.id, channel)).rowcount
        if not folded:
            self.db.execute(
                "INSERT INTO outbox (alert_id, channel, revision, idempotency_key, body, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (alert.id, channel, alert.revision, key, payload, now))

    # -- outbox -------------------------------------------------------------------------

    def next_job_sync(self, channel: str) -> ForwardJob | None:
        row = self.db.execute(
            f"SELECT {_JOB_COLUMNS} FROM outbox WHERE channel = ? AND delivered_at IS NULL "
            "ORDER BY id LIMIT 1", (channel,)).fetchone()
        return None if row is None else _job(row)

    def jobs_sync(self, alert_id: str) -> list[ForwardJob]:
        rows = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM outbox WHERE alert_id = ? "
                               "ORDER BY id", (alert_id,))
        return [_job(row) for row in rows]

    def mark_delivered_sync(self, job: ForwardJob, receipt_id: str | None, now: float) -> bool:
        """Record a delivery; False if the job was folded into a newer revision meanwhile
        (it must then be delivered again).

        Written without waiting for the disk: a mark lost to a power cut only means the job
        is sent again with the same Idempotency-Key, which the receiver drops. Alert changes
        themselves are always synced before they are shown or sent."""
        db = self.db
        with _unsynced(db), transaction(db):
            done = db.execute(
                "UPDATE outbox SET delivered_at = ?, receipt_id = ?, attempts = attempts + 1 "
                "WHERE id = ? AND revision = ?", (now, receipt_id, job.id, job.revision)).rowcount
            if done and receipt_id:
                row = db.execute("SELECT receipts FROM alerts WHERE id = ?",
                                 (job.alert_id,)).fetchone()
                receipts = json.loads(row[0])
                receipts[job.channel] = receipt_id
                db.execute("UPDATE alerts SET receipts = ? WHERE id = ?",
                           (json.dumps(receipts), job.alert_id))
        return bool(done)

    def mark_failed_sync(self, job: ForwardJob, error: str) -> None:
        self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                        (error, job.id))

    def outbox_backlog_sync(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT channel, COUNT(*) FROM outbox WHERE delivered_at IS NULL GROUP BY channel")
        return {channel: count for channel, count in rows}


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error (unless SQLite already did)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class _unsynced:
    """Commit without fsync (WAL, synchronous=NORMAL) for this block only."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("PRAGMA synchronous=NORMAL")

    def __exit__(self, *_: object) -> None:
        self.db.execute("PRAGMA synchronous=FULL")


def _alert_values(alert: Alert) -> tuple[Any, ...]:
    return (
        alert.id, alert.key, alert.rule_id, alert.site, alert.device_id, alert.zone,
        alert.category.value, alert.severity.value, alert.title, alert.message, alert.location,
        alert.state.value, int(alert.latching), int(alert.drill), alert.raised_at,
        alert.last_event_at, alert.event_count, alert.revision, json.dumps(list(alert.channels)),
        json.dumps(list(alert.evidence)), json.dumps(alert.receipts),
        json.dumps([step_record(step) for step in alert.escalation]), alert.escalation_level,
        alert.sop,
    )


def _alert(row: tuple[Any, ...]) -> Alert:
    (alert_id, key, rule_id, site, device_id, zone, category, severity, title, message,
     location, state, latching, drill, raised_at, last_event_at, event_count, revision,
     channels, evidence, receipts, escalation, escalation_level, sop) = row
    return Alert(
        id=alert_id, key=key, rule_id=rule_id, site=site, device_id=device_id, zone=zone,
        category=Category(category), severity=Severity(severity), title=title,
        message=message, location=location, state=AlertState(state), latching=bool(latching),
        drill=bool(drill), raised_at=raised_at, last_event_at=last_event_at,
        event_count=event_count, revision=revision, channels=tuple(json.loads(channels)),
        evidence=tuple(json.loads(evidence)), receipts=json.loads(receipts),
        escalation=tuple(step_from_record(item) for item in json.loads(escalation)),
        escalation_level=escalation_level, sop=sop,
    )


_JOB_COLUMNS = "id, alert_id, channel, revision, idempotency_key, body, created_at, attempts"


def _job(row: tuple[Any, ...]) -> ForwardJob:
    job_id, alert_id, channel, revision, key, body, created_at, attempts = row
    return ForwardJob(job_id, alert_id, channel, revision, key, AlertRevision.from_json(body),
                      created_at, attempts)


def _log_failure(done: Future[object]) -> None:
    if done.exception() is not None:
        log.error("store write failed: %r", done.exception(), exc_info=done.exception())


def _history(row: tuple[Any, ...]) -> HistoryEntry:
    at, action, from_state, to_state, actor, note, revision, severity, queued_to = row
    return HistoryEntry(at, action, from_state, to_state, actor, note, revision, severity,
                        tuple(json.loads(queued_to)))


class SqliteAlerts:
    """`AlertRepository` on the store thread."""

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    async def change(self, alert_id: str, decide: AlertChanger) -> AlertChange | None:
        store = self._store
        return await store.run(lambda: store.change_sync(lambda: store.get_sync(alert_id),
                                                         decide))

    async def change_active(self, key: str, decide: AlertChanger) -> AlertChange | None:
        store = self._store
        return await store.run(lambda: store.change_sync(
            lambda: store.active_by_key_sync(key), decide))

    async def get(self, alert_id: str) -> Alert | None:
        return await self._store.run(lambda: self._store.get_sync(alert_id))

    async def newest(self, states: Iterable[AlertState] | None = None,
                     limit: int = 200) -> list[Alert]:
        wanted = None if states is None else tuple(states)
        return await self._store.run(lambda: self._store.list_sync(wanted, limit))

    async def active_keys(self) -> set[str]:
        return await self._store.run(self._store.active_keys_sync)

    async def escalating(self) -> list[Alert]:
        return await self._store.run(self._store.escalating_sync)

    async def history(self, alert_id: str) -> list[HistoryEntry]:
        return await self._store.run(lambda: self._store.history_sync(alert_id))

    async def journal(self) -> list[JournalLine]:
        return await self._store.run(self._store.journal_sync)


class SqliteOutbox:
    """`OutboxRepository` on the store thread."""

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    async def next_job(self, channel: str) -> ForwardJob | None:
        return await self._store.run(lambda: self._store.next_job_sync(channel))

    async def mark_delivered(self, job: ForwardJob, receipt_id: str | None,
                             now: float) -> bool:
        return await self._store.run(
            lambda: self._store.mark_delivered_sync(job, receipt_id, now))

    async def mark_failed(self, job: ForwardJob, error: str) -> None:
        await self._store.run(lambda: self._store.mark_failed_sync(job, error))

    async def backlog(self) -> dict[str, int]:
        return await self._store.run(self._store.outbox_backlog_sync)

    async def jobs(self, alert_id: str) -> list[ForwardJob]:
        return await self._store.run(lambda: self._store.jobs_sync(alert_id))
