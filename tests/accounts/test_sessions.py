"""Sessions that end when idle, revoked or their user disabled; logins throttled with the
lockout audited; and the audit chain that tells a removed or altered line."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from gateway.core.accounts import verify_chain
from gateway.core.clock import VirtualClock
from tests.accounts.support import PASSWORD, client, logged_in, school


async def test_a_session_ends_after_its_idle_time_and_lives_while_used(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        clock = gateway.clock
        assert isinstance(clock, VirtualClock)
        await logged_in(api, "viewer")
        for _ in range(3):  # used every 20 minutes: stays
            await clock.advance(20 * 60)
            assert (await api.get("/alerts")).status_code == 200
        await clock.advance(30 * 60 + 1)
        assert (await api.get("/alerts")).status_code == 401


async def test_disabling_a_user_or_changing_their_password_ends_their_sessions(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as operator:
        await logged_in(operator, "operator")
        await gateway.accounts.set_password("operator", "another-long-one", "admin")
        assert (await operator.get("/alerts")).status_code == 401
        await logged_in(operator, "operator", "another-long-one")
        await gateway.accounts.set_disabled("operator", True, "admin")
        assert (await operator.get("/alerts")).status_code == 401
        refused = await operator.post("/auth/login", json={
            "name": "operator", "password": "another-long-one"})
        assert refused.status_code == 401


async def test_repeated_failures_lock_the_account_out_and_are_audited(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        for _ in range(5):
            wrong = await api.post("/auth/login", json={"name": "operator", "password": "no"})
            assert wrong.status_code == 401
            assert wrong.json()["detail"] == "bad name or password"
        unknown = await api.post("/auth/login", json={"name": "nobody", "password": "no"})
        assert unknown.json()["detail"] == "bad name or password"  # names are not told
        locked = await api.post("/auth/login", json={"name": "operator", "password": PASSWORD})
        assert locked.status_code == 429
        clock = gateway.clock
        assert isinstance(clock, VirtualClock)
        await clock.advance(15 * 60 + 1)
        await logged_in(api, "operator")
        actions = [e.action for e in await gateway.store.audit.entries()]
    assert actions.count("login.failed") == 6
    assert "login.locked" in actions and "login.refused_locked" in actions
    assert actions[-1] == "login"


async def test_the_audit_chain_tells_a_removed_and_an_altered_line(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        csrf = await logged_in(api, "supervisor")
        assert (await api.post("/modes/drill", json={"minutes": 5, "note": "fire"},
                               headers=csrf)).status_code == 201
        entries = await gateway.store.audit.entries()
        check = (await api.get("/audit/verify")).json()
    assert check == {"entries": len(entries), "problems": []}
    assert [e.action for e in entries][-2:] == ["login", "mode.drill"]
    assert entries[-1].actor == "supervisor" and entries[-1].detail["kind"] == "drill"
    assert verify_chain(entries[:2] + entries[3:]) == ["line 3 missing"]
    altered = [*entries[:1], dataclasses.replace(entries[1], actor="someone"), *entries[2:]]
    assert verify_chain(altered) == ["line 2: altered (its hash does not match its content)"]


def campusgw(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli.main", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_users_and_tokens_from_the_command_line_and_audit_verify(tmp_path: Path) -> None:
    from tests.core.support import school_config

    school_config(tmp_path)
    config = str(tmp_path / "gateway.yaml")
    added = campusgw("users", "add", "zhang.min", "-c", config, "--role", "supervisor",
                     "--password-stdin", stdin="a-long-password\n")
    assert added.returncode == 0, added.stderr
    short = campusgw("users", "add", "li.wei", "-c", config, "--role", "operator",
                     "--password-stdin", stdin="short\n")
    assert (short.returncode, short.stderr.strip().splitlines()[-1]) == (
        1, "error: a password needs at least 10 characters")
    listed = campusgw("users", "list", "-c", config)
    assert listed.stdout.split()[:3] == ["zhang.min", "supervisor", "zh-CN"]
    token = campusgw("tokens", "add", "police", "-c", config, "--role", "viewer")
    assert token.stdout.startswith("cgw_")
    assert campusgw("users", "disable", "zhang.min", "-c", config).returncode == 0
    verified = campusgw("audit", "verify", "-c", config)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit log intact: 3 lines")
    import sqlite3
    with sqlite3.connect(tmp_path / "gw.db") as db:
        db.execute("UPDATE audit_log SET detail = '{\"role\": \"admin\"}' WHERE seq = 1")
    db.close()
    broken = campusgw("audit", "verify", "-c", config)
    assert broken.returncode == 1
    assert "line 1: altered" in broken.stderr
