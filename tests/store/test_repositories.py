"""The repositories on SQLite and on PostgreSQL alike: each read-modify-write is one
transaction, outbox jobs fold and are marked once, held conditions and modes persist."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import psycopg
import pytest

from gateway.core.alerts import Alert, AlertState
from gateway.core.modes import Mode
from gateway.core.repositories import AlertChange, Held, StoreUnavailable
from gateway.store.open import SqlStore
from tests.databases import postgres_database
from tests.forwarding.support import panic_revision

KEY = "panic:pb-a-301"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore(store_url)
    await store.open()
    yield store
    await store.close()


def raise_or_repeat(found: Alert | None, alert_id: str = "a-0001") -> AlertChange:
    """A new alert, or the stored one with one more event and a new revision."""
    if found is None:
        revision = panic_revision(alert_id)
        return AlertChange(revision.alert, True, "raised", None, "system", "", 1.0,
                           ("police",), revision)
    alert = dataclasses.replace(found, event_count=found.event_count + 1,
                                revision=found.revision + 1)
    revision = dataclasses.replace(panic_revision(found.id), alert=alert)
    return AlertChange(alert, False, "repeated", found.state.value, "system", "", 2.0,
                       ("police",), revision)


async def test_a_change_is_written_with_its_history_and_job(store: SqlStore) -> None:
    change = await store.alerts.change_active(KEY, raise_or_repeat)
    assert change is not None and change.created
    assert await store.alerts.get("a-0001") == change.alert
    assert await store.alerts.active_keys() == {KEY}
    assert [h.action for h in await store.alerts.history("a-0001")] == ["raised"]
    job = await store.outbox.next_job("police")
    assert job is not None and job.payload == change.revision
    assert (job.idempotency_key, await store.outbox.backlog()) == ("a-0001:1", {"police": 1})


async def test_nothing_is_written_when_the_decision_is_no_change(store: SqlStore) -> None:
    assert await store.alerts.change("nope", lambda found: None) is None
    assert await store.alerts.newest() == []


async def test_a_failed_decision_writes_nothing(store: SqlStore) -> None:
    def half(found: Alert | None) -> AlertChange:
        raise RuntimeError("decided badly")
    with pytest.raises(RuntimeError):
        await store.alerts.change_active(KEY, half)
    assert await store.alerts.newest() == [] and await store.outbox.backlog() == {}


async def test_two_gateways_raising_one_key_at_once_make_one_alert(store_url: str) -> None:
    """Two stores on one database (as two gateway processes, or a city tier on one
    PostgreSQL) each read-decide-write the same key 20 times concurrently."""
    stores = [SqlStore(store_url) for _ in range(2)]
    for store in stores:
        await store.open()
    try:
        await asyncio.gather(*(store.alerts.change_active(KEY, lambda found, n=n: (
            raise_or_repeat(found, f"a-{n}"))) for n in range(20) for store in stores))
        [alert] = await stores[0].alerts.newest()
        assert (alert.event_count, alert.revision) == (40, 40)
        assert len(await stores[1].alerts.history(alert.id)) == 40
    finally:
        for store in stores:
            await store.close()


async def test_an_undelivered_job_folds_into_the_newest_revision(store: SqlStore) -> None:
    await store.alerts.change_active(KEY, raise_or_repeat)
    first = await store.outbox.next_job("police")
    assert first is not None
    assert await store.outbox.mark_delivered(first, "r-1", 3.0)
    await store.alerts.change_active(KEY, raise_or_repeat)
    second = await store.outbox.next_job("police")
    await store.alerts.change_active(KEY, raise_or_repeat)
    third = await store.outbox.next_job("police")
    assert second is not None and third is not None
    assert (third.id, third.revision, third.idempotency_key) == (second.id, 3, "a-0001:3")
    assert not await store.outbox.mark_delivered(second, "r-2", 4.0)  # folded meanwhile
    assert await store.outbox.mark_delivered(third, "r-3", 5.0)
    assert await store.outbox.next_job("police") is None
    alert = await store.alerts.get("a-0001")
    assert alert is not None and alert.receipts == {"police": "r-3"}
    assert [job.revision for job in await store.outbox.jobs("a-0001")] == [1, 3]


async def test_a_failed_attempt_is_counted_and_the_job_stays(store: SqlStore) -> None:
    await store.alerts.change_active(KEY, raise_or_repeat)
    job = await store.outbox.next_job("police")
    assert job is not None
    await store.outbox.mark_failed(job, "refused")
    again = await store.outbox.next_job("police")
    assert again is not None and (again.id, again.attempts) == (job.id, 1)


async def test_escalating_lists_open_alerts_with_steps_left(
        store: SqlStore) -> None:
    from gateway.core.alerts import EscalationStep

    def with_steps(found: Alert | None) -> AlertChange:
        change = raise_or_repeat(found)
        alert = dataclasses.replace(change.alert, escalation=(EscalationStep(after_s=60),))
        return dataclasses.replace(change, alert=alert, forward_to=())
    await store.alerts.change_active(KEY, with_steps)
    assert [a.id for a in await store.alerts.escalating()] == ["a-0001"]

    def acknowledged(found: Alert | None) -> AlertChange:
        assert found is not None
        alert = dataclasses.replace(found, state=AlertState.ACKNOWLEDGED)
        return AlertChange(alert, False, "ack", "open", "guard", "", 9.0)
    await store.alerts.change("a-0001", acknowledged)
    assert await store.alerts.escalating() == []


async def test_held_conditions_are_kept_replaced_and_released(store: SqlStore) -> None:
    store.held.hold(Held("r:1", 10.0, True, (("pb-1", "pressed", True),)))
    store.held.hold(Held("r:1", 20.0, False, (("pb-1", "pressed", False),)))
    store.held.hold(Held("r:2", 30.0, True, (("gs-1", "temp", 61.5),)))
    store.held.release("r:2")
    await store.flush()
    assert await store.held.load() == [Held("r:1", 20.0, False,
                                            (("pb-1", "pressed", False),))]


async def test_a_mode_is_stored_once_and_ends_once(store: SqlStore) -> None:
    mode = Mode("drill-1", "drill", "a3", None, 100.0, 200.0, "chief", "fire", "alert")
    assert await store.modes.insert(mode, "started", 100.0)
    assert not await store.modes.insert(mode, "started", 100.0)
    ended = dataclasses.replace(mode, ended_at=150.0, ended_by="chief")
    assert await store.modes.end(ended, "done")
    assert not await store.modes.end(ended, "again")
    assert await store.modes.open_modes() == []
    assert await store.modes.recent(0.0, 10) == [ended]
    assert [(a.change, a.actor) for a in await store.modes.audit(10)] == [
        ("ended", "chief"), ("started", "chief")]


async def test_a_lost_postgresql_connection_fails_one_call_then_is_opened_again() -> None:
    with postgres_database() as url:
        await _lose_the_connection(url)


async def _lose_the_connection(store_url: str) -> None:
    store = SqlStore(store_url)
    await store.open()
    try:
        await store.alerts.change_active(KEY, raise_or_repeat)
        with psycopg.connect(store_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with pytest.raises(StoreUnavailable):
            await store.alerts.change_active(KEY, raise_or_repeat)
        change = await store.alerts.change_active(KEY, raise_or_repeat)
        assert change is not None and change.alert.event_count == 2
    finally:
        await store.close()


async def test_changes_stored_together_undo_only_a_decision_that_fails(
        store: SqlStore) -> None:
    def broken(found: Alert | None) -> AlertChange:
        raise RuntimeError("a bug in one rule")

    results = await store.alerts.change_active_many([
        (KEY, raise_or_repeat), ("other", broken), (KEY, raise_or_repeat)])
    first, failed, second = results
    assert isinstance(failed, RuntimeError)
    assert isinstance(first, AlertChange) and first.created
    assert isinstance(second, AlertChange) and second.alert.event_count == 2
    [alert] = await store.alerts.newest()
    assert (alert.event_count, len(await store.alerts.history(alert.id))) == (2, 2)


async def test_a_rejected_job_is_kept_but_no_longer_delivered_nor_folded_into(
        store: SqlStore) -> None:
    await store.alerts.change_active(KEY, raise_or_repeat)
    first = await store.outbox.next_job("police")
    assert first is not None and await store.outbox.mark_delivered(first, None, 2.0)
    await store.alerts.change_active(KEY, raise_or_repeat)
    refused = await store.outbox.next_job("police")
    assert refused is not None and refused.revision == 2
    await store.outbox.mark_rejected(refused, "422 unknown zone", 5.0)
    assert await store.outbox.next_job("police") is None
    assert await store.outbox.backlog() == {}
    await store.alerts.change_active(KEY, raise_or_repeat)  # not folded into the parked job
    again = await store.outbox.next_job("police")
    assert again is not None and (again.revision, again.id != refused.id) == (3, True)
    assert [j.revision for j in await store.outbox.jobs("a-0001")] == [1, 2, 3]
