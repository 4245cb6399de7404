"""CAP messages read by a second, independent parser, npm `@dec112/cap-ts` (installed by
scripts/install-peers-cap.sh): an Alert with evidence digests and an area with polygon and
circle, an Update that references it, a Cancel, and a signed drill read back as meant.
(Every other message the CAP tests validate is read back by it too: conftest.py.)"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from gateway.core.alerts import AlertState, Category, Closure, Severity
from gateway.forwarding.cap import AreaShape, CapProfile
from gateway.forwarding.cap_signature import CapSignatureConfig, CapSigner
from tests.forwarding.cap_support import (
    PROFILE,
    SENDER,
    cap_ts_readings,
    encode,
    revision_of,
    valid,
)
from tests.forwarding.certs import make_signing_identity

pytestmark = pytest.mark.interop

FRAME = b"\xff\xd8\xff\xe0 evidence frame \xff\xd9"
LINK = "/api/evidence/a-0001/snapshot.jpg"
URI = f"https://gw.example.edu.cn{LINK}"
AREA = AreaShape((31.2304, 121.4737), ((31.23, 121.47), (31.24, 121.47), (31.24, 121.48)))
FIRST = f"{SENDER},campusgw:no7-middle:a-0001:1,2026-03-02T08:15:00+08:00"


def read(*messages: bytes) -> list[dict[str, Any]]:
    for message in messages:
        valid(message)
    readings = cap_ts_readings(list(messages), processes=1)
    for reading in readings:
        assert "error" not in reading, reading
    return readings


def test_an_alert_with_digests_and_an_area_reads_back_as_meant() -> None:
    revision = revision_of(1, category=Category.FIRE, severity=Severity.HIGH,
                           sop="疏散 Evacuate.")
    [alert] = read(encode(revision, area=AREA, frames={LINK: FRAME}))
    assert {name: alert[name] for name in (
        "identifier", "sender", "sent", "status", "msgType", "scope", "restriction",
        "incidents")} == {
        "identifier": "campusgw:no7-middle:a-0001:1", "sender": SENDER,
        "sent": "2026-03-02T08:15:00+08:00", "status": "Actual", "msgType": "Alert",
        "scope": "Restricted", "restriction": "Police only",
        "incidents": "campusgw:no7-middle:a-0001"}
    assert "references" not in alert
    zh, en = alert["infos"]
    assert (zh["language"], zh["event"], en["language"], en["event"]) == (
        "zh-CN", "火警", "en", "Fire alarm")
    for info, description in ((zh, "现场抓拍"), (en, "Camera snapshot")):
        assert (info["categories"], info["urgency"], info["severity"], info["certainty"]) == (
            ["Fire"], "Immediate", "Severe", "Observed")
        assert (info["senderName"], info["headline"], info["instruction"], info["web"]) == (
            "第七中学", "一键报警 Room A301", "疏散 Evacuate.",
            "https://gw.example.edu.cn/console/alerts/a-0001")
        assert info["resources"] == [{
            "resourceDesc": description, "mimeType": "image/jpeg", "size": str(len(FRAME)),
            "uri": URI, "digest": hashlib.sha1(FRAME).hexdigest()}]
        assert ["campusgw:evidence_sha256", f"{URI} {hashlib.sha256(FRAME).hexdigest()}"] in (
            info["parameters"])
        assert info["areas"] == [{
            "areaDesc": "第七中学 / A栋3楼 / A / 3F / Building A, 3F, room A301",
            "polygons": ["31.23,121.47 31.24,121.47 31.24,121.48 31.23,121.47"],
            "circles": ["31.2304,121.4737 0.05"]}]


def test_an_update_and_a_cancel_reference_the_first_message() -> None:
    update, all_clear, cancel = read(
        encode(revision_of(2, state=AlertState.ACKNOWLEDGED)),
        encode(revision_of(4, state=AlertState.RESOLVED, closure=Closure.REAL)),
        encode(revision_of(5, state=AlertState.CLOSED, closure=Closure.FALSE_ALARM)))
    assert [m["msgType"] for m in (update, all_clear, cancel)] == ["Update", "Update",
                                                                    "Cancel"]
    assert [m["references"] for m in (update, all_clear, cancel)] == [FIRST] * 3
    assert [m["identifier"] for m in (update, all_clear, cancel)] == [
        f"campusgw:no7-middle:a-0001:{n}" for n in (2, 4, 5)]
    assert update["sent"] == "2026-03-02T08:15:02+08:00"
    assert [info["responseTypes"] for info in update["infos"]] == [[], []]
    assert [(info["responseTypes"], info["urgency"]) for info in all_clear["infos"]] == [
        (["AllClear"], "Past")] * 2
    assert [info["resources"][0] for info in cancel["infos"]] == [
        {"resourceDesc": "现场抓拍", "mimeType": "image/jpeg", "uri": URI},
        {"resourceDesc": "Camera snapshot", "mimeType": "image/jpeg", "uri": URI}]


def test_a_signed_public_drill_reads_back_as_an_exercise(tmp_path: Path) -> None:
    identity = make_signing_identity(tmp_path)
    signer = CapSigner(CapSignatureConfig(key=identity.key, certificate=identity.certificate))
    profile = CapProfile(SENDER, sender_name="第七中学安保中心", scope="Public")
    [drill] = read(signer.sign(encode(revision_of(1, drill=True), profile)))
    assert (drill["status"], drill["scope"], drill["msgType"]) == (
        "Exercise", "Public", "Alert")
    assert "restriction" not in drill
    assert drill["note"] == "演练 Drill: not a real emergency; revision 1, state open"
    assert [info["senderName"] for info in drill["infos"]] == ["第七中学安保中心"] * 2
    assert [info.get("web") for info in drill["infos"]] == [None, None]


def test_the_parser_refuses_what_is_not_cap() -> None:
    """The second parser bites: a status CAP does not know is an error, not a reading."""
    good = encode(revision_of(1), PROFILE)
    [reading] = cap_ts_readings([good.replace(b">Actual<", b">Real<")], processes=1)
    assert "Real" in reading["error"]
