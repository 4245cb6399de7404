"""WS-Discovery: the camera simulator as target service (Probe, ProbeMatches, Hello, Bye
on a multicast group joined on loopback), the gateway's client and `campusgw discover`'s
listing and config snippet; the client also reads the ProbeMatches recorded from a real
camera in npm `onvif` 0.8.1's server mock-up."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from adapters.onvif.config import CameraConfig
from adapters.onvif.discovery import (
    DN,
    SOAP_ENV,
    TDS,
    WSA,
    WSD,
    DiscoveryClient,
    DiscoveryOptions,
    MalformedAnnouncement,
    parse_message,
    probe_message,
)
from gateway.cli.discover import config_snippet, describe, discover
from gateway.core.clock import SystemClock
from simulators.camera import CameraSimulator
from simulators.camera.discovery import DiscoverySettings, endpoint_reference, probe_matches
from simulators.camera.soap import parse_request
from tests.helpers import eventually
from tests.onvif.harness import PASSWORD, free_udp_port
from tests.onvif.recorded import recorded_reply

GROUP = "239.255.255.250"


@pytest.fixture
def options() -> DiscoveryOptions:
    """The real group on a port of the test's own, on loopback."""
    return DiscoveryOptions(group=GROUP, port=free_udp_port(), interface="127.0.0.1")


@pytest.fixture
async def discoverable(options: DiscoveryOptions) -> AsyncIterator[CameraSimulator]:
    simulator = CameraSimulator(cameras=2, password=PASSWORD, discovery=DiscoverySettings(
        options.group, options.port, options.interface))
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_a_probe_finds_every_camera_with_its_addresses_scopes_and_types(
        discoverable: CameraSimulator, options: DiscoveryOptions) -> None:
    async with DiscoveryClient(options) as client:
        client.probe()
        await client.collect(SystemClock(), 5.0, expect=2)
    assert discoverable.discovery is not None and discoverable.discovery.probes == 1
    devices = list(client.devices.values())
    assert sorted(d.xaddrs for d in devices) == [
        (discoverable.device_service_url(0),), (discoverable.device_service_url(1),)]
    first = client.devices[endpoint_reference(discoverable.cameras[0])]
    assert first.is_video_transmitter and first.type_names == ("NetworkVideoTransmitter",
                                                               "Device")
    assert (first.name, first.hardware, first.location) == (
        "CampusGW camera 0", "SIM-CAM-2", "school/corridor-0")
    assert "onvif://www.onvif.org/type/video_encoder" in first.scopes
    assert first.metadata_version == 1 and first.sender == "127.0.0.1"
    assert client.counters.matches == 2 and client.counters.malformed == 0


async def test_the_answer_is_a_probe_matches_relating_to_the_probe(
        discoverable: CameraSimulator, options: DiscoveryOptions) -> None:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as prober:
        prober.setblocking(False)
        await loop.sock_sendto(prober, probe_message("urn:uuid:4", [(TDS, "Device")]),
                               ("127.0.0.1", options.port))
        async with asyncio.timeout(5.0):
            answers = [await loop.sock_recv(prober, 65535) for _ in discoverable.cameras]
    for answer in answers:
        root = etree.fromstring(answer)
        assert root.findtext(f"{{{SOAP_ENV}}}Header/{{{WSA}}}RelatesTo") == "urn:uuid:4"
        [message] = root.find(f"{{{SOAP_ENV}}}Body")
        assert message.tag == f"{{{WSD}}}ProbeMatches"
        assert [m.tag for m in message] == [f"{{{WSD}}}ProbeMatch"]
        assert root.find(f"{{{SOAP_ENV}}}Header/{{{WSD}}}AppSequence") is not None


async def test_a_repeated_probe_is_answered_once(
        discoverable: CameraSimulator, options: DiscoveryOptions) -> None:
    async with DiscoveryClient(options) as first, DiscoveryClient(options) as second:
        message_id = first.probe()
        await eventually(lambda: first.counters.matches == 2, 5.0, "the probe answered")
        second.probe(message_id)  # the same message again, from elsewhere
        second.probe()  # then a new one: answered after anything for the repeat
        await eventually(lambda: len(second.devices) == 2, 5.0, "the new probe answered")
    assert second.counters.matches == 2
    assert discoverable.discovery is not None and discoverable.discovery.probes == 2


async def test_hello_on_start_and_bye_on_stop(options: DiscoveryOptions) -> None:
    simulator = CameraSimulator(cameras=2, password=PASSWORD, discovery=DiscoverySettings(
        options.group, options.port, options.interface))
    async with DiscoveryClient(options, listen=True) as client:
        await simulator.start()
        try:
            await eventually(lambda: len(client.devices) == 2, 5.0, "two Hellos")
            assert client.counters.hellos == 2 and not client.gone
            assert {d.xaddrs for d in client.devices.values()} == {
                (simulator.device_service_url(0),), (simulator.device_service_url(1),)}
        finally:
            await simulator.stop()
        await eventually(lambda: len(client.gone) == 2, 5.0, "two Byes")
    assert client.counters.byes == 2 and not client.devices


async def test_a_unicast_probe_reaches_a_camera_where_multicast_does_not(
        discoverable: CameraSimulator, options: DiscoveryOptions) -> None:
    """A group nobody joined, and the camera's address probed directly."""
    elsewhere = DiscoveryOptions(group="239.255.255.251", port=options.port,
                                 interface="127.0.0.1", unicast=(f"127.0.0.1:{options.port}",))
    async with DiscoveryClient(elsewhere) as client:
        client.probe()
        await client.collect(SystemClock(), 5.0, expect=2)
    assert len(client.devices) == 2


async def test_unreadable_and_unrelated_replies_are_counted_and_the_search_goes_on(
        discoverable: CameraSimulator, options: DiscoveryOptions,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.onvif.discovery")
    async with DiscoveryClient(options) as client:
        client_address = client._transports[0].get_extra_info("sockname")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rogue:
            for garbage in (b"\x00\xffnot xml", b"<a>unclosed", b"<x/>"):
                rogue.sendto(garbage, client_address)
            other = recorded_probe_matches("urn:uuid:someone-else", "http://127.0.0.9/x")
            rogue.sendto(other, client_address)
        client.probe()
        await client.collect(SystemClock(), 5.0, expect=2)
        await eventually(lambda: client.counters.unrelated == 1, 5.0, "the unrelated reply")
    assert client.counters.malformed == 3
    assert len(client.devices) == 2
    said = [r for r in caplog.records if "unreadable message" in r.getMessage()]
    assert len(said) == 1  # once per sender


def recorded_probe_matches(relates_to: str, xaddr: str) -> bytes:
    """The recorded ProbeMatches, filled in as the mock-up fills it in."""
    reply = recorded_reply("Probe.xml")
    return reply.replace("RELATES_TO", relates_to).replace("SERVICE_URI", xaddr).encode()


def test_the_recorded_real_camera_probe_match_reads() -> None:
    [match] = parse_message(recorded_probe_matches("urn:uuid:1", "http://10.0.3.21/onvif/"
                                                   "device_service"), "10.0.3.21")
    device = match.device
    assert match.kind == "ProbeMatch" and match.relates_to == "urn:uuid:1"
    assert device.address == "uuid:c9790c3a-701b-464d-a189-0060351c8ada"
    assert device.device_service == "http://10.0.3.21/onvif/device_service"
    assert (device.name, device.hardware, device.location) == ("PREDATOR", "HD_PREDATOR", "")
    assert device.is_video_transmitter
    assert len(device.scopes) == 7


@pytest.mark.parametrize(("payload", "why"), [
    (b"", "not well-formed"),
    (b"<notsoap/>", "not a SOAP envelope"),
    (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"/>', "no SOAP body"),
    (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Hi/></e:Body>'
     b"</e:Envelope>", "unexpected message"),
    (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><ProbeMatches>'
     b"<ProbeMatch><XAddrs>http://a/</XAddrs></ProbeMatch></ProbeMatches></e:Body>"
     b"</e:Envelope>", "without an endpoint reference"),
    (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Hello>'
     b"<EndpointReference><Address>urn:uuid:1</Address></EndpointReference></Hello>"
     b"</e:Body></e:Envelope>", "without XAddrs"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "not a SOAP"),
])
def test_malformed_messages_are_refused_with_a_reason(payload: bytes, why: str) -> None:
    with pytest.raises(MalformedAnnouncement, match=why):
        parse_message(payload, "127.0.0.1")


_ENVELOPE = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:d="'
             b'http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Body>%s</s:Body></s:Envelope>')
_PARTS = st.sampled_from([
    b"<d:ProbeMatches>", b"</d:ProbeMatches>", b"<d:ProbeMatch>", b"</d:ProbeMatch>",
    b"<d:Hello>", b"</d:Hello>", b"<d:EndpointReference><Address>", b"</Address>",
    b"</d:EndpointReference>", b"<d:XAddrs>http://x/ http://[x ", b"</d:XAddrs>", b"<d:Types>dn:",
    b"</d:Types>", b"<d:Scopes>a b:c ", b"</d:Scopes>", b"<d:MetadataVersion>\xc2\xb2",
    b"</d:MetadataVersion>", b"<!--c-->", b"<?pi x?>", b"&amp;", b"&bogus;", b"\x00", b"<"])


@given(st.one_of(st.binary(max_size=300),
                 st.lists(_PARTS, max_size=30).map(lambda parts: _ENVELOPE % b"".join(parts))))
def test_no_datagram_breaks_the_parser(payload: bytes) -> None:
    try:
        announcements = parse_message(payload, "127.0.0.1")
    except MalformedAnnouncement:
        return
    for item in announcements:
        device = item.device
        assert device.address and (item.kind == "Bye" or device.xaddrs)
        assert all(isinstance(name, str) for name in device.type_names)
        assert device.device_service is None or device.device_service in device.xaddrs
        assert device.name is None or isinstance(device.name, str)


def test_the_device_service_is_the_first_usable_http_address() -> None:
    [hello] = parse_message(
        b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Hello>'
        b"<EndpointReference><Address>urn:uuid:5</Address></EndpointReference><XAddrs>"
        b"rtsp://10.0.0.5/ http://[bad/ http://10.0.0.5:99999/ http://10.0.0.5:0/ "
        b"http://10.0.0.5:8080/onvif/x"
        b"</XAddrs></Hello></e:Body></e:Envelope>", "10.0.0.5")
    assert hello.device.device_service == "http://10.0.0.5:8080/onvif/x"


def test_another_clients_probe_is_neither_a_device_nor_malformed() -> None:
    assert parse_message(probe_message("urn:uuid:2"), "127.0.0.1") == []


def test_a_camera_answers_only_probes_for_what_it_is() -> None:
    camera = CameraSimulator(cameras=1).cameras[0]

    def answers(types: list[tuple[str, str]], scopes: str = "", match_by: str = "") -> bool:
        probe = parse_request(probe_message("urn:uuid:3", types)).body
        if scopes:
            rule = f' MatchBy="{match_by}"' if match_by else ""
            probe = parse_request(probe_message("urn:uuid:3", types).replace(
                b"</d:Probe>", f"<d:Scopes{rule}>{scopes}</d:Scopes></d:Probe>".encode())).body
        return probe_matches(probe, camera)

    assert answers([(DN, "NetworkVideoTransmitter")]) and answers([(TDS, "Device")])
    assert answers([])
    assert not answers([(DN, "NetworkVideoDisplay")])
    assert not answers([("urn:other", "NetworkVideoTransmitter")])
    assert answers([], "onvif://www.onvif.org/location/school")
    assert not answers([], "onvif://www.onvif.org/location/sch")
    assert not answers([], "onvif://www.onvif.org/location/school",
                       "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0")
    assert answers([], "onvif://www.onvif.org/hardware/SIM-CAM-2",
                   "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0")


async def test_discover_identifies_the_cameras_and_prints_their_config(
        discoverable: CameraSimulator, options: DiscoveryOptions) -> None:
    found, counters = await discover(options, 5.0, SystemClock(), ("admin", PASSWORD),
                                     expect=2)
    assert counters.matches == 2
    identities = sorted((f.identity.model, f.identity.serial, f.identity.snapshot_auth)
                        for f in found if f.identity is not None)
    assert identities == [("SIM-CAM-2", "SIM00000", "digest"),
                          ("SIM-CAM-2", "SIM00001", "digest")]
    lines = describe(found[0])
    assert any(line.startswith("  model:  CampusGW SIM-CAM-2, firmware 2.4.1") for line in lines)
    snippet = config_snippet(found, "admin")
    assert PASSWORD not in snippet
    entries = yaml.safe_load(snippet)["devices"]
    configs = [CameraConfig.model_validate(entry) for entry in entries]
    assert sorted(c.device_service_path for c in configs) == [
        "/onvif/cam0/device_service", "/onvif/cam1/device_service"]
    assert {(c.host, c.port, c.snapshot_auth) for c in configs} == {
        ("127.0.0.1", discoverable.port, "digest")}
    assert len({c.id for c in configs}) == 2
    assert entries[0]["password"] == "${CAMPUSGW_CAMERA_PASSWORD}"


async def test_discover_says_why_a_camera_could_not_be_identified(
        discoverable: CameraSimulator, options: DiscoveryOptions) -> None:
    found, _ = await discover(options, 5.0, SystemClock(), ("admin", "wrong"), expect=2)
    assert [f.identity for f in found] == [None, None]
    assert all((f.problem or "").startswith("auth_failed") for f in found)
    assert "  not identified: auth_failed" in "\n".join(describe(found[0]))
