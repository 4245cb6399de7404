"""The hazard register over the API, as each person: a hazard made from an alert goes round
the closed loop to close-out; a major one needs the safety chief; bad input names its field
and stores nothing; overdue hazards escalate on the virtual clock; photos keep their hash;
the quarterly inspection records its findings as hazards; every step is audited."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.exc import OperationalError

from gateway.accounts import passwords
from gateway.app.api.app import create_api
from gateway.app.gateway import Gateway
from gateway.app.hazards import ESCALATION_CHECK_S, HazardDraft
from gateway.core.clock import VirtualClock
from gateway.core.hazards import HazardCategory, HazardFilter, HazardLevel, HazardSource
from tests.accounts.support import T0, client, logged_in, school
from tests.core.test_alerts import press
from tests.helpers import eventually

DAY = 86400.0
NEW = {"zone": "a3", "category": "exit", "title": "A栋3楼东侧安全出口堆放纸箱",
       "description": "纸箱约1米高，堵住出口门", "responsible": "viewer",
       "deadline": "2026-01-08"}
DRAFT = HazardDraft(zone="a3", category=HazardCategory.EXIT, level=HazardLevel.GENERAL,
                    title="A栋3楼东侧安全出口堆放纸箱", description="纸箱约1米高，堵住出口门",
                    responsible="viewer", deadline=T0 + 7 * DAY)


@pytest.fixture(autouse=True)
def light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with its lightest parameters: what these tests check is the hazard
    register, not what a password costs to guess."""
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def act(api: httpx.AsyncClient, csrf: dict[str, str], hazard_id: str, action: str,
              **body: Any) -> httpx.Response:
    return await api.post(f"/hazards/{hazard_id}/{action}", json=body, headers=csrf)


@asynccontextmanager
async def people(gateway: Gateway, *names: str
                 ) -> AsyncIterator[list[tuple[httpx.AsyncClient, dict[str, str]]]]:
    """A logged-in client and its CSRF header for each of `names`, all of one API (as
    the console's users share the gateway's)."""
    shared = create_api(gateway)
    async with AsyncExitStack() as stack:
        logged = []
        for name in names:
            api = await stack.enter_async_context(client(gateway, api=shared))
            logged.append((api, await logged_in(api, name)))
        yield logged


async def test_a_hazard_from_an_alert_goes_round_the_loop_to_close_out(
        tmp_path: Path, store_url: str) -> None:
    async with school(tmp_path, store=store_url) as gateway:
        press(gateway, "pb-2")
        await gateway.settle()
        [alert] = await gateway.store.alerts.newest()
        async with people(gateway, "operator", "viewer", "supervisor") as [
                (operator, op), (fixer, fx), (chief, sv)]:
            made = await operator.post("/hazards", headers=op, json={
                "alert_id": alert.id, "responsible": "viewer", "deadline": "2026-01-05"})
            assert made.status_code == 201, made.text
            hazard = made.json()
            assert (hazard["id"], hazard["zone"], hazard["source"], hazard["state"]) == (
                "HZ-2026-0001", "a3", "alert", "open")
            assert hazard["title"] == alert.title
            assert (await act(fixer, fx, hazard["id"], "plan",
                              fix_plan="联系总务处当天清走")).status_code == 200
            assert (await act(fixer, fx, hazard["id"], "fix",
                              note="已清走，出口畅通")).json()["state"] == "fixed"
            # A viewer who fixed it cannot verify it, nor can anyone close it yet.
            assert (await act(fixer, fx, hazard["id"], "verify")).status_code == 403
            assert (await act(chief, sv, hazard["id"], "close")).status_code == 409
            assert (await act(operator, op, hazard["id"], "verify",
                              note="现场查看")).json()["state"] == "verified"
            assert (await act(operator, op, hazard["id"], "close")).status_code == 403
            closed = (await act(chief, sv, hazard["id"], "close")).json()
            assert (closed["state"], closed["closed_by"]) == ("closed", "supervisor")
            shown = (await chief.get(f"/hazards/{hazard['id']}")).json()
            assert [(s["actor"], s["action"]) for s in shown["steps"]] == [
                ("operator", "register"), ("viewer", "plan"), ("viewer", "fix"),
                ("operator", "verify"), ("supervisor", "close")]
            by_alert = (await operator.get(f"/hazards?state=all&alert_id={alert.id}")).json()
            assert [h["id"] for h in by_alert] == [hazard["id"]]
        audit = [(e.actor, e.action, e.target) for e in await gateway.store.audit.entries()
                 if e.action.startswith("hazard.")]
        assert audit == [("operator", "hazard.register", "HZ-2026-0001"),
                         ("viewer", "hazard.plan", "HZ-2026-0001"),
                         ("viewer", "hazard.fix", "HZ-2026-0001"),
                         ("operator", "hazard.verify", "HZ-2026-0001"),
                         ("supervisor", "hazard.close", "HZ-2026-0001")]


async def test_a_major_hazard_is_closed_only_by_the_safety_chiefs_review(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, people(
            gateway, "operator", "supervisor", "safety_chief") as [
                (operator, op), (chief, sv), (safety, sc)]:
            hazard = (await operator.post("/hazards", headers=op, json={
                **NEW, "level": "major", "responsible": "supervisor"})).json()
            hazard_id = hazard["id"]
            await act(chief, sv, hazard_id, "fix", note="已清理并加装提示牌")
            await act(operator, op, hazard_id, "verify")
            review = (await act(chief, sv, hazard_id, "close")).json()
            assert review["state"] == "review"
            assert (await act(chief, sv, hazard_id, "review")).status_code == 403
            done = (await act(safety, sc, hazard_id, "review", note="同意销号")).json()
            assert (done["state"], done["reviewed_by"]) == ("closed", "safety_chief")
            reopened = (await act(chief, sv, hazard_id, "reopen",
                                  note="又堆上了")).json()
            assert (reopened["state"], reopened["reopened"]) == ("open", 1)
            steps = (await chief.get(f"/hazards/{hazard_id}")).json()["steps"]
            assert [s["action"] for s in steps] == ["register", "fix", "verify", "close",
                                                    "review", "reopen"]


async def test_bad_hazards_name_the_field_and_nothing_is_stored(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, people(gateway, "operator") as [(operator, op)]:
        cases = [
            ({**NEW, "responsible": ""}, "responsible"),
            ({**NEW, "responsible": "nobody"}, "responsible"),
            ({key: v for key, v in NEW.items() if key != "deadline"}, "deadline"),
            ({**NEW, "deadline": "08/01/2026"}, "deadline"),
            ({**NEW, "deadline": "2025-12-31"}, "deadline"),
            ({**NEW, "zone": "roof"}, "zone"),
            ({**NEW, "category": "ghosts"}, "category"),
            ({**NEW, "alert_id": "nope"}, "alert_id"),
            ({**NEW, "title": " "}, "title"),
        ]
        for body, field in cases:
            answer = await operator.post("/hazards", json=body, headers=op)
            assert answer.status_code == 422, (body, answer.text)
            assert field in {str(part) for e in answer.json()["detail"]
                             for part in e["loc"]}, (field, answer.text)
        assert (await operator.get("/hazards?state=all")).json() == []


async def test_overdue_hazards_escalate_to_supervisors_then_the_principal(
        tmp_path: Path) -> None:
    async with school(tmp_path,
                      extra="hazards: {principal: admin, principal_after: 2d}\n") as gateway:
        clock = gateway.clock
        assert isinstance(clock, VirtualClock)
        async with people(gateway, "operator") as [(operator, op)]:
            late = (await operator.post("/hazards", headers=op, json=NEW)).json()
            fixed = (await operator.post("/hazards", headers=op,
                                         json={**NEW, "responsible": "operator"})).json()
            await act(operator, op, fixed["id"], "fix", note="已清理")
        await gateway.hazards.drain()  # the round the changes started has its schedule
        await clock.advance(8 * DAY)  # past 2026-01-08: the register's round escalates
        await gateway.hazards.drain()
        assert await gateway.hazards.escalate() == []  # once per level
        async with people(gateway, "operator") as [(operator, _)]:  # the session ended
            overdue = (await operator.get("/hazards?state=overdue")).json()
            assert [(h["id"], h["overdue"], h["escalation_level"]) for h in overdue] == [
                (late["id"], True, 1)]
        await clock.advance(2 * DAY)
        await gateway.hazards.drain()
        async with people(gateway, "operator") as [(operator, _)]:
            principal = (await operator.get(f"/hazards/{late['id']}")).json()
            assert principal["escalation_level"] == 2
            assert [s["note"] for s in principal["steps"] if s["action"] == "escalate"] == [
                "overdue since its deadline: to the supervisors",
                "overdue since its deadline: to the principal admin"]
            mine = (await operator.get("/hazards?mine=true&state=all")).json()
            assert [h["id"] for h in mine] == [fixed["id"]]


async def test_photos_are_kept_with_their_hash_and_refused_when_not_images(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, people(gateway, "operator") as [(operator, op)]:
        hazard = (await operator.post("/hazards", headers=op, json=NEW)).json()
        jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
        url = f"/hazards/{hazard['id']}/photos?stage=found&name=exit.jpg"
        stored = await operator.post(url, content=jpeg,
                                     headers={**op, "Content-Type": "image/jpeg"})
        assert stored.status_code == 201, stored.text
        assert stored.json()["sha256"] == hashlib.sha256(jpeg).hexdigest()
        got = await operator.get(f"/hazards/{hazard['id']}/photos/{stored.json()['id']}")
        assert got.content == jpeg
        assert got.headers["x-content-sha256"] == hashlib.sha256(jpeg).hexdigest()
        refused = await operator.post(url, content=b"MZ",
                                      headers={**op, "Content-Type": "text/plain"})
        assert refused.status_code == 415
        files = (await operator.get(f"/hazards/{hazard['id']}")).json()["files"]
        assert [f["name"] for f in files] == ["exit.jpg"]


async def test_the_quarterly_inspection_records_every_category_and_its_findings(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, people(gateway, "supervisor") as [(chief, sv)]:
        [quarter] = (await chief.get("/inspections")).json()
        assert quarter["id"] == "2026-Q1" and quarter["completed_at"] is None
        categories = [c["id"] for c in (await chief.get("/hazards/categories")).json()]
        partial = {c: "ok" for c in categories[:-1]}
        refused = await chief.post("/inspections/2026-Q1/complete", headers=sv,
                                   json={"checklist": partial})
        assert refused.status_code == 422 and "other" in refused.text
        finding = {"category": "electrical", "zone": "a3", "title": "A301插线板私拉乱接",
                   "responsible": "operator", "deadline": "2026-01-10"}
        done = await chief.post("/inspections/2026-Q1/complete", headers=sv, json={
            "checklist": {c: "ok" for c in categories} | {"electrical": "见隐患"},
            "findings": [finding]})
        assert done.status_code == 200, done.text
        [made] = done.json()["hazards"]
        assert (made["source"], made["inspection_id"], made["category"]) == (
            "inspection", "2026-Q1", "electrical")
        again = await chief.post("/inspections/2026-Q1/complete", headers=sv, json={
            "checklist": {c: "ok" for c in categories}})
        assert again.status_code == 409
        [listed] = (await chief.get("/inspections")).json()
        assert listed["completed_by"] == "supervisor"


async def test_a_rule_that_keeps_firing_in_a_zone_registers_one_hazard(tmp_path: Path) -> None:
    repeat = ("hazards:\n  from_rules:\n    - {rule: forced, count: 3, within: 7d, "
              "category: building, responsible: operator, deadline: 2d}\n")
    async with school(tmp_path, extra=repeat) as gateway:
        clock = gateway.clock
        assert isinstance(clock, VirtualClock)
        for _ in range(4):
            press(gateway, "gs-1", point="forced")
            await gateway.settle()
            press(gateway, "gs-1", False, point="forced")  # closed again: the alert clears
            await gateway.settle()
            await clock.advance(DAY)
        await gateway.settle()
        [hazard] = await gateway.store.hazards.find(HazardFilter())
        assert (hazard.source, hazard.zone, hazard.category, hazard.responsible) == (
            HazardSource.RULE, "gate", HazardCategory.BUILDING, "operator")
        assert hazard.found_by == "gateway" and "3" in hazard.title
        assert hazard.deadline == hazard.found_at + 2 * DAY


async def test_a_locked_store_is_said_once_and_the_rounds_go_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with school(tmp_path) as gateway:
        clock = gateway.clock
        assert isinstance(clock, VirtualClock)
        real, calls = gateway.store.hazards.find, []

        async def locked(*args: Any, **kwargs: Any) -> Any:
            calls.append(clock.now())
            if len(calls) <= 3:
                raise OperationalError("SELECT", {}, Exception("database is locked"))
            return await real(*args, **kwargs)
        gateway.store.hazards.find = locked  # type: ignore[method-assign]
        def said() -> list[str]:
            return [r.getMessage() for r in caplog.records if r.name == "gateway.app.hazards"]
        with caplog.at_level(logging.INFO, logger="gateway.app.hazards"):
            await gateway.hazards.register(DRAFT, "operator")  # a round, on a locked store
            for round_ in range(4):  # each round's store work runs on the store's thread
                await clock.advance(ESCALATION_CHECK_S)
                await eventually(lambda n=round_: len(calls) > n, what=f"round {round_}")
            await eventually(lambda: len(said()) == 2, what="the store back")
        assert said() == ["hazard escalation waits for the store: (builtins.Exception) "
                        "database is locked\n[SQL: SELECT]\n(Background on this error at: "
                        "https://sqlalche.me/e/20/e3q8)",
                        "hazard escalation goes on: the store is back"]
