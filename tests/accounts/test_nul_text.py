"""Text with a NUL character, which PostgreSQL cannot keep, is refused as bad input (422,
naming where it was) on every route, before anything is stored: in a JSON body, in the
path and in the query."""

from __future__ import annotations

from pathlib import Path

from tests.accounts.support import client, logged_in, school
from tests.accounts.test_hazards_api import NEW
from tests.databases import postgres_database


async def test_nul_in_a_body_path_or_query_is_refused_and_nothing_is_stored(
        tmp_path: Path) -> None:
    with postgres_database() as url:
        async with school(tmp_path, store=url) as gateway, client(gateway) as api:
            csrf = await logged_in(api, "operator")
            answer = await api.post("/hazards", headers=csrf,
                                    json={**NEW, "title": "出口\x00堆放"})
            assert answer.status_code == 422, answer.text
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
