"""The API's answers are declared once and described in /openapi.json, so a client can be
generated from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from gateway.app.api.app import create_api
from gateway.app.api.schemas import AlertView
from gateway.app.gateway import Gateway
from gateway.core.alerts import ALERT_FIELDS, Alert, AlertState, Category, Severity
from gateway.core.clock import VirtualClock
from tests.core.support import school_config

NOT_SHOWN = {"escalation"}
"""Stored but not answered as such: the API shows the level reached and the next step's time."""


def test_the_alert_view_is_the_stored_alert() -> None:
    alert = Alert(id="a1", key="k", rule_id="r", site="s", device_id="d", zone="z",
                  category=Category.PANIC, severity=Severity.CRITICAL, title="t", message="m",
                  location="l", state=AlertState.OPEN, latching=True, drill=False,
                  raised_at=1.0, last_event_at=2.0, event_count=1, revision=1)
    answered = set(AlertView.model_fields)
    assert set(ALERT_FIELDS) - NOT_SHOWN <= answered
    assert answered - set(ALERT_FIELDS) == {"next_escalation_at", "police_accepted_after_s",
                                            "police_on_scene_after_s"}
    assert set(alert.to_dict(ZoneInfo("Asia/Shanghai"))) == answered


@pytest.fixture
async def openapi(tmp_path: Path) -> dict[str, Any]:
    async with Gateway(school_config(tmp_path), VirtualClock(), run_adapters=False) as gateway:
        transport = httpx.ASGITransport(app=create_api(gateway))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as api:
            document: dict[str, Any] = (await api.get("/openapi.json")).json()
    return document


AUTH = {"401", "403"}


@pytest.mark.parametrize(("method", "path", "codes"), [
    ("get", "/alerts", {"200", "422", *AUTH}),
    ("get", "/alerts/{alert_id}", {"200", "404", "422", *AUTH}),
    ("post", "/alerts/{alert_id}/{action}", {"200", "404", "409", "422", *AUTH}),
    ("get", "/devices", {"200", *AUTH}),
    ("get", "/health", {"200", "503", *AUTH}),
    ("get", "/modes", {"200", *AUTH}),
    ("get", "/modes/audit", {"200", "422", *AUTH}),
    ("post", "/modes/drill", {"201", "404", "409", "422", *AUTH}),
    ("post", "/modes/{mode_id}/end", {"200", "404", "409", "422", *AUTH}),
    ("post", "/auth/login", {"200", "401", "422", "429"}),
    ("get", "/auth/me", {"200", *AUTH}),
    ("get", "/users", {"200", *AUTH}),
    ("post", "/users", {"201", "409", "422", *AUTH}),
    ("get", "/audit", {"200", "422", *AUTH}),
])
def test_every_answer_and_error_is_described(openapi: dict[str, Any], method: str, path: str,
                                             codes: set[str]) -> None:
    responses = openapi["paths"][path][method]["responses"]
    assert set(responses) == codes
    for code, response in responses.items():
        schema = response["content"]["application/json"]["schema"]
        assert schema, f"{method} {path} {code} has no schema"
