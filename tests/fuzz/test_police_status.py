"""Whatever the police platform posts, signed, to the status endpoint is answered with a
documented code and a JSON body: never a 500, and nothing stored that breaks the alert."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.app.api.linkage import MAX_STATUSES
from tests.fuzz import BOUNDED, binary, text
from tests.fuzz.police_status import Harness, police_linked, post_status, report

FIELDS = st.fixed_dictionaries({}, optional={
    "alert_id": text(70), "status": st.sampled_from(
        ["accepted", "rejected", "dispatched", "on_scene", "closed", "cancel_ack", "lost"]),
    "at": st.datetimes().map(str) | st.sampled_from(
        ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-01-01T08:00:00+08:00",
         "2026-01-01T08:00:00", "not a time", ""]),
    "reason": text(30), "unit": text(30),
    "eta_s": st.floats() | st.integers() | st.none(), "disposition": text(30),
    "note": text(30), "extra": st.integers()})


@pytest.fixture
async def linked(tmp_path: Path, store_url: str
                 ) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with police_linked(tmp_path, store_url) as (api, alert_id):
        yield api, alert_id


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    running = Harness()
    yield running
    running.close()


@BOUNDED
@given(FIELDS)
def test_any_status_report_is_answered_as_documented(harness: Harness,
                                                     document: dict[str, object]) -> None:
    harness.post(_body(document, harness.alert_id))


@BOUNDED
@given(binary(200))
def test_any_body_is_answered_as_documented(harness: Harness, data: bytes) -> None:
    harness.post(report(harness.alert_id, data))


def _body(document: dict[str, object], alert_id: str) -> bytes:
    document.setdefault("alert_id", alert_id)
    return json.dumps(document).encode()


@pytest.mark.parametrize("field", ["reason", "unit", "note", "disposition", "alert_id"])
async def test_a_nul_character_is_refused_on_every_store(
        linked: tuple[httpx.AsyncClient, str], field: str) -> None:
    api, alert_id = linked
    body = _body({"status": "accepted", field: "a\x00b"}, alert_id)
    answer = await post_status(api, body, f"nul-{field}")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                                "2100-01-01T00:00:00Z", "1999-12-31T23:59:59Z"])
def test_a_time_no_time_zone_can_show_is_refused(harness: Harness, at: str) -> None:
    answer = harness.post(_body({"status": "accepted", "at": at}, harness.alert_id))
    assert answer.status_code == 422
    shown = harness.post(_body({"status": "accepted", "at": "2026-01-01T08:00:14+08:00"},
                               harness.alert_id))
    assert shown.status_code == 200 and shown.json()["duplicate"] is False


def test_a_number_too_large_for_json_is_refused_in_json(harness: Harness) -> None:
    body = f'{{"alert_id": "{harness.alert_id}", "status": "dispatched", "eta_s": 1e400}}'
    answer = harness.post(body.encode())
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["eta_s"]


def test_an_alert_keeps_a_bounded_number_of_statuses() -> None:
    """Every status is shown with its alert in every change: without a bound, one alert
    grew (and the live feed with it) by the size of each status, without end."""
    running = Harness()
    try:
        body = _body({"status": "dispatched", "note": "n" * 1500}, running.alert_id)
        codes = [running.post(body).status_code for _ in range(MAX_STATUSES + 5)]
        assert codes == [200] * MAX_STATUSES + [409] * 5
        again = running.post(body)  # a refused key is not taken: refused again, not "duplicate"
        assert again.status_code == 409
    finally:
        running.close()
