"""Finding ONVIF devices with WS-Discovery (the 2005/04 version ONVIF uses): a `Probe`
sent over UDP to the multicast group 239.255.255.250:3702 (and to unicast addresses, for
networks that do not carry multicast), `ProbeMatch` answers read from every device, and
the `Hello` and `Bye` announcements devices send when they join and leave.

Replies are read leniently, as devices write them: a `ProbeMatch` with or without its
`ProbeMatches` wrapper, any namespace prefix, scopes with an unescaped space. A datagram
that is not a readable announcement is counted as malformed, logged once per sender, and
dropped; the rest of the search carries on."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from lxml import etree

from gateway.core.clock import Clock, sleep_until

log = logging.getLogger(__name__)

WSD_GROUP = "239.255.255.250"
WSD_PORT = 3702
SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
DN = "http://www.onvif.org/ver10/network/wsdl"
TDS = "http://www.onvif.org/ver10/device/wsdl"
WSD_TO = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
ONVIF_SCOPE = "onvif://www.onvif.org/"
MAX_DATAGRAM = 65507

ONVIF_TYPES: tuple[tuple[str, str], ...] = ((DN, "NetworkVideoTransmitter"),)
"""What `campusgw discover` probes for: ONVIF video transmitters (cameras, encoders)."""

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_IGNORED = {"Probe", "Resolve", "ResolveMatches", "ResolveMatch"}
"""Messages of other clients on the group: not for a searching client, not malformed."""

AnnouncementKind = Literal["ProbeMatch", "Hello", "Bye"]
_KINDS: dict[str, AnnouncementKind] = {"ProbeMatch": "ProbeMatch", "Hello": "Hello",
                                       "Bye": "Bye"}


class MalformedAnnouncement(ValueError):
    """A datagram that is not a readable WS-Discovery message."""


@dataclass(frozen=True)
class DiscoveredDevice:
    """A device as it describes itself: its endpoint reference (a stable `urn:uuid:`),
    service addresses, scopes and types (as `{namespace}local` names)."""

    address: str
    xaddrs: tuple[str, ...]
    scopes: tuple[str, ...]
    types: tuple[str, ...]
    metadata_version: int | None
    sender: str
    """The IP address the datagram came from."""

    def scope_values(self, kind: str) -> tuple[str, ...]:
        """Values of its `onvif://www.onvif.org/<kind>/...` scopes, percent-decoded."""
        prefix = f"{ONVIF_SCOPE}{kind}/"
        return tuple(unquote(s[len(prefix):]) for s in self.scopes
                     if s.lower().startswith(prefix.lower()))

    def _first(self, kind: str) -> str | None:
        return next(iter(self.scope_values(kind)), None)

    @property
    def name(self) -> str | None:
        return self._first("name")

    @property
    def hardware(self) -> str | None:
        return self._first("hardware")

    @property
    def location(self) -> str | None:
        return self._first("location")

    @property
    def type_names(self) -> tuple[str, ...]:
        return tuple(t.rpartition("}")[2] for t in self.types)

    @property
    def is_video_transmitter(self) -> bool:
        """Of type `dn:NetworkVideoTransmitter` (or a bare `NetworkVideoTransmitter`)."""
        return bool({f"{{{DN}}}NetworkVideoTransmitter", "NetworkVideoTransmitter"}
                    & set(self.types))

    @property
    def device_service(self) -> str | None:
        """The first usable HTTP(S) XAddr: where its ONVIF device service answers."""
        return next((x for x in self.xaddrs if _http_url(x)), None)


def _http_url(text: str) -> bool:
    try:
        url = urlsplit(text)
        port = url.port  # raises for a port that is not one
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.hostname) and port != 0


@dataclass(frozen=True)
class Announcement:
    """One device in one message: a `ProbeMatch` (answering `relates_to`), a `Hello` or
    a `Bye` (which carries only the endpoint reference)."""

    kind: AnnouncementKind
    device: DiscoveredDevice
    relates_to: str | None


def probe_message(message_id: str, types: Sequence[tuple[str, str]] = ONVIF_TYPES) -> bytes:
    """A WS-Discovery `Probe` for devices of all `types` ((namespace, local name) pairs)."""
    prefixes = {namespace: f"t{i}" for i, namespace in enumerate(dict.fromkeys(
        namespace for namespace, _ in types))}
    declarations = "".join(f' xmlns:{p}="{ns}"' for ns, p in prefixes.items())
    wanted = " ".join(f"{prefixes[ns]}:{local}" for ns, local in types)
    type_element = f"<d:Types>{wanted}</d:Types>" if types else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:a="{WSA}" xmlns:d="{WSD}"{declarations}>'
            f"<s:Header><a:Action>{WSD}/Probe</a:Action>"
            f"<a:MessageID>{message_id}</a:MessageID><a:To>{WSD_TO}</a:To></s:Header>"
            f"<s:Body><d:Probe>{type_element}</d:Probe></s:Body></s:Envelope>").encode()


def parse_message(payload: bytes, sender: str) -> list[Announcement]:
    """The devices a datagram announces; `[]` for a message meant for devices (another
    client's `Probe`). Raises `MalformedAnnouncement` for anything unreadable."""
    try:
        root = etree.fromstring(payload, _PARSER)
    except etree.XMLSyntaxError as err:
        raise MalformedAnnouncement(f"not well-formed XML: {err}") from None
    if _localname(root) != "Envelope":
        raise MalformedAnnouncement("not a SOAP envelope")
    body = _child(root, "Body")
    elements = [] if body is None else [c for c in body if _localname(c)]
    if not elements:
        raise MalformedAnnouncement("no SOAP body")
    header = _child(root, "Header")
    relates_to = _text(_child(header, "RelatesTo"))
    message = elements[0]
    local = _localname(message)
    if local in _IGNORED:
        return []
    if local == "ProbeMatches":
        matches = [m for m in message if _localname(m) == "ProbeMatch"]
        kind: AnnouncementKind = "ProbeMatch"
    elif local in _KINDS:
        matches, kind = [message], _KINDS[local]
    else:
        raise MalformedAnnouncement(f"unexpected message {local!r}")
    return [Announcement(kind, _device(m, sender, kind), relates_to) for m in matches]


def _device(element: etree._Element, sender: str, kind: AnnouncementKind) -> DiscoveredDevice:
    reference = _child(element, "EndpointReference")
    address = _text(_child(reference, "Address")) if reference is not None else None
    xaddrs = tuple((_text(_child(element, "XAddrs")) or "").split())
    if not address:
        raise MalformedAnnouncement(f"{kind} without an endpoint reference")
    if kind != "Bye" and not xaddrs:
        raise MalformedAnnouncement(f"{kind} of {address} without XAddrs")
    version = _text(_child(element, "MetadataVersion"))
    types_element = _child(element, "Types")
    return DiscoveredDevice(
        address=address, xaddrs=xaddrs,
        scopes=split_scopes(_text(_child(element, "Scopes")) or ""),
        types=_types(types_element) if types_element is not None else (),
        metadata_version=int(version) if version and version.isdecimal() else None,
        sender=sender)


def split_scopes(text: str) -> tuple[str, ...]:
    """Scopes are space-separated URIs; a piece without a scheme continues the one before
    (a device that did not percent-encode a space in its name)."""
    scopes: list[str] = []
    for piece in text.split():
        if scopes and ":" not in piece:
            scopes[-1] = f"{scopes[-1]} {piece}"
        else:
            scopes.append(piece)
    return tuple(scopes)


def _types(element: etree._Element) -> tuple[str, ...]:
    """`prefix:Local` names resolved against the element's namespaces; an undeclared
    prefix keeps its local name only."""
    names = []
    for name in (element.text or "").split():
        prefix, _, local = name.rpartition(":")
        namespace = element.nsmap.get(prefix or None)
        if local:
            names.append(f"{{{namespace}}}{local}" if namespace else local)
    return tuple(names)


def _localname(element: etree._Element) -> str:
    """The element's local name; `""` for comments and processing instructions."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: etree._Element | None, local: str) -> etree._Element | None:
    if element is None:
        return None
    return next((c for c in element if _localname(c) == local), None)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


# -- the client -------------------------------------------------------------------------

@dataclass
class DiscoveryCounters:
    """What a search received."""

    datagrams: int = 0
    matches: int = 0
    hellos: int = 0
    byes: int = 0
    malformed: int = 0
    unrelated: int = 0
    """ProbeMatches answering another client's probe."""


@dataclass(frozen=True)
class DiscoveryOptions:
    """Where to search: the group and port (3702 unless a test needs its own), the local
    interface address to send and join on (all: `0.0.0.0`), the multicast TTL, and unicast
    addresses probed as well (`host` or `host:port`)."""

    group: str = WSD_GROUP
    port: int = WSD_PORT
    interface: str = "0.0.0.0"
    ttl: int = 1
    unicast: tuple[str, ...] = ()
    types: tuple[tuple[str, str], ...] = ONVIF_TYPES


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, client: DiscoveryClient) -> None:
        self._client = client

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self._client.received(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        log.debug("WS-Discovery: %s", exc)


class DiscoveryClient:
    """Probes for devices and keeps what answers: `devices` by endpoint reference, in the
    order they were first heard. With `listen`, it also joins the group on its port and
    follows `Hello` (added) and `Bye` (moved to `gone`). `changed` is set whenever either
    changed (clear it to wait for the next change). Use `async with`."""

    def __init__(self, options: DiscoveryOptions | None = None, *, listen: bool = False
                 ) -> None:
        self.options = options or DiscoveryOptions()
        self.listen = listen
        self.devices: dict[str, DiscoveredDevice] = {}
        self.gone: dict[str, DiscoveredDevice] = {}
        self.counters = DiscoveryCounters()
        self.changed = asyncio.Event()
        self._transports: list[asyncio.DatagramTransport] = []
        self._probes: set[str] = set()
        self._told: set[str] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        sockets = [probe_socket(self.options)]
        if self.listen:
            sockets.append(group_socket(self.options))
        for sock in sockets:
            transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self),
                                                               sock=sock)
            self._transports.append(transport)

    async def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()

    async def __aenter__(self) -> DiscoveryClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def probe(self, message_id: str | None = None) -> str:
        """Send one Probe to the group and to every unicast address; its message id. Given
        the id of an earlier one, send that again: SOAP over UDP repeats a multicast, in
        case it was lost, and devices answer the same message only once."""
        if not self._transports:
            raise RuntimeError("the discovery client is not started")
        message_id = message_id or f"urn:uuid:{uuid.uuid4()}"
        self._probes.add(message_id)
        payload = probe_message(message_id, self.options.types)
        targets = [(self.options.group, self.options.port)]
        targets += [unicast_target(t, self.options.port) for t in self.options.unicast]
        for target in targets:
            self._transports[0].sendto(payload, target)
        return message_id

    async def collect(self, clock: Clock, seconds: float, expect: int | None = None) -> None:
        """Listen for `seconds` on `clock`, or only until `expect` devices are known."""
        deadline = clock.now() + seconds
        while clock.now() < deadline and (expect is None or len(self.devices) < expect):
            self.changed.clear()
            await sleep_until(clock, deadline, self.changed)

    def received(self, data: bytes, sender: str) -> None:
        """Read one datagram (the socket's callback)."""
        self.counters.datagrams += 1
        try:
            announcements = parse_message(data, sender)
        except MalformedAnnouncement as err:
            self.counters.malformed += 1
            if sender not in self._told:
                self._told.add(sender)
                log.warning("WS-Discovery: unreadable message from %s: %s", sender, err)
            return
        for item in announcements:
            self._take(item)

    def _take(self, item: Announcement) -> None:
        address = item.device.address
        if item.kind == "Bye":
            self.counters.byes += 1
            self.gone[address] = self.devices.pop(address, item.device)
        elif item.kind == "Hello":
            self.counters.hellos += 1
            self.devices[address] = item.device
            self.gone.pop(address, None)
        elif item.relates_to is not None and item.relates_to not in self._probes:
            self.counters.unrelated += 1
            return
        else:
            self.counters.matches += 1
            self.devices[address] = item.device
        self.changed.set()


def probe_socket(options: DiscoveryOptions) -> socket.socket:
    """A UDP socket on a free port of the interface, sending to the group there."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, options.ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        if options.interface != "0.0.0.0":
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                            socket.inet_aton(options.interface))
        sock.bind((options.interface, 0))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def group_socket(options: DiscoveryOptions) -> socket.socket:
    """A UDP socket that receives what is sent to the group's port, joined on the interface."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((options.group, options.port))
        membership = struct.pack("4s4s", socket.inet_aton(options.group),
                                 socket.inet_aton(options.interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def unicast_target(target: str, default_port: int) -> tuple[str, int]:
    """`host` or `host:port` as a socket address."""
    host, _, port = target.rpartition(":")
    if host and port.isdigit():
        return host, int(port)
    return target, default_port
