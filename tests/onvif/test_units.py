"""Small pieces of the adapter: clock-stamped tokens, answers of odd cameras, JPEG checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from adapters.onvif.client import camera_time, check_jpeg
from adapters.onvif.errors import CameraError, CorruptSnapshot
from adapters.onvif.pullpoint import lifetime_s, notification
from adapters.onvif.security import CameraClockOffset, ClockedUsernameToken
from gateway.core.clock import VirtualClock
from simulators.camera.soap import NAMESPACES, SoapFault
from simulators.camera.wsse import UsernameTokenVerifier


def signed_header(token: ClockedUsernameToken) -> etree._Element:
    envelope = etree.fromstring(
        f'<s:Envelope xmlns:s="{NAMESPACES["env"]}"><s:Header/><s:Body/></s:Envelope>')
    envelope, _ = token.apply(envelope, {})
    header = envelope.find(f"{{{NAMESPACES['env']}}}Header")
    assert header is not None
    return header


def test_tokens_carry_gateway_time_plus_the_camera_offset() -> None:
    clock = VirtualClock()
    offset = CameraClockOffset(3600.0)
    token = ClockedUsernameToken("admin", "pw", clock, offset)
    header = signed_header(token)
    created = header.findtext(".//wsu:Created", namespaces=NAMESPACES)
    assert created == datetime.fromtimestamp(clock.now() + 3600, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    camera = UsernameTokenVerifier("admin", "pw")
    camera.verify(header, clock.now() + 3600)  # the camera an hour ahead accepts it
    with pytest.raises(SoapFault, match="nonce replayed"):
        camera.verify(header, clock.now() + 3600)
    with pytest.raises(SoapFault, match="off the camera clock"):
        UsernameTokenVerifier("admin", "pw").verify(signed_header(token), clock.now())


def test_subscription_lifetime_needs_both_times() -> None:
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert lifetime_s(now, now + timedelta(seconds=60)) == 60
    assert lifetime_s(now, None) is None
    assert lifetime_s(now.replace(tzinfo=None), now) is None


def test_odd_notification_messages() -> None:
    assert notification(SimpleNamespace(Topic=None, Message=None)) is None
    bare = notification(SimpleNamespace(Topic=SimpleNamespace(_value_1=" tns1:A/B "),
                                        Message=SimpleNamespace(_value_1=None)))
    assert bare is not None and (bare.topic, bare.operation, bare.data) == ("tns1:A/B",
                                                                             "Changed", {})
    item = SimpleNamespace(Name="State", Value="true")
    body = SimpleNamespace(PropertyOperation="Initialized", Source=None,
                           Data=SimpleNamespace(SimpleItem=[item]))
    full = notification(SimpleNamespace(Topic=SimpleNamespace(_value_1="tns1:X"),
                                        Message=SimpleNamespace(_value_1=body)))
    assert full is not None and full.operation == "Initialized" and full.data == {"State": "true"}


def test_camera_time_of_a_system_date_and_time_answer() -> None:
    utc = SimpleNamespace(Date=SimpleNamespace(Year=2026, Month=9, Day=1),
                          Time=SimpleNamespace(Hour=7, Minute=30, Second=5))
    moment = datetime(2026, 9, 1, 7, 30, 5, tzinfo=UTC).timestamp()
    assert camera_time(SimpleNamespace(UTCDateTime=utc)) == moment


def test_jpeg_check() -> None:
    whole = b"\xff\xd8" + b"\x10" * 200 + b"\xff\xd9"
    check_jpeg(whole)
    check_jpeg(whole + b"\r\n")
    with pytest.raises(CorruptSnapshot, match="not a JPEG"):
        check_jpeg(b"<html>401</html>" * 20)
    with pytest.raises(CorruptSnapshot, match="truncated"):
        check_jpeg(whole[:150])


def test_every_fault_code_is_documented() -> None:
    """Whatever fails, the code at the start of a detail is one docs/onvif.md lists."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "onvif.md").read_text()
    table = doc[doc.index("The `detail` starts with a code"):]
    kinds: list[type[CameraError]] = [CameraError]
    for kind in kinds:
        kinds.extend(kind.__subclasses__())
    undocumented = {k.code for k in kinds if f"| `{k.code}` |" not in table}
    assert not undocumented


async def test_an_answer_zeep_cannot_read_is_a_bad_answer() -> None:
    import zeep.exceptions

    from adapters.onvif.client import CameraClient
    from adapters.onvif.config import CameraConfig, OnvifSettings

    config = CameraConfig.model_validate({
        "type": "camera", "id": "cam-x", "name": "Camera X", "zone": "building-a-1f",
        "host": "127.0.0.1", "port": 1, "username": "admin", "password": "secret"})
    client = CameraClient(config, OnvifSettings(), VirtualClock())

    async def unreadable() -> None:
        raise zeep.exceptions.XMLSyntaxError("Namespace prefix vnd on Extension is not defined")

    try:
        with pytest.raises(CameraError) as raised:
            await client.call("GetSnapshotUri", unreadable())
        assert raised.value.code == "bad_answer"
        assert "not defined" in str(raised.value)
    finally:
        await client.close()
