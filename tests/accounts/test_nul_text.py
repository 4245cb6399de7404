"""Text with a NUL character, which PostgreSQL cannot keep, is refused as bad input (422,
naming where it was) on every route, before anything is stored: in a JSON body, in the
path and in the query. One sent by a device is kept as U+FFFD."""

from __future__ import annotations

from pathlib import Path

from gateway.app.gateway import Gateway
from gateway.core.clock import VirtualClock
from gateway.core.events import Event
from tests.accounts.support import T0, client, logged_in, school
from tests.accounts.test_hazards_api import NEW
from tests.core.support import school_config
from tests.databases import postgres_database


async def test_nul_in_a_body_path_or_query_is_refused_and_nothing_is_stored(
        tmp_path: Path) -> None:
    with postgres_database() as url:
        async with school(tmp_path, store=url) as gateway, client(gateway) as api:
            csrf = await logged_in(api, "operator")
            answer = await api.post("/hazards", headers=csrf,
                                    json={**NEW, "title": "出口\x00堆放"})
            assert answer.status_code == 422, answer.text
            assert answer.json()["detail"][0]["loc"] == ["body", "title"]
            assert "NUL" in answer.text
            assert (await api.get("/hazards/hz%00-1")).status_code == 422
            assert (await api.get("/alerts", params={"state": "all\x00"})).status_code == 422
            assert (await api.get("/hazards")).json() == []
            answer = await api.post("/hazards", headers=csrf,
                                    json={**NEW, "title": "a \\u0000 quoted, not a NUL"})
            assert answer.status_code in (200, 201), answer.text
            assert [h["title"] for h in (await api.get("/hazards")).json()] == [
                "a \\u0000 quoted, not a NUL"]
            assert gateway.parts()["store"].status == "ok"


async def test_a_nul_sent_by_a_device_is_stored_as_a_replacement_and_holds_nothing(
        tmp_path: Path) -> None:
    rule = ("  - {id: odd, select: {type: gate_sensor}, when: {point: open, not_equals: ''},"
            " severity: warning, category: intrusion, title: 'Note {value}'}\n")
    with postgres_database() as url:
        config = school_config(tmp_path, store=url, rules=rule)
        async with Gateway(config, VirtualClock(T0), run_adapters=False) as gateway:
            gateway.bus.publish(Event("s1", "gs-1", "open", "a\x00b", T0))
            gateway.bus.publish(Event("s1", "pb-2", "pressed", True, T0, urgent=True))
            await gateway.settle()
            titles = sorted(a.title for a in await gateway.store.alerts.newest())
            assert len(titles) == 2 and "Note a\ufffdb" in titles
            assert gateway.parts()["store"].status == "ok"
