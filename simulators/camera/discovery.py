"""WS-Discovery (2005/04) for the simulated cameras, as every ONVIF camera does it: each
camera is a target service that answers a matching `Probe` with a `ProbeMatches` sent back
to the prober (a `Probe` sent again with the same message id only once), announces itself
with `Hello` when the simulator starts and `Bye` when it stops. The group and port are
configurable so that tests run on loopback without meeting the real 239.255.255.250:3702
(or each other)."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from simulators.camera.camera import SimulatedCamera
from simulators.camera.services import scopes
from simulators.camera.soap import SoapFault, parse_request, text

log = logging.getLogger(__name__)

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
DN = "http://www.onvif.org/ver10/network/wsdl"
TDS = "http://www.onvif.org/ver10/device/wsdl"
WSD_TO = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
ANONYMOUS = f"{WSA}/role/anonymous"
RFC3986 = f"{WSD}/rfc3986"
STRCMP0 = f"{WSD}/strcmp0"
REMEMBERED_PROBES = 64
"""Message ids of the last probes answered: a repeat of one of them is not answered again."""
CAMERA_TYPES = ((DN, "NetworkVideoTransmitter"), (TDS, "Device"))
"""What a camera is (`dn:NetworkVideoTransmitter tds:Device`)."""


@dataclass(frozen=True)
class DiscoverySettings:
    """Where the cameras are discovered: the multicast group and UDP port, and the local
    interface address they join the group on and announce from."""

    group: str = "239.255.255.250"
    port: int = 3702
    interface: str = "127.0.0.1"


def endpoint_reference(camera: SimulatedCamera) -> str:
    """The camera's stable endpoint reference, from its serial number."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'campusgw-sim/{camera.identity.serial}')}"


class DiscoveryResponder(asyncio.DatagramProtocol):
    """The cameras' WS-Discovery side. `xaddr(i)` is camera i's device service URL."""

    def __init__(self, cameras: Sequence[SimulatedCamera], xaddr: Callable[[int], str],
                 settings: DiscoverySettings) -> None:
        self.cameras = cameras
        self.xaddr = xaddr
        self.settings = settings
        self.probes = 0
        """Probes received (matching or not; a repeated message once)."""
        self.malformed = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._answered: deque[str] = deque(maxlen=REMEMBERED_PROBES)
        self._instance = 1
        self._number = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._instance = int(self.cameras[0].clock.now())
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: self, sock=_group_socket(self.settings))
        for camera in self.cameras:
            self._announce(camera, "Hello")

    async def stop(self) -> None:
        if self._transport is None:
            return
        for camera in self.cameras:
            self._announce(camera, "Bye")
        self._transport.close()
        self._transport = None

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        try:
            request = parse_request(data)
        except (SoapFault, ValueError) as fault:
            self.malformed += 1
            log.debug("camera discovery: unreadable datagram from %s: %s", addr[0], fault)
            return
        if request.operation != "Probe" or request.namespace != WSD:
            return
        message_id = _header_text(request.header, "MessageID") or ""
        if message_id in self._answered:
            return
        if message_id:
            self._answered.append(message_id)
        self.probes += 1
        for camera in self.cameras:
            if probe_matches(request.body, camera):
                self._send(self._message(f"{WSD}/ProbeMatches", message_id,
                                         "<d:ProbeMatches><d:ProbeMatch>"
                                         f"{self._description(camera)}</d:ProbeMatch>"
                                         "</d:ProbeMatches>", ANONYMOUS), addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("camera discovery: %s", exc)

    # -- messages -----------------------------------------------------------------------

    def _announce(self, camera: SimulatedCamera, kind: str) -> None:
        content = self._description(camera) if kind == "Hello" else _reference(camera)
        self._send(self._message(f"{WSD}/{kind}", None, f"<d:{kind}>{content}</d:{kind}>",
                                 WSD_TO), (self.settings.group, self.settings.port))

    def _description(self, camera: SimulatedCamera) -> str:
        types = " ".join(f"{_PREFIX[namespace]}:{local}" for namespace, local in CAMERA_TYPES)
        scope_list = " ".join(item for _, item in scopes(camera))
        return (f"{_reference(camera)}<d:Types>{types}</d:Types>"
                f"<d:Scopes>{text(scope_list)}</d:Scopes>"
                f"<d:XAddrs>{text(self.xaddr(camera.index))}</d:XAddrs>"
                "<d:MetadataVersion>1</d:MetadataVersion>")

    def _message(self, action: str, relates_to: str | None, body: str, to: str) -> bytes:
        self._number += 1
        relation = f"<wsa:RelatesTo>{text(relates_to)}</wsa:RelatesTo>" if relates_to else ""
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:wsa="{WSA}" xmlns:d="{WSD}" '
                f'xmlns:dn="{DN}" xmlns:tds="{TDS}"><soap:Header>'
                f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>{relation}"
                f"<wsa:To>{to}</wsa:To><wsa:Action>{action}</wsa:Action>"
                f'<d:AppSequence InstanceId="{self._instance}" MessageNumber="{self._number}"/>'
                f"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>").encode()

    def _send(self, payload: bytes, addr: tuple[str | object, ...]) -> None:
        if self._transport is not None:
            self._transport.sendto(payload, addr)


_PREFIX = {DN: "dn", TDS: "tds"}


def _reference(camera: SimulatedCamera) -> str:
    return (f"<wsa:EndpointReference><wsa:Address>{endpoint_reference(camera)}</wsa:Address>"
            "</wsa:EndpointReference>")


def probe_matches(probe: etree._Element, camera: SimulatedCamera) -> bool:
    """Whether `camera` answers this Probe: it has every type asked (`prefix:Local`,
    resolved against the Probe's namespaces) and, for every scope asked, a scope that
    matches it (RFC 3986 segment prefix by default, or `strcmp0`)."""
    types = probe.find(f"{{{WSD}}}Types")
    if types is not None and not all(_has_type(name, types.nsmap)
                                      for name in (types.text or "").split()):
        return False
    wanted = probe.find(f"{{{WSD}}}Scopes")
    if wanted is None or not (wanted.text or "").split():
        return True
    rule = wanted.get("MatchBy", RFC3986)
    own = [item for _, item in scopes(camera)]
    return all(any(_scope_matches(rule, scope, item) for item in own)
               for scope in (wanted.text or "").split())


def _has_type(name: str, nsmap: dict[str | None, str]) -> bool:
    prefix, _, local = name.rpartition(":")
    namespace = nsmap.get(prefix or None)
    return any(local == own and namespace in (None, own_namespace)
               for own_namespace, own in CAMERA_TYPES)


def _scope_matches(rule: str, wanted: str, scope: str) -> bool:
    if rule == STRCMP0:
        return wanted == scope
    if rule != RFC3986:
        return False
    want, have = urlsplit(wanted), urlsplit(scope)
    if (want.scheme.lower(), want.netloc.lower()) != (have.scheme.lower(), have.netloc.lower()):
        return False
    want_path = [s for s in want.path.split("/") if s]
    return [s for s in have.path.split("/") if s][:len(want_path)] == want_path


def _header_text(header: etree._Element | None, local: str) -> str | None:
    if header is None:
        return None
    found = header.find(f"{{{WSA}}}{local}")
    return found.text.strip() if found is not None and found.text else None


def _group_socket(settings: DiscoverySettings) -> socket.socket:
    """Bound to the group's port, joined on the interface, sending from it (looped back,
    so that a prober on the same host hears the Hello and Bye)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("", settings.port))
        interface = socket.inet_aton(settings.interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                        struct.pack("4s4s", socket.inet_aton(settings.group), interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
