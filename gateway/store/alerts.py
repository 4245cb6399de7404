"""Alerts, their history and the forwarding outbox, in SQL (SQLite or PostgreSQL).

Every change to an alert and the outbox jobs it causes are written in one transaction,
before anything leaves the gateway (transactional outbox). Rows are mapped through the
alert's one declaration (`ALERT_FIELDS`, `alert_record`), never by position.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from gateway.core.alerts import (
    ALERT_FIELDS,
    Alert,
    AlertRevision,
    AlertState,
    alert_from_record,
    alert_record,
)
from gateway.core.repositories import (
    AlertChange,
    AlertChanger,
    ForwardJob,
    HistoryEntry,
    JournalLine,
)
from gateway.store.database import Database, lock_key, transaction
from gateway.store.schema import alert_history, alerts, outbox

_ACTIVE = (AlertState.OPEN.value, AlertState.ACKNOWLEDGED.value)
_JSON_FIELDS = ("channels", "evidence", "receipts", "escalation", "checklist", "dispatches",
                "linkage")
_ALERT = [alerts.c[name] for name in ALERT_FIELDS]
_HISTORY = [alert_history.c[name] for name in (
    "at", "action", "from_state", "to_state", "actor", "note", "revision", "severity",
    "queued_to")]
_JOB = [outbox.c[name] for name in (
    "id", "alert_id", "channel", "revision", "idempotency_key", "body", "created_at",
    "attempts")]


# The statements of the hot path, built once: each call only binds its values.
_SELECT_ACTIVE = select(*_ALERT).where(alerts.c.key == bindparam("k"),
                                       alerts.c.state.in_(_ACTIVE))
_SELECT_ONE = select(*_ALERT).where(alerts.c.id == bindparam("k"))
_SELECT_ONE_LOCKED = _SELECT_ONE.with_for_update()
_INSERT_ALERT = insert(alerts)
_UPDATE_ALERT = update(alerts).where(alerts.c.id == bindparam("b_id"))
_INSERT_HISTORY = insert(alert_history)
_FOLD_JOB = update(outbox).where(
    outbox.c.alert_id == bindparam("b_alert"), outbox.c.channel == bindparam("b_channel"),
    outbox.c.delivered_at.is_(None), outbox.c.rejected_at.is_(None), outbox.c.revision > 1)
_INSERT_JOB = insert(outbox)


def alert_row(alert: Alert) -> dict[str, Any]:
    """The alert as column values."""
    row = alert_record(alert)
    for name in _JSON_FIELDS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    row["latching"], row["drill"] = int(alert.latching), int(alert.drill)
    row["cleared_unseen"] = int(alert.cleared_unseen)
    return row


def row_alert(row: Row[Any]) -> Alert:
    record = dict(row._mapping)
    for name in _JSON_FIELDS:
        record[name] = json.loads(record[name])
    return alert_from_record(record)


def _history(row: Row[Any]) -> HistoryEntry:
    (at, action, from_state, to_state, actor, note, revision, severity,
     queued_to) = row[:9]
    return HistoryEntry(at, action, from_state, to_state, actor, note, revision, severity,
                        tuple(json.loads(queued_to)))


def _job(row: Row[Any]) -> ForwardJob:
    job_id, alert_id, channel, revision, key, body, created_at, attempts = row
    return ForwardJob(job_id, alert_id, channel, revision, key, AlertRevision.from_json(body),
                      created_at, attempts)


def _get(connection: Connection, alert_id: str, *, for_update: bool = False) -> Alert | None:
    locked = for_update and connection.dialect.name == "postgresql"
    row = connection.execute(_SELECT_ONE_LOCKED if locked else _SELECT_ONE,
                             {"k": alert_id}).first()
    return None if row is None else row_alert(row)


def _active(connection: Connection, key: str) -> Alert | None:
    row = connection.execute(_SELECT_ACTIVE, {"k": key}).first()
    return None if row is None else row_alert(row)


def _write(connection: Connection, change: AlertChange) -> None:
    """One alert change, its history line and its outbox jobs (inside a transaction)."""
    alert, now = change.alert, change.at
    values = {**alert_row(alert), "updated_at": now}
    if change.created:
        connection.execute(_INSERT_ALERT, values)
    else:
        values["b_id"] = values.pop("id")
        connection.execute(_UPDATE_ALERT, values)
    connection.execute(_INSERT_HISTORY, {
        "alert_id": alert.id, "at": now, "action": change.action,
        "from_state": change.from_state, "to_state": alert.state.value,
        "actor": change.actor, "note": change.note, "revision": alert.revision,
        "severity": alert.severity.value, "queued_to": json.dumps(list(change.forward_to))})
    if change.forward_to:
        if change.revision is None:
            raise ValueError(f"alert {alert.id}: forwarded without its revision")
        body = change.revision.to_json()
        for channel in change.forward_to:
            _enqueue(connection, alert, channel, body, now)


def _enqueue(connection: Connection, alert: Alert, channel: str, body: str,
             now: float) -> None:
    """Add a job, or fold it into a still-undelivered job of the same alert and channel
    (the receiver then gets the newest revision instead of every intermediate one)."""
    key = f"{alert.id}:{alert.revision}"
    folded = connection.execute(_FOLD_JOB, {
        "b_alert": alert.id, "b_channel": channel, "revision": alert.revision,
        "idempotency_key": key, "body": body}).rowcount
    if not folded:
        connection.execute(_INSERT_JOB, {
            "alert_id": alert.id, "channel": channel, "revision": alert.revision,
            "idempotency_key": key, "body": body, "created_at": now})


def _change(connection: Connection, read: Callable[[], Alert | None],
            decide: AlertChanger) -> AlertChange | None:
    with transaction(connection):
        change = decide(read())
        if change is not None:
            _write(connection, change)
    return change


def _change_many(connection: Connection, changes: Sequence[tuple[str, AlertChanger]]
                 ) -> list[AlertChange | Exception | None]:
    results: list[AlertChange | Exception | None] = []
    with transaction(connection):
        for key, decide in changes:
            connection.exec_driver_sql("SAVEPOINT one_change")
            try:
                lock_key(connection, key)
                change = decide(_active(connection, key))
                if change is not None:
                    _write(connection, change)
            except SQLAlchemyError:
                raise  # the store failed: the whole batch is undone and retried
            except Exception as exc:
                connection.exec_driver_sql("ROLLBACK TO SAVEPOINT one_change")
                results.append(exc)
                continue
            connection.exec_driver_sql("RELEASE SAVEPOINT one_change")
            results.append(change)
    return results


class SqlAlerts:
    """`AlertRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def change(self, alert_id: str, decide: AlertChanger) -> AlertChange | None:
        return await self._db.run(lambda c: _change(
            c, lambda: _get(c, alert_id, for_update=True), decide))

    async def change_active(self, key: str, decide: AlertChanger) -> AlertChange | None:
        def read_locked(c: Connection) -> Alert | None:
            lock_key(c, key)
            return _active(c, key)
        return await self._db.run(lambda c: _change(c, lambda: read_locked(c), decide))

    async def change_active_many(self, changes: Sequence[tuple[str, AlertChanger]]
                                 ) -> list[AlertChange | Exception | None]:
        return await self._db.run(lambda c: _change_many(c, changes))

    async def get(self, alert_id: str) -> Alert | None:
        return await self._db.run(lambda c: _get(c, alert_id))

    async def newest(self, states: Iterable[AlertState] | None = None,
                     limit: int = 200) -> list[Alert]:
        query = select(*_ALERT)
        if states is not None:
            query = query.where(alerts.c.state.in_([s.value for s in states]))
        query = query.order_by(alerts.c.raised_at.desc()).limit(limit)
        return await self._db.run(lambda c: [row_alert(r) for r in c.execute(query)])

    async def queue(self, limit: int = 1000) -> list[Alert]:
        query = (select(*_ALERT)
                 .where(or_(alerts.c.state.in_(_ACTIVE), alerts.c.cleared_unseen == 1,
                            and_(alerts.c.latching == 1,
                                 alerts.c.state == AlertState.RESOLVED.value)))
                 .order_by(alerts.c.raised_at.desc()).limit(limit))
        return await self._db.run(lambda c: [row_alert(r) for r in c.execute(query)])

    async def counts(self) -> dict[tuple[str, str], int]:
        query = (select(alerts.c.state, alerts.c.severity, func.count())
                 .group_by(alerts.c.state, alerts.c.severity))
        return await self._db.run(
            lambda c: {(state, severity): n for state, severity, n in c.execute(query).tuples()})

    async def active_keys(self) -> set[str]:
        query = select(alerts.c.key).where(alerts.c.state.in_(_ACTIVE))
        return await self._db.run(lambda c: set(c.execute(query).scalars()))

    async def escalating(self) -> list[Alert]:
        """Open (unacknowledged) alerts with escalation steps still to apply."""
        query = select(*_ALERT).where(alerts.c.state == AlertState.OPEN.value,
                                      alerts.c.escalation != "[]")
        found = await self._db.run(lambda c: [row_alert(r) for r in c.execute(query)])
        return [alert for alert in found if alert.escalation_level < len(alert.escalation)]

    async def history(self, alert_id: str) -> list[HistoryEntry]:
        query = (select(*_HISTORY).where(alert_history.c.alert_id == alert_id)
                 .order_by(alert_history.c.id))
        return await self._db.run(lambda c: [_history(r) for r in c.execute(query)])

    async def journal(self) -> list[JournalLine]:
        """Every history line of every alert, in the order written."""
        query = (select(*_HISTORY, alerts.c.key, alerts.c.rule_id, alerts.c.device_id,
                        alerts.c.drill, alerts.c.title)
                 .join(alerts, alerts.c.id == alert_history.c.alert_id)
                 .order_by(alert_history.c.id))
        return await self._db.run(lambda c: [
            JournalLine(_history(r), r.key, r.rule_id, r.device_id, bool(r.drill), r.title)
            for r in c.execute(query)])


class SqlOutbox:
    """`OutboxRepository`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def next_job(self, channel: str) -> ForwardJob | None:
        query = (select(*_JOB).where(outbox.c.channel == channel,
                                     outbox.c.delivered_at.is_(None),
                                     outbox.c.rejected_at.is_(None))
                 .order_by(outbox.c.id).limit(1))

        def first(c: Connection) -> ForwardJob | None:
            row = c.execute(query).first()
            return None if row is None else _job(row)
        return await self._db.run(first)

    async def jobs(self, alert_id: str) -> list[ForwardJob]:
        query = select(*_JOB).where(outbox.c.alert_id == alert_id).order_by(outbox.c.id)
        return await self._db.run(lambda c: [_job(r) for r in c.execute(query)])

    async def mark_delivered(self, job: ForwardJob, receipt_id: str | None,
                             now: float) -> bool:
        """Record a delivery; False if the job was folded into a newer revision meanwhile
        (it must then be delivered again).

        Committed without waiting for the disk: a mark lost to a power cut only means the
        job is sent again with the same Idempotency-Key, which the receiver drops. Alert
        changes themselves are always durable before they are shown or sent."""
        def mark(c: Connection) -> bool:
            with transaction(c, durable=False):
                done = c.execute(update(outbox).where(
                    outbox.c.id == job.id, outbox.c.revision == job.revision,
                ).values(delivered_at=now, receipt_id=receipt_id,
                         attempts=outbox.c.attempts + 1)).rowcount
                if done and receipt_id:
                    _add_receipt(c, job, receipt_id)
            return bool(done)
        return await self._db.run(mark)

    async def mark_rejected(self, job: ForwardJob, reason: str, now: float) -> None:
        statement = (update(outbox)
                     .where(outbox.c.id == job.id, outbox.c.revision == job.revision)
                     .values(rejected_at=now, last_error=reason,
                             attempts=outbox.c.attempts + 1))
        await self._db.run(lambda c: c.execute(statement))

    async def mark_failed(self, job: ForwardJob, error: str) -> None:
        statement = (update(outbox).where(outbox.c.id == job.id)
                     .values(attempts=outbox.c.attempts + 1, last_error=error))
        await self._db.run(lambda c: c.execute(statement))

    async def oldest_pending(self) -> dict[str, float]:
        query = (select(outbox.c.channel, func.min(outbox.c.created_at))
                 .where(outbox.c.delivered_at.is_(None), outbox.c.rejected_at.is_(None))
                 .group_by(outbox.c.channel))
        return await self._db.run(lambda c: {ch: at for ch, at in c.execute(query).tuples()})

    async def backlog(self) -> dict[str, int]:
        query = (select(outbox.c.channel, func.count())
                 .where(outbox.c.delivered_at.is_(None), outbox.c.rejected_at.is_(None))
                 .group_by(outbox.c.channel))
        return await self._db.run(lambda c: {ch: n for ch, n in c.execute(query).tuples()})


def _add_receipt(connection: Connection, job: ForwardJob, receipt_id: str) -> None:
    where = alerts.c.id == job.alert_id
    query = select(alerts.c.receipts).where(where)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    stored = connection.execute(query).scalar_one()
    receipts = json.loads(stored)
    receipts[job.channel] = receipt_id
    connection.execute(update(alerts).where(where).values(receipts=json.dumps(receipts)))
