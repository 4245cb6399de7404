"""`campusgw db backup` while the gateway runs, and `restore` into a new database (of
either backend): the restored gateway delivers what was still queued, its people log in,
its audit chain holds; a truncated or altered backup, or a database that is not empty, is
refused."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.app.gateway import Gateway
from gateway.app.hazards import HazardDraft
from gateway.core.accounts import Role, verify_chain
from gateway.core.clock import VirtualClock
from gateway.core.hazards import HazardCategory, HazardFilter, HazardLevel
from gateway.store.backup import BackupError, backup, restore
from gateway.store.database import engine_url
from tests.core.support import school_config
from tests.core.test_alerts import press

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256))  # bytes that are not text


async def a_running_school_backed_up(tmp_path: Path, target: Path) -> list[str]:
    """A gateway whose police are unreachable (jobs stay queued), backed up while it runs;
    the ids of its alerts."""
    config = school_config(tmp_path / "source")
    async with Gateway(config, VirtualClock(), run_adapters=False, forward=False) as gateway:
        await gateway.accounts.add_user("li.wei", "guard-room-2026", Role.OPERATOR, "test")
        press(gateway, "pb-1")
        press(gateway, "pb-2")
        await gateway.settle()
        hazard = await gateway.hazards.register(HazardDraft(
            "a3", HazardCategory.EXIT, HazardLevel.GENERAL, "出口堆放杂物", "纸箱", "li.wei",
            gateway.clock.now() + 86400), "li.wei")
        await gateway.store.hazards.add_file(hazard.id, "found", "exit.jpg", "image/jpeg",
                                             PHOTO, "li.wei", gateway.clock.now())
        made = await asyncio.to_thread(backup, engine_url(config.store.database_url), target)
        press(gateway, "gs-1", point="forced")  # after the snapshot: not in the backup
        await gateway.settle()
        assert made.rows["alerts"] == 2 and made.rows["outbox"] == 2
        return sorted(alert.id for alert in await gateway.store.alerts.newest()
                      if alert.rule_id == "panic")


async def test_a_restored_store_delivers_what_was_queued(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "source").mkdir()
    saved = tmp_path / "store.backup"
    alert_ids = await a_running_school_backed_up(tmp_path, saved)
    done = await asyncio.to_thread(restore, saved, engine_url(store_url))
    assert done.rows["alerts"] == 2
    config = school_config(tmp_path, store=store_url)
    async with Gateway(config, VirtualClock(), run_adapters=False) as gateway:
        assert sorted(a.id for a in await gateway.store.alerts.newest()) == alert_ids
        for _ in range(100):
            if not await gateway.store.outbox.backlog():
                break
            await asyncio.sleep(0.02)
        assert await gateway.store.outbox.backlog() == {}
        assert (await gateway.accounts.login("li.wei", "guard-room-2026", "test")).principal
        assert verify_chain(await gateway.store.audit.entries()) == []
        [hazard] = await gateway.store.hazards.find(HazardFilter())
        [photo] = await gateway.store.hazards.files(hazard.id)
        assert await gateway.store.hazards.file(hazard.id, photo.id) == (photo, PHOTO)
        press(gateway, "pb-2", False)
        press(gateway, "gs-1", point="forced")  # ids go on after the restored ones
        await gateway.settle()
        assert len(await gateway.store.alerts.newest()) == 3
    delivered = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert set(alert_ids) <= {d["idempotency_key"].split(":")[0] for d in delivered}


async def test_a_damaged_backup_or_a_used_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    saved = tmp_path / "store.backup"
    await a_running_school_backed_up(tmp_path, saved)
    lines = gzip.decompress(saved.read_bytes()).decode().splitlines()
    truncated, altered = tmp_path / "truncated.backup", tmp_path / "altered.backup"
    truncated.write_bytes(gzip.compress("\n".join(lines[:-3] + lines[-1:]).encode()))
    altered.write_bytes(gzip.compress("\n".join(
        [lines[0], lines[1].replace("pb-1", "pb-9"), *lines[2:]]).encode()))
    for damaged in (truncated, altered):
        with pytest.raises(BackupError, match="incomplete or was altered"):
            restore(damaged, engine_url(f"sqlite:///{tmp_path / 'new.db'}"))
    with pytest.raises(BackupError, match="not empty"):
        restore(saved, engine_url(f"sqlite:///{tmp_path / 'source' / 'gw.db'}"))
    with pytest.raises(BackupError, match="not a readable backup"):
        restore(tmp_path / "source" / "gw.db", engine_url(f"sqlite:///{tmp_path / 'x.db'}"))


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    source = school_config(tmp_path)
    config = tmp_path / "gateway.yaml"
    subprocess.run([sys.executable, "-m", "gateway.cli.main", "db", "upgrade", "-c",
                    str(config)], check=True, capture_output=True, timeout=60)
    made = subprocess.run([sys.executable, "-m", "gateway.cli.main", "db", "backup", "-c",
                           str(config), str(tmp_path / "b.backup")],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert "rows ->" in made.stdout
    refused = subprocess.run([sys.executable, "-m", "gateway.cli.main", "db", "restore",
                              "-c", str(config), str(tmp_path / "b.backup")],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "is not empty: restore into a new database" in refused.stderr
    assert source.store.database_url.startswith("sqlite")
