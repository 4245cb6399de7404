"""The camera simulator's SOAP services, security, snapshots and control API, spoken to
with plain HTTP and hand-written envelopes."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from lxml import etree

from gateway.core.clock import VirtualClock
from simulators.camera import CameraControl, CameraSimulator
from tests.helpers import free_port, wait_for_port
from tests.onvif.harness import PASSWORD

NS = {"env": "http://www.w3.org/2003/05/soap-envelope", "tt": "http://www.onvif.org/ver10/schema",
      "tds": "http://www.onvif.org/ver10/device/wsdl", "tev": "http://www.onvif.org/ver10/events/wsdl",
      "wsnt": "http://docs.oasis-open.org/wsn/b-2", "wsa": "http://www.w3.org/2005/08/addressing"}
ROOT = Path(__file__).resolve().parents[2]


def security(created: datetime, password: str = PASSWORD, nonce: bytes | None = None) -> str:
    nonce = nonce or os.urandom(16)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + stamp.encode() + password.encode()).digest())
    return (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        'wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-'
        '200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken><wsse:Username>admin'
        '</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-'
        f'200401-wss-username-token-profile-1.0#PasswordDigest">{digest.decode()}'
        f"</wsse:Password><wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{stamp}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def soap(body: str, header: str = "") -> str:
    return (f'<s:Envelope xmlns:s="{NS["env"]}" xmlns:tds="{NS["tds"]}" xmlns:tev="{NS["tev"]}"'
            f' xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:wsnt="{NS["wsnt"]}">'
            f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>")


def now_utc(clock: VirtualClock | None = None, offset_s: float = 0.0) -> datetime:
    seconds = (clock.now() if clock else datetime.now(UTC).timestamp()) + offset_s
    return datetime.fromtimestamp(seconds, UTC)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


async def post(http: httpx.AsyncClient, url: str, body: str,
               header: str = "") -> tuple[int, etree._Element]:
    response = await http.post(url, content=soap(body, header),
                               headers={"Content-Type": "application/soap+xml"})
    return response.status_code, etree.fromstring(response.content)


def fault_text(root: etree._Element) -> str:
    return " ".join(root.xpath("//env:Fault//text()", namespaces=NS))


async def test_system_date_and_time_needs_no_credentials_and_shows_the_offset(
        http: httpx.AsyncClient) -> None:
    clock = VirtualClock()
    async with CameraSimulator(cameras=1, password=PASSWORD, clock=clock,
                               clock_offset_s=3600) as sim:
        status, root = await post(http, sim.device_service_url(0),
                                  "<tds:GetSystemDateAndTime/>")
        assert status == 200
        hour = root.findtext(".//tt:UTCDateTime/tt:Time/tt:Hour", namespaces=NS)
        assert int(hour or -1) == now_utc(clock, 3600).hour == 1


async def test_operations_need_a_valid_digest(sim: CameraSimulator,
                                              http: httpx.AsyncClient) -> None:
    url = sim.device_service_url(0)
    status, root = await post(http, url, "<tds:GetDeviceInformation/>")
    assert status == 400 and "NotAuthorized" in fault_text(root)
    status, root = await post(http, url, "<tds:GetDeviceInformation/>",
                              security(now_utc(), password="guess"))
    assert status == 400 and "wrong password" in fault_text(root)
    status, root = await post(http, url, "<tds:GetDeviceInformation/>", security(now_utc()))
    assert status == 200
    assert root.findtext(".//tds:SerialNumber", namespaces=NS) == "SIM00000"
    status, root = await post(http, f"{sim.base_url}/onvif/device_service",
                              "<tds:GetDeviceInformation/>", security(now_utc()))
    assert status == 200  # the usual fixed path reaches camera 0
    assert root.findtext(".//tds:SerialNumber", namespaces=NS) == "SIM00000"


async def test_services_and_capabilities_need_no_credentials(
        sim: CameraSimulator, http: httpx.AsyncClient) -> None:
    """GetServices and GetCapabilities are ONVIF access class PRE_AUTH, like
    GetSystemDateAndTime: a client finds the services before it authenticates."""
    url = sim.device_service_url(1)
    status, root = await post(http, url, '<tds:GetServices><tds:IncludeCapability>false'
                                         '</tds:IncludeCapability></tds:GetServices>')
    assert status == 200, fault_text(root)
    xaddrs = root.xpath("//tds:Service/tds:XAddr/text()", namespaces=NS)
    assert f"{sim.base_url}/onvif/cam1/events_service" in xaddrs
    status, root = await post(http, url, "<tds:GetCapabilities><tds:Category>All"
                                         "</tds:Category></tds:GetCapabilities>")
    assert status == 200, fault_text(root)
    assert root.findtext(".//tt:Media/tt:XAddr", namespaces=NS) == (
        f"{sim.base_url}/onvif/cam1/media_service")


async def test_scopes_name_the_camera_its_hardware_and_location(
        sim: CameraSimulator, http: httpx.AsyncClient) -> None:
    url = sim.device_service_url(1)
    status, root = await post(http, url, "<tds:GetScopes/>")
    assert status == 400 and "NotAuthorized" in fault_text(root)
    status, root = await post(http, url, "<tds:GetScopes/>", security(now_utc()))
    assert status == 200, fault_text(root)
    scopes = dict(zip(root.xpath("//tds:Scopes/tt:ScopeItem/text()", namespaces=NS),
                      root.xpath("//tds:Scopes/tt:ScopeDef/text()", namespaces=NS),
                      strict=True))
    assert scopes["onvif://www.onvif.org/name/CampusGW%20camera%201"] == "Configurable"
    assert scopes["onvif://www.onvif.org/hardware/SIM-CAM-2"] == "Fixed"
    assert scopes["onvif://www.onvif.org/location/school/corridor-1"] == "Configurable"
    assert "onvif://www.onvif.org/Profile/Streaming" in scopes


async def test_a_replayed_nonce_is_refused(sim: CameraSimulator,
                                           http: httpx.AsyncClient) -> None:
    header = security(now_utc(), nonce=b"0123456789abcdef")
    url = sim.device_service_url(1)
    assert (await post(http, url, "<tds:GetDeviceInformation/>", header))[0] == 200
    status, root = await post(http, url, "<tds:GetDeviceInformation/>", header)
    assert status == 400 and "nonce replayed" in fault_text(root)


async def test_a_token_an_hour_off_the_camera_clock_is_refused(
        http: httpx.AsyncClient) -> None:
    async with CameraSimulator(cameras=1, password=PASSWORD, clock_offset_s=3600) as sim:
        url = sim.device_service_url(0)
        status, root = await post(http, url, "<tds:GetDeviceInformation/>",
                                  security(now_utc()))
        assert status == 400 and "off the camera clock" in fault_text(root)
        status, _ = await post(http, url, "<tds:GetDeviceInformation/>",
                               security(now_utc(offset_s=3600)))
        assert status == 200


async def test_subscriptions_live_and_expire_on_the_camera_clock(
        http: httpx.AsyncClient) -> None:
    clock = VirtualClock()
    async with CameraSimulator(cameras=1, password=PASSWORD, clock=clock) as sim:
        events = f"{sim.base_url}/onvif/cam0/events_service"
        status, root = await post(
            http, events, "<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT60S"
            "</tev:InitialTerminationTime></tev:CreatePullPointSubscription>",
            security(now_utc(clock)))
        assert status == 200
        address = root.findtext(".//wsa:Address", namespaces=NS)
        assert address and "/onvif/cam0/subscription/" in address
        pull = ("<tev:PullMessages><tev:Timeout>PT1S</tev:Timeout><tev:MessageLimit>10"
                "</tev:MessageLimit></tev:PullMessages>")
        status, root = await post(http, address, pull, security(now_utc(clock)))
        topics = [t.text for t in root.iterfind(".//wsnt:Topic", NS)]
        assert status == 200 and topics == ["tns1:RuleEngine/CellMotionDetector/Motion",
                                            "tns1:RuleEngine/TamperDetector/Tamper"]
        await clock.advance(50)
        renew = "<wsnt:Renew><wsnt:TerminationTime>PT60S</wsnt:TerminationTime></wsnt:Renew>"
        status, root = await post(http, address, renew, security(now_utc(clock)))
        assert status == 200
        await clock.advance(50)  # 100 s after creation, 50 s after the renewal
        sim.control(0, CameraControl(people=2))
        status, root = await post(http, address, pull, security(now_utc(clock)))
        assert status == 200
        assert root.find(".//tt:SimpleItem[@Name='IsMotion']", NS).get("Value") == "true"
        await clock.advance(11)
        status, root = await post(http, address, pull, security(now_utc(clock)))
        assert status == 400 and "expired subscription" in fault_text(root)


async def test_synchronization_point_resends_the_properties(
        sim: CameraSimulator, http: httpx.AsyncClient) -> None:
    events = f"{sim.base_url}/onvif/cam0/events_service"
    _, root = await post(http, events, "<tev:CreatePullPointSubscription/>", security(now_utc()))
    address = root.findtext(".//wsa:Address", namespaces=NS)
    assert address
    pull = ("<tev:PullMessages><tev:Timeout>PT1S</tev:Timeout><tev:MessageLimit>10"
            "</tev:MessageLimit></tev:PullMessages>")
    sim.control(0, CameraControl(cover_lens=True))
    _, root = await post(http, address, pull, security(now_utc()))
    operations = [m.get("PropertyOperation") for m in root.iterfind(".//tt:Message", NS)]
    assert operations == ["Initialized", "Initialized", "Changed"]
    status, _ = await post(http, address, "<tev:SetSynchronizationPoint/>", security(now_utc()))
    assert status == 200
    _, root = await post(http, address, pull, security(now_utc()))
    messages = list(root.iterfind(".//tt:Message", NS))
    assert [m.get("PropertyOperation") for m in messages] == ["Initialized", "Initialized"]
    tamper = root.find(".//tt:SimpleItem[@Name='IsTamper']", NS)
    assert tamper is not None and tamper.get("Value") == "true"
    assert root.findtext(".//tev:TerminationTime", namespaces=NS)


async def test_unsubscribe_and_reboot_forget_subscriptions(sim: CameraSimulator,
                                                           http: httpx.AsyncClient) -> None:
    events = f"{sim.base_url}/onvif/cam1/events_service"
    addresses = []
    for _ in range(2):
        _, root = await post(http, events, "<tev:CreatePullPointSubscription/>",
                             security(now_utc()))
        addresses.append(root.findtext(".//wsa:Address", namespaces=NS))
    assert len(sim.cameras[1].subscriptions) == 2
    status, _ = await post(http, addresses[0], "<wsnt:Unsubscribe/>", security(now_utc()))
    assert status == 200 and len(sim.cameras[1].subscriptions) == 1
    sim.control(1, CameraControl(reboot=True))
    status, root = await post(http, addresses[1], "<tev:PullMessages><tev:Timeout>PT1S"
                              "</tev:Timeout><tev:MessageLimit>5</tev:MessageLimit>"
                              "</tev:PullMessages>", security(now_utc()))
    assert status == 400 and "unknown or expired subscription" in fault_text(root)


async def test_injected_fault_hits_the_next_call_only(sim: CameraSimulator,
                                                      http: httpx.AsyncClient) -> None:
    sim.control(0, CameraControl(fault=1))
    url = sim.device_service_url(0)
    status, root = await post(http, url, "<tds:GetSystemDateAndTime/>")
    assert status == 500 and "injected fault" in fault_text(root)
    assert (await post(http, url, "<tds:GetSystemDateAndTime/>"))[0] == 200


async def test_unsupported_operation_and_malformed_xml_are_sender_faults(
        sim: CameraSimulator, http: httpx.AsyncClient) -> None:
    status, root = await post(http, sim.device_service_url(0), "<tds:SystemReboot/>",
                              security(now_utc()))
    assert status == 400 and "ActionNotSupported" in fault_text(root)
    response = await http.post(sim.device_service_url(0), content=b"<not-xml",
                               headers={"Content-Type": "application/soap+xml"})
    assert response.status_code == 400 and b"malformed XML" in response.content


async def test_snapshot_needs_digest_or_basic_auth(sim: CameraSimulator,
                                                   http: httpx.AsyncClient) -> None:
    url = sim.snapshot_url(1)
    anonymous = await http.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Digest ")
    assert (await http.get(url, auth=httpx.DigestAuth("admin", "nope"))).status_code == 401
    digest = await http.get(url, auth=httpx.DigestAuth("admin", PASSWORD))
    basic = await http.get(url, auth=httpx.BasicAuth("admin", PASSWORD))
    assert digest.status_code == basic.status_code == 200
    frame = cv2.imdecode(np.frombuffer(digest.content, np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None and frame.shape == (360, 640, 3)


async def test_snapshots_follow_the_scene(sim: CameraSimulator,
                                          http: httpx.AsyncClient) -> None:
    auth = httpx.DigestAuth("admin", PASSWORD)

    async def grey() -> np.ndarray:
        jpeg = (await http.get(sim.snapshot_url(0), auth=auth)).content
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
        assert image is not None
        return image

    clear = await grey()
    sim.control(0, CameraControl(block_exit=1.0))
    blocked = await grey()
    assert float(np.mean(cv2.absdiff(clear, blocked))) > 2.0
    sim.control(0, CameraControl(clear=True, cover_lens=True))
    assert float((await grey()).std()) < float(clear.std()) / 2
    sim.control(0, CameraControl(corrupt_snapshot=True))
    broken = (await http.get(sim.snapshot_url(0), auth=auth)).content
    assert cv2.imdecode(np.frombuffer(broken, np.uint8), cv2.IMREAD_COLOR) is None or \
        not broken.endswith(b"\xff\xd9")


async def test_prerendered_snapshots_come_from_a_cycle(http: httpx.AsyncClient) -> None:
    async with CameraSimulator(cameras=1, password=PASSWORD, prerendered=True) as sim:
        auth = httpx.BasicAuth("admin", PASSWORD)
        frames = [(await http.get(sim.snapshot_url(0), auth=auth)).content for _ in range(13)]
        assert all(f.startswith(b"\xff\xd8") for f in frames)
        assert frames[12] == frames[0] and frames[1] != frames[0]


async def test_control_api_over_http(sim: CameraSimulator, http: httpx.AsyncClient) -> None:
    url = f"{sim.base_url}/control/cam/1"
    response = await http.post(url, json={"block_exit": 0.6, "people": 2,
                                          "clock_offset_s": 120})
    assert response.status_code == 200
    status = response.json()
    assert status["scene"]["block_fraction"] == 0.6 and status["scene"]["people"] == 2
    assert status["clock_offset_s"] == 120
    assert (await http.post(url, json={"block_exit": 2})).status_code == 422
    assert (await http.post(url, json={"explode": True})).status_code == 422
    assert (await http.get(f"{sim.base_url}/control/cam/7")).status_code == 404
    assert (await http.get(url)).json()["scene"]["people"] == 2


def test_command_runs_the_simulator_until_terminated() -> None:
    port = free_port()
    script = ("import typer; from simulators.camera import command; "
              "typer.run(command)")
    process = subprocess.Popen(
        [sys.executable, "-c", script, "--port", str(port), "--cameras", "3",
         "--password", PASSWORD], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_for_port(port, timeout=20)
        status = httpx.get(f"http://127.0.0.1:{port}/control/cam/2", timeout=5).json()
        assert status["index"] == 2
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert f"camera 2: ONVIF http://127.0.0.1:{port}/onvif/cam2/device_service" in output.decode()
