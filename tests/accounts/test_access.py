"""Every endpoint that returns or changes site data needs a login or token, and each role
may do exactly what it should: a table over every route of the API and every role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.app.api.app import create_api
from gateway.core.accounts import Role
from tests.accounts.support import client, logged_in, school
from tests.core.test_alerts import press

V, OP, S, A = Role.VIEWER, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN
OPEN = {("GET", "/live"), ("POST", "/auth/login"),
        ("POST", "/linkage/{channel_id}/status")}  # signed by the platform instead
ROUTES: list[tuple[str, str, str, dict[str, Any] | None, Role]] = [
    # method, route, as requested, body, the least role allowed
    ("GET", "/health", "/health", None, V),
    ("GET", "/metrics", "/metrics", None, V),
    ("GET", "/alerts", "/alerts", None, V),
    ("GET", "/alerts/{alert_id}", "/alerts/nope", None, V),
    ("GET", "/devices", "/devices", None, V),
    ("GET", "/modes", "/modes", None, V),
    ("GET", "/modes/audit", "/modes/audit", None, V),
    ("GET", "/evidence/{path}", "/evidence/cam/a/frame.jpg", None, V),
    ("GET", "/cameras/{camera_id}/reference", "/cameras/cam/reference", None, V),
    ("GET", "/auth/me", "/auth/me", None, V),
    ("POST", "/auth/logout", "/auth/logout", None, V),
    ("GET", "/alerts/{alert_id}/evidence", "/alerts/nope/evidence", None, V),
    ("GET", "/alerts/{alert_id}/package", "/alerts/nope/package", None, V),
    ("GET", "/console/settings", "/console/settings", None, V),
    ("GET", "/plans", "/plans", None, V),
    ("GET", "/plans/{plan_id}/image", "/plans/nope/image", None, V),
    ("GET", "/zones", "/zones", None, V),
    ("GET", "/cameras/{camera_id}/snapshot", "/cameras/cam/snapshot", None, V),
    ("PUT", "/auth/me/language", "/auth/me/language", {"language": "en"}, V),
    ("GET", "/handover", "/handover", None, V),
    ("GET", "/sops", "/sops", None, V),
    ("GET", "/sops/{sop_id}/versions", "/sops/nope/versions", None, V),
    ("POST", "/alerts/{alert_id}/{action}", "/alerts/nope/ack", {}, OP),
    ("POST", "/alerts/{alert_id}/resolve", "/alerts/nope/resolve", {"reason": "real"}, OP),
    ("POST", "/alerts/{alert_id}/snooze", "/alerts/nope/snooze", {"minutes": 5}, OP),
    ("POST", "/alerts/{alert_id}/forward", "/alerts/nope/forward", {"to": "operator"}, OP),
    ("POST", "/alerts/{alert_id}/dispatch", "/alerts/nope/dispatch",
     {"kind": "guard", "to": "gate guard"}, OP),
    ("POST", "/alerts/{alert_id}/steps/{step_id}", "/alerts/nope/steps/s1", {"value": "done"},
     OP),
    ("POST", "/alerts/{alert_id}/silence", "/alerts/nope/silence", {}, OP),
    ("POST", "/handover", "/handover", {"note": "quiet night"}, OP),
    ("POST", "/handover/{handover_id}/accept", "/handover/nope/accept", {}, OP),
    ("PUT", "/sops/{sop_id}", "/sops/nope", {"title": "t", "steps": [{"id": "a", "text": "x"}]},
     S),
    ("POST", "/cameras/{camera_id}/reference", "/cameras/cam/reference", None, OP),
    ("POST", "/modes/drill", "/modes/drill", {"minutes": 10}, S),
    ("POST", "/modes/maintenance", "/modes/maintenance",
     {"device_id": "pb-1", "minutes": 10, "action": "mark"}, S),
    ("POST", "/modes/{mode_id}/end", "/modes/nope/end", {}, S),
    ("GET", "/audit", "/audit", None, S),
    ("GET", "/audit/verify", "/audit/verify", None, S),
    ("GET", "/hazards", "/hazards", None, V),
    ("GET", "/hazards/categories", "/hazards/categories", None, V),
    ("GET", "/hazards/{hazard_id}", "/hazards/nope", None, V),
    ("GET", "/hazards/{hazard_id}/photos/{file_id}", "/hazards/nope/photos/x", None, V),
    ("POST", "/hazards/{hazard_id}/{action}", "/hazards/nope/fix", {"note": "done"}, V),
    ("POST", "/hazards/{hazard_id}/photos", "/hazards/nope/photos", None, V),
    ("POST", "/hazards/{hazard_id}/camera", "/hazards/nope/camera?camera=cam", None, V),
    ("GET", "/hazards/people", "/hazards/people", None, OP),
    ("POST", "/hazards", "/hazards",
     {"zone": "nope", "responsible": "viewer", "deadline": "2026-01-08"}, OP),
    ("GET", "/inspections", "/inspections", None, V),
    ("POST", "/inspections/{inspection_id}/complete", "/inspections/nope/complete",
     {"checklist": {}}, S),
    ("GET", "/statistics", "/statistics?month=nope", None, V),
    ("GET", "/drills", "/drills", None, V),
    ("GET", "/drills/{drill_id}", "/drills/nope", None, V),
    ("POST", "/drills", "/drills", {}, S),
    ("POST", "/drills/{drill_id}/start", "/drills/nope/start", None, S),
    ("POST", "/drills/{drill_id}/end", "/drills/nope/end", {}, S),
    ("POST", "/drills/{drill_id}/record", "/drills/nope/record", {}, S),
    ("GET", "/reports/monthly", "/reports/monthly?month=nope", None, S),
    ("GET", "/reports/quarterly", "/reports/quarterly?quarter=nope", None, S),
    ("GET", "/reports/term", "/reports/term?term=nope", None, S),
    ("GET", "/users", "/users", None, A),
    ("POST", "/users", "/users",
     {"name": "new.one", "password": "long-enough-pw", "role": "viewer"}, A),
    ("POST", "/users/{name}", "/users/viewer", {"disabled": False}, A),
    ("GET", "/tokens", "/tokens", None, A),
    ("POST", "/tokens", "/tokens", {"name": "police-evidence", "role": "viewer"}, A),
    ("POST", "/tokens/{name}/revoke", "/tokens/nope/revoke", None, A),
]


async def test_the_table_names_every_route_of_the_api(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        paths = create_api(gateway).openapi()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes - OPEN == {(method, route) for method, route, *_ in ROUTES} | {
        ("GET", "/stream")}


@pytest.mark.parametrize(("method", "route", "path", "body", "least"), ROUTES,
                         ids=[f"{m} {r}" for m, r, *_ in ROUTES])
async def test_each_role_is_allowed_or_refused(tmp_path: Path, method: str, route: str,
                                              path: str, body: dict[str, Any] | None,
                                              least: Role) -> None:
    async with school(tmp_path) as gateway:
        async with client(gateway) as anonymous:
            refused = await anonymous.request(method, path, json=body)
            assert refused.status_code == 401, refused.text
        for role in Role:
            async with client(gateway) as api:
                csrf = await logged_in(api, role.value)
                answer = await api.request(method, path, json=body, headers=csrf)
                if role.allows(least):
                    assert answer.status_code not in (401, 403), (role, answer.text)
                else:
                    assert answer.status_code == 403, (role, answer.text)


async def test_a_browser_change_without_the_csrf_token_is_refused(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        csrf = await logged_in(api, "supervisor")
        assert (await api.post("/modes/drill", json={"minutes": 5})).status_code == 403
        wrong = {"X-CSRF-Token": "x" + csrf["X-CSRF-Token"]}
        assert (await api.post("/modes/drill", json={"minutes": 5},
                               headers=wrong)).status_code == 403
        assert (await api.post("/modes/drill", json={"minutes": 5},
                               headers=csrf)).status_code == 201


async def test_a_token_acts_with_its_role_as_itself_and_is_shown_once(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        async with client(gateway) as admin:
            csrf = await logged_in(admin, "admin")
            issued = (await admin.post("/tokens", json={"name": "police-evidence",
                                                        "role": "viewer"},
                                       headers=csrf)).json()
            listed = (await admin.get("/tokens")).json()
            assert [t["name"] for t in listed] == ["police-evidence"]
            assert issued["token"] not in str(listed)
        bearer = {"Authorization": f"Bearer {issued['token']}"}
        async with client(gateway, bearer) as machine:
            assert (await machine.get("/alerts")).status_code == 200
            assert (await machine.post("/alerts/nope/ack", json={})).status_code == 403
            assert (await machine.get("/auth/me")).json()["name"] == "token:police-evidence"
        async with client(gateway) as admin:
            csrf = await logged_in(admin, "admin")
            assert (await admin.post("/tokens/police-evidence/revoke",
                                     headers=csrf)).status_code == 204
        async with client(gateway, bearer) as machine:
            assert (await machine.get("/alerts")).status_code == 401
        stored = await gateway.store.tokens.all()
        assert issued["token"] not in repr(stored)


async def test_closing_a_latched_alert_takes_a_supervisor(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        press(gateway, "pb-2")
        await gateway.settle()
        [alert] = await gateway.store.alerts.newest()
        async with client(gateway) as operator:
            csrf = await logged_in(operator, "operator")
            for action, body in (("ack", {}), ("resolve", {"reason": "real"})):
                done = await operator.post(f"/alerts/{alert.id}/{action}", json=body,
                                           headers=csrf)
                assert done.status_code == 200, done.text
            refused = await operator.post(f"/alerts/{alert.id}/close", json={}, headers=csrf)
            assert refused.status_code == 403
        async with client(gateway) as supervisor:
            csrf = await logged_in(supervisor, "supervisor")
            claimed = await supervisor.post(f"/alerts/{alert.id}/close", json={},
                                            headers=csrf)
            assert claimed.status_code == 409
            assert "claimed by operator" in claimed.json()["detail"]
            closed = await supervisor.post(f"/alerts/{alert.id}/close", json={"force": True},
                                           headers=csrf)
            assert closed.json()["state"] == "closed"
        actors = [(h.action, h.actor) for h in await gateway.store.alerts.history(alert.id)]
        assert actors[1:] == [("ack", "operator"), ("resolve", "operator"),
                              ("close", "supervisor")]


async def test_the_live_stream_needs_a_login(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as anonymous:
        assert (await anonymous.get("/stream")).status_code == 401
