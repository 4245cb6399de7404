"""Operators work alerts through the API as themselves: the claim another operator sees
and cannot override, a supervisor forcing it, the checklist that blocks resolving, a drill
alert promoted to real and forwarded at once, shift handover, procedures edited into new
versions, the evidence package, each person's language, and the security headers."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from gateway.core.accounts import Role
from gateway.core.alerts import AlertState
from tests.accounts.support import PASSWORD, client, logged_in, school
from tests.core.test_alerts import press

PANIC_SOP = """
sops:
  - id: SOP-P
    title: 一键报警处置
    title_en: One-button alarm
    category: panic
    steps:
      - {id: look, text: 查看摄像机, text_en: View the camera}
      - {id: real, kind: yesno, text: 确认真实紧急情况？, required: true}
      - {id: call, kind: call, text: 拨打110, number: "110", required: true}
"""


async def raised(gateway) -> str:  # type: ignore[no-untyped-def]
    press(gateway, "pb-2")
    await gateway.settle()
    [alert] = await gateway.store.alerts.newest()
    return alert.id


async def test_a_claimed_alert_is_worked_only_by_its_owner_unless_a_supervisor_forces(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        await gateway.accounts.add_user("operator2", PASSWORD, Role.OPERATOR, "test")
        alert_id = await raised(gateway)
        async with client(gateway) as one, client(gateway) as two, client(gateway) as chief:
            one_csrf, two_csrf = await logged_in(one, "operator"), await logged_in(two, "operator2")
            chief_csrf = await logged_in(chief, "supervisor")
            claimed = await one.post(f"/alerts/{alert_id}/claim", json={}, headers=one_csrf)
            assert claimed.json()["owner"] == "operator"
            seen = (await two.get(f"/alerts/{alert_id}")).json()
            assert seen["owner"] == "operator"
            refused = await two.post(f"/alerts/{alert_id}/ack", json={}, headers=two_csrf)
            assert refused.status_code == 409
            assert refused.json()["detail"].startswith("claimed by operator")
            not_forced = await two.post(f"/alerts/{alert_id}/ack", json={"force": True},
                                        headers=two_csrf)
            assert not_forced.status_code == 409
            forced = await chief.post(f"/alerts/{alert_id}/ack",
                                      json={"force": True, "note": "taking over"},
                                      headers=chief_csrf)
            assert forced.status_code == 200, forced.text
            assert forced.json()["state"] == "acknowledged"
        history = await gateway.store.alerts.history(alert_id)
        assert [(h.action, h.actor) for h in history][1:] == [("claim", "operator"),
                                                              ("ack", "supervisor")]
        assert history[-1].note == "forced (claimed by operator) · taking over"
        audit = [(e.actor, e.action) for e in await gateway.store.audit.newest(20)]
        assert ("supervisor", "alert.ack") in audit and ("operator", "alert.claim") in audit


async def test_the_procedure_blocks_resolving_until_its_required_steps_are_done(
        tmp_path: Path) -> None:
    async with school(tmp_path, extra=PANIC_SOP) as gateway:
        alert_id = await raised(gateway)
        async with client(gateway) as api:
            csrf = await logged_in(api, "operator")
            alert = (await api.get(f"/alerts/{alert_id}")).json()
            assert (alert["sop_id"], alert["sop_version"]) == ("SOP-P", 1)
            assert [(s["id"], s["required"], s["value"]) for s in alert["checklist"]] == [
                ("look", False, None), ("real", True, None), ("call", True, None)]
            await api.post(f"/alerts/{alert_id}/ack", json={}, headers=csrf)
            blocked = await api.post(f"/alerts/{alert_id}/resolve", json={"reason": "real"},
                                     headers=csrf)
            assert blocked.status_code == 409
            assert blocked.json()["detail"] == "required steps not done: real, call"
            for step, value in (("real", "yes"), ("call", "called")):
                done = await api.post(f"/alerts/{alert_id}/steps/{step}",
                                      json={"value": value}, headers=csrf)
                assert done.status_code == 200, done.text
            resolved = await api.post(f"/alerts/{alert_id}/resolve",
                                      json={"reason": "real", "note": "民警已到场"},
                                      headers=csrf)
            assert (resolved.json()["state"], resolved.json()["closure"]) == ("resolved", "real")
            queue = (await api.get("/alerts?state=queue")).json()  # latched: until closed
            assert [a["id"] for a in queue] == [alert_id]
            detail = (await api.get(f"/alerts/{alert_id}")).json()
            assert [s["by"] for s in detail["checklist"]] == [None, "operator", "operator"]
            assert [(h["action"], h["note"]) for h in detail["history"]][2:] == [
                ("step", "real = yes"), ("step", "call = called"),
                ("resolve", "real · 民警已到场")]


async def test_a_drill_alert_promoted_to_real_goes_to_the_police_at_once(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        async with client(gateway) as chief, client(gateway) as api:
            csrf = await logged_in(chief, "supervisor")
            started = await chief.post("/modes/drill", json={"zone": "a3", "minutes": 20},
                                       headers=csrf)
            assert started.status_code == 201, started.text
            alert_id = await raised(gateway)
            assert (await gateway.store.alerts.get(alert_id)).drill  # type: ignore[union-attr]
            csrf = await logged_in(api, "operator")
            promoted = await api.post(f"/alerts/{alert_id}/promote",
                                      json={"note": "真的有人受伤"}, headers=csrf)
            assert promoted.json()["drill"] is False
        jobs = await gateway.store.outbox.jobs(alert_id)  # the log channel takes drills too
        assert [(j.channel, j.revision, j.payload.alert.drill) for j in jobs] == [
            ("log", 1, True), ("log", 2, False)]
        audit = [(e.actor, e.action, e.target) for e in await gateway.store.audit.newest(5)]
        assert ("operator", "alert.promote", alert_id) in audit


async def test_snooze_forward_dispatch_and_their_refusals(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        await gateway.accounts.add_user("operator2", PASSWORD, Role.OPERATOR, "test")
        alert_id = await raised(gateway)
        async with client(gateway) as api:
            csrf = await logged_in(api, "operator")
            critical = await api.post(f"/alerts/{alert_id}/snooze", json={"minutes": 5},
                                      headers=csrf)
            assert (critical.status_code, critical.json()["detail"]) == (
                409, "a critical alert is never snoozed")
            to_viewer = await api.post(f"/alerts/{alert_id}/forward", json={"to": "viewer"},
                                       headers=csrf)
            assert to_viewer.status_code == 409
            sent = await api.post(f"/alerts/{alert_id}/dispatch",
                                  json={"kind": "guard", "to": "张师傅"}, headers=csrf)
            assert sent.json()["dispatches"][0]["to"] == "张师傅"
            handed = await api.post(f"/alerts/{alert_id}/forward",
                                    json={"to": "operator2", "note": "你来"}, headers=csrf)
            assert handed.json()["owner"] == "operator2"
            assert (await api.post(f"/alerts/{alert_id}/ack", json={},
                                   headers=csrf)).status_code == 409


async def test_a_shift_is_handed_over_and_accepted_by_the_next_operator(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        await gateway.accounts.add_user("operator2", PASSWORD, Role.OPERATOR, "test")
        alert_id = await raised(gateway)
        async with client(gateway) as out, client(gateway) as incoming:
            csrf = await logged_in(out, "operator")
            written = await out.post("/handover", json={"note": "A301 报警待处理"},
                                     headers=csrf)
            assert written.status_code == 201
            handover = written.json()
            assert handover["open"] == [alert_id]
            own = await out.post(f"/handover/{handover['id']}/accept", json={}, headers=csrf)
            assert own.status_code == 409
            csrf2 = await logged_in(incoming, "operator2")
            assert (await incoming.get("/handover")).json()["pending"]["id"] == handover["id"]
            accepted = await incoming.post(f"/handover/{handover['id']}/accept",
                                           json={"note": "收到"}, headers=csrf2)
            assert accepted.json()["accepted_by"] == "operator2"
            again = await incoming.post(f"/handover/{handover['id']}/accept", json={},
                                        headers=csrf2)
            assert again.status_code == 409
            assert (await incoming.get("/handover")).json()["pending"] is None


async def test_a_supervisor_edits_a_procedure_into_a_new_version(tmp_path: Path) -> None:
    async with school(tmp_path, extra=PANIC_SOP) as gateway:
        async with client(gateway) as chief:
            csrf = await logged_in(chief, "supervisor")
            edit = {"title": "一键报警处置", "category": "panic",
                    "steps": [{"id": "call", "kind": "call", "text": "拨打110",
                               "number": "110", "required": True}]}
            bad = await chief.put("/sops/SOP-P", json={**edit, "steps": [
                {"id": "call", "kind": "call", "text": "拨打"}]}, headers=csrf)
            assert bad.status_code == 422
            edited = await chief.put("/sops/SOP-P", json=edit, headers=csrf)
            assert edited.json()["version"] == 2 and edited.json()["edited_by"] == "supervisor"
            versions = (await chief.get("/sops/SOP-P/versions")).json()
            assert [v["version"] for v in versions] == [2, 1]
        alert_id = await raised(gateway)
        alert = await gateway.store.alerts.get(alert_id)
        assert alert is not None and (alert.sop_version, len(alert.checklist)) == (2, 1)
        assert ("supervisor", "sop.edit") in [(e.actor, e.action)
                                              for e in await gateway.store.audit.newest(5)]


async def test_the_evidence_package_holds_the_frames_alert_history_and_their_hashes(
        tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        alert_id = await raised(gateway)
        folder = gateway.config.adapters.video.evidence_dir / "cam-1" / alert_id
        folder.mkdir(parents=True)
        frame = b"\xff\xd8 a jpeg \xff\xd9"
        (folder / "000-1-alert.jpg").write_bytes(frame)
        link = f"cam-1/{alert_id}/000-1-alert.jpg"
        (folder / "manifest.json").write_text(json.dumps([{
            "camera_id": "cam-1", "alert_id": alert_id, "role": "alert", "ts": 1.0,
            "link": link, "sha256": hashlib.sha256(frame).hexdigest(), "size": len(frame)}]))
        await gateway.manager.attach_evidence(alert_id, [f"evidence/{link}"])
        async with client(gateway) as api:
            await logged_in(api, "viewer")
            [item] = (await api.get(f"/alerts/{alert_id}/evidence")).json()
            assert item["url"] == f"/evidence/{link}"
            assert (await api.get(item["url"])).content == frame
            package = await api.get(f"/alerts/{alert_id}/package")
            assert package.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(package.content))
        manifest = json.loads(archive.read("manifest.json"))
        assert set(manifest["files"]) == {"alert.json", "history.json", f"frames/{link}"}
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        assert json.loads(archive.read("alert.json"))["id"] == alert_id
        assert [h["action"] for h in json.loads(archive.read("history.json"))] == [
            "raised", "evidence"]
        assert ("viewer", "alert.package") in [(e.actor, e.action)
                                               for e in await gateway.store.audit.newest(3)]


async def test_each_person_keeps_their_language(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        csrf = await logged_in(api, "operator")
        assert (await api.get("/auth/me")).json()["language"] == "zh-CN"
        changed = await api.put("/auth/me/language", json={"language": "en"}, headers=csrf)
        assert changed.json()["language"] == "en"
        assert (await api.get("/auth/me")).json()["language"] == "en"
        refused = await api.put("/auth/me/language", json={"language": "fr"}, headers=csrf)
        assert refused.status_code == 422


async def test_every_answer_carries_strict_security_headers(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        for path in ("/live", "/alerts", "/"):
            headers = (await api.get(path)).headers
            policy = headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
            assert "frame-ancestors 'none'" in policy
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert "strict-transport-security" not in headers  # no TLS here
        assert (await api.get("/docs")).headers["location"] == "/docs.html"


async def test_queue_state_is_what_a_console_shows(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway, client(gateway) as api:
        alert_id = await raised(gateway)
        await logged_in(api, "viewer")
        [shown] = (await api.get("/alerts?state=queue")).json()
        assert (shown["id"], shown["state"], shown["owner"]) == (alert_id, AlertState.OPEN, "")
        assert (await api.get("/alerts?state=queue")).json() == [shown]  # read once
        async with client(gateway) as operator:
            csrf = await logged_in(operator, "operator")
            await operator.post(f"/alerts/{alert_id}/claim", json={}, headers=csrf)
        [claimed] = (await api.get("/alerts?state=queue")).json()
        assert claimed["owner"] == "operator"  # a change is never served from the last read
        settings = (await api.get("/console/settings")).json()
        assert settings["ack_target_s"]["critical"] == 60
        assert "false_alarm" in settings["closure_reasons"]
