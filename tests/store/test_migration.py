"""A database made by the schema before versions is upgraded with everything in it
intact: its alerts, their history, and outbox jobs that still encode the same bytes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.core.alerts import AlertState
from gateway.core.repositories import StoreUnavailable
from gateway.forwarding.document import linkage_body
from gateway.store import migrate
from gateway.store.alerts import alert_row
from gateway.store.database import engine_url
from gateway.store.open import SqlStore
from tests.forwarding.support import panic_revision

BEFORE = Path(__file__).with_name("schema_before.sql")
CONFIG = """\
site: {id: s1, name: School One, timezone: Asia/Shanghai}
zones: [{id: gate, name: Main gate}]
api: {token: test-token-0001}
store: {path: DB}
"""


def old_database(path: Path) -> list[bytes]:
    """A database as the gateway kept it before versions: one alert at revision 2, its
    history, a delivered job of revision 1 and a pending one of revision 2 whose bodies
    are the linkage documents. Returns the two bodies."""
    first, second = panic_revision(revision=1), panic_revision(revision=2,
                                                               state=AlertState.ACKNOWLEDGED)
    row = {**alert_row(second.alert), "updated_at": second.updated_at}
    for later in ("cleared_unseen",  # columns added later: 0005, 0006
                  "title_en", "sop_id", "sop_version", "owner", "snoozed_until", "closure",
                  "checklist", "dispatches", "linkage"):
        del row[later]
    bodies = [linkage_body(first), linkage_body(second)]
    with sqlite3.connect(path) as db:
        db.executescript(BEFORE.read_text())
        db.execute(f"INSERT INTO alerts ({', '.join(row)}) VALUES ({','.join('?' * len(row))})",
                   tuple(row.values()))
        for revision, action, to_state in [(1, "raised", "open"), (2, "ack", "acknowledged")]:
            db.execute("INSERT INTO alert_history (alert_id, at, action, from_state, to_state, "
                       "actor, note, revision) VALUES (?, ?, ?, NULL, ?, 'guard', '', ?)",
                       (second.alert.id, 1_772_410_500.0 + revision, action, to_state,
                        revision))
        for revision, body, delivered in [(1, bodies[0], 1_772_410_502.0),
                                          (2, bodies[1], None)]:
            db.execute("INSERT INTO outbox (alert_id, channel, revision, idempotency_key, body,"
                       " created_at, delivered_at) VALUES (?, 'police', ?, ?, ?, ?, ?)",
                       (second.alert.id, revision, f"{second.alert.id}:{revision}",
                        body.decode(), 1_772_410_500.0 + revision, delivered))
    db.close()
    return bodies


async def test_an_old_database_is_upgraded_with_its_alerts_and_jobs_intact(
        tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    bodies = old_database(path)
    store = SqlStore(f"sqlite:///{path}")
    await store.open()
    try:
        assert store.version == migrate.Version(migrate.BASELINE, migrate.head())
        expected = panic_revision(revision=2, state=AlertState.ACKNOWLEDGED).alert
        assert await store.alerts.get(expected.id) == expected
        assert [(h.action, h.to_state, h.actor) for h in await store.alerts.history(
            expected.id)] == [("raised", "open", "guard"), ("ack", "acknowledged", "guard")]
        jobs = await store.outbox.jobs(expected.id)
        assert [linkage_body(job.payload) for job in jobs] == bodies
        pending = await store.outbox.next_job("police")
        assert pending is not None and pending.revision == 2
        assert pending.payload.alert == expected
        assert await store.outbox.backlog() == {"police": 1}
    finally:
        await store.close()


def _campusgw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli.main", *args],
                          capture_output=True, text=True, timeout=60)


def test_db_current_and_upgrade_say_where_the_schema_is(tmp_path: Path) -> None:
    old_database(tmp_path / "old.db")
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.replace("DB", str(tmp_path / "old.db")))
    behind = _campusgw("db", "current", "-c", str(config))
    assert behind.returncode == 2
    assert f"schema {migrate.BASELINE}, newest {migrate.head()}" in behind.stdout
    upgraded = _campusgw("db", "upgrade", "-c", str(config))
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schema {migrate.BASELINE} -> {migrate.head()}" in upgraded.stdout
    now = _campusgw("db", "current", "-c", str(config))
    assert (now.returncode, now.stdout.strip()) == (
        0, f"sqlite:///{tmp_path / 'old.db'}: schema {migrate.head()} (the newest)")


async def test_a_database_from_a_newer_gateway_is_refused_in_one_line(
        tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = SqlStore(f"sqlite:///{path}")
    await store.open()
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    db.close()
    newer = SqlStore(f"sqlite:///{path}")
    with pytest.raises(StoreUnavailable) as refused:
        await newer.open()
    await newer.close()
    assert str(refused.value) == (
        f"{path}: schema version 0099 is unknown to this gateway (its newest is "
        f"{migrate.head()}): the database was made by a newer version")


def test_the_old_documents_become_the_revisions_they_were_made_from(tmp_path: Path) -> None:
    """Times in the document had an offset but no zone name: the fixed-offset zone of that
    offset re-encodes them alike."""
    path = tmp_path / "old.db"
    old_database(path)
    migrate.upgrade(engine_url(f"sqlite:///{path}"))
    with sqlite3.connect(path) as db:
        [(body,)] = db.execute("SELECT body FROM outbox WHERE revision = 2").fetchall()
    db.close()
    stored = json.loads(body)
    assert stored["timezone"] == "Etc/GMT-8"
    assert stored["evidence_base_url"] == "https://gw.example.edu.cn"
    assert stored["alert"]["state"] == "acknowledged"
