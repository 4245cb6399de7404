"""The SOAP operations of a simulated camera: Device, Media and Events services.

Each handler takes the camera, the parsed request and where the camera is reachable,
and returns the body of the response (an XML fragment)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from simulators.camera.camera import SimulatedCamera
from simulators.camera.notifications import (
    ADVERTISED_TOPICS,
    TOPIC_DIALECT,
    parse_duration,
    termination_from,
)
from simulators.camera.soap import TDS, TEV, TRT, SoapFault, SoapRequest, text, xml_time

PRE_AUTH = frozenset({"GetSystemDateAndTime", "GetServices", "GetCapabilities"})
"""Operations a camera answers without credentials (ONVIF access class PRE_AUTH): a
client finds the clock and the services before it authenticates."""

DEFAULT_SUBSCRIPTION_S = 60.0
MAX_PULL_WAIT_S = 10.0
WIDTH, HEIGHT = 640, 360


@dataclass(frozen=True)
class Endpoint:
    """Where camera `index` is reached: base URL (`http://host:port`) and path prefix."""

    base_url: str
    index: int

    @property
    def prefix(self) -> str:
        return f"{self.base_url}/onvif/cam{self.index}"

    def service(self, name: str) -> str:
        return f"{self.prefix}/{name}"


@dataclass(frozen=True)
class Call:
    camera: SimulatedCamera
    request: SoapRequest
    endpoint: Endpoint
    subscription_id: str | None = None
    closing: asyncio.Event | None = None


Handler = Callable[[Call], Awaitable[str]]


# -- Device service -------------------------------------------------------------------

async def get_system_date_and_time(call: Call) -> str:
    now = call.camera.now()
    stamp = xml_time(now)
    date, clock = stamp[:10].split("-"), stamp[11:19].split(":")
    utc = (f"<tt:Time><tt:Hour>{int(clock[0])}</tt:Hour><tt:Minute>{int(clock[1])}</tt:Minute>"
           f"<tt:Second>{int(clock[2])}</tt:Second></tt:Time>"
           f"<tt:Date><tt:Year>{date[0]}</tt:Year><tt:Month>{int(date[1])}</tt:Month>"
           f"<tt:Day>{int(date[2])}</tt:Day></tt:Date>")
    return ("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false"
            "</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{utc}</tt:UTCDateTime><tt:LocalDateTime>{utc}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")


def _service(namespace: str, xaddr: str, major: int, minor: int) -> str:
    return (f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace>"
            f"<tds:XAddr>{text(xaddr)}</tds:XAddr><tds:Version><tt:Major>{major}</tt:Major>"
            f"<tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>")


async def get_services(call: Call) -> str:
    e = call.endpoint
    return ("<tds:GetServicesResponse>"
            + _service(TDS, e.service("device_service"), 2, 60)
            + _service(TRT, e.service("media_service"), 2, 60)
            + _service(TEV, e.service("events_service"), 2, 60)
            + "</tds:GetServicesResponse>")


async def get_capabilities(call: Call) -> str:
    e = call.endpoint
    return ("<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{text(e.service('device_service'))}</tt:XAddr>"
            "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false"
            "</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false"
            "</tt:DynDNS></tt:Network><tt:System><tt:DiscoveryResolve>false"
            "</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>"
            "<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false"
            "</tt:SystemBackup><tt:SystemLogging>false</tt:SystemLogging>"
            "<tt:FirmwareUpgrade>false</tt:FirmwareUpgrade><tt:SupportedVersions>"
            "<tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>"
            "<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>"
            "<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>"
            "false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token>"
            "<tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken>"
            "<tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>"
            f"<tt:Events><tt:XAddr>{text(e.service('events_service'))}</tt:XAddr>"
            "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
            "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
            "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
            "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
            f"<tt:Media><tt:XAddr>{text(e.service('media_service'))}</tt:XAddr>"
            "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
            "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
            "</tt:StreamingCapabilities></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>")


async def get_device_information(call: Call) -> str:
    i = call.camera.identity
    return ("<tds:GetDeviceInformationResponse>"
            f"<tds:Manufacturer>{text(i.manufacturer)}</tds:Manufacturer>"
            f"<tds:Model>{text(i.model)}</tds:Model>"
            f"<tds:FirmwareVersion>{text(i.firmware)}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{text(i.serial)}</tds:SerialNumber>"
            f"<tds:HardwareId>{text(i.hardware_id)}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>")


def scopes(camera: SimulatedCamera) -> list[tuple[str, str]]:
    """The camera's ONVIF scopes as (ScopeDef, ScopeItem): what it is, its name, hardware
    and location (the last two configurable on a real camera)."""
    i = camera.identity
    base = "onvif://www.onvif.org"
    return [("Fixed", f"{base}/Profile/Streaming"),
            ("Fixed", f"{base}/type/video_encoder"),
            ("Fixed", f"{base}/hardware/{quote(i.model)}"),
            ("Configurable", f"{base}/name/{quote(i.name)}"),
            ("Configurable", f"{base}/location/{quote(i.location)}")]


async def get_scopes(call: Call) -> str:
    items = "".join(f"<tds:Scopes><tt:ScopeDef>{definition}</tt:ScopeDef>"
                    f"<tt:ScopeItem>{text(item)}</tt:ScopeItem></tds:Scopes>"
                    for definition, item in scopes(call.camera))
    return f"<tds:GetScopesResponse>{items}</tds:GetScopesResponse>"


# -- Media service --------------------------------------------------------------------

PROFILE_TOKENS = ("profile_main", "profile_sub")


def _profile(token: str, name: str, width: int, height: int, bitrate: int) -> str:
    return (f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>'
            '<tt:VideoSourceConfiguration token="vsc0"><tt:Name>VideoSource</tt:Name>'
            "<tt:UseCount>2</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken>"
            f'<tt:Bounds x="0" y="0" width="{WIDTH}" height="{HEIGHT}"/>'
            "</tt:VideoSourceConfiguration>"
            f'<tt:VideoEncoderConfiguration token="vec_{token}"><tt:Name>{name}</tt:Name>'
            "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
            f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height>"
            "</tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl>"
            "<tt:FrameRateLimit>15</tt:FrameRateLimit><tt:EncodingInterval>1"
            f"</tt:EncodingInterval><tt:BitrateLimit>{bitrate}</tt:BitrateLimit>"
            "</tt:RateControl><tt:H264><tt:GovLength>30</tt:GovLength><tt:H264Profile>Main"
            "</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>"
            "<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>"
            "<tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
            "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
            "</trt:Profiles>")


async def get_profiles(call: Call) -> str:
    return ("<trt:GetProfilesResponse>"
            + _profile(PROFILE_TOKENS[0], "MainStream", WIDTH, HEIGHT, 2048)
            + _profile(PROFILE_TOKENS[1], "SubStream", WIDTH // 2, HEIGHT // 2, 512)
            + "</trt:GetProfilesResponse>")


async def get_video_sources(call: Call) -> str:
    return ('<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0">'
            f"<tt:Framerate>15</tt:Framerate><tt:Resolution><tt:Width>{WIDTH}</tt:Width>"
            f"<tt:Height>{HEIGHT}</tt:Height></tt:Resolution></trt:VideoSources>"
            "</trt:GetVideoSourcesResponse>")


def _profile_token(call: Call) -> str:
    token = call.request.text("trt:ProfileToken")
    if token not in PROFILE_TOKENS:
        raise SoapFault("Sender", "ter:InvalidArgVal", f"no profile {token!r}")
    return token


def _media_uri(uri: str) -> str:
    return (f"<trt:MediaUri><tt:Uri>{text(uri)}</tt:Uri><tt:InvalidAfterConnect>false"
            "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
            "<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>")


async def get_snapshot_uri(call: Call) -> str:
    _profile_token(call)
    uri = f"{call.endpoint.base_url}/cam/{call.camera.index}/snapshot.jpg"
    return f"<trt:GetSnapshotUriResponse>{_media_uri(uri)}</trt:GetSnapshotUriResponse>"


async def get_stream_uri(call: Call) -> str:
    token = _profile_token(call)
    host = call.endpoint.base_url.removeprefix("http://").rsplit(":", 1)[0]
    stream = "main" if token == PROFILE_TOKENS[0] else "sub"
    uri = f"rtsp://{host}:554/cam{call.camera.index}/{stream}"
    return f"<trt:GetStreamUriResponse>{_media_uri(uri)}</trt:GetStreamUriResponse>"


# -- Events service -------------------------------------------------------------------

async def get_event_properties(call: Call) -> str:
    topics = ""
    for topic, (sources, data_name, data_type) in ADVERTISED_TOPICS.items():
        source_items = "".join(f'<tt:SimpleItemDescription Name="{name}" Type="tt:ReferenceToken"/>'
                               for name in sources)
        leaf = (f'<tt:MessageDescription IsProperty="{str(data_type == "xs:boolean").lower()}">'
                f"<tt:Source>{source_items}</tt:Source><tt:Data>"
                f'<tt:SimpleItemDescription Name="{data_name}" Type="{data_type}"/>'
                "</tt:Data></tt:MessageDescription>")
        parts = topic.removeprefix("tns1:").split("/")
        opening = "".join(f"<tns1:{p}>" if i == 0 else f"<{p}>" for i, p in enumerate(parts))
        last = parts[-1]
        opening = opening[: -len(f"<{last}>")] + f'<{last} wstop:topic="true">'
        closing = "".join(f"</tns1:{p}>" if i == 0 else f"</{p}>"
                          for i, p in reversed(list(enumerate(parts))))
        topics += opening + leaf + closing
    return ("<tev:GetEventPropertiesResponse>"
            "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/"
            "topicns.xml</tev:TopicNamespaceLocation><wsnt:FixedTopicSet>true"
            f"</wsnt:FixedTopicSet><wstop:TopicSet>{topics}</wstop:TopicSet>"
            f"<wsnt:TopicExpressionDialect>{TOPIC_DIALECT}</wsnt:TopicExpressionDialect>"
            "<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/"
            "TopicExpression/Concrete</wsnt:TopicExpressionDialect>"
            "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/"
            "messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>"
            "<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/"
            "onvif.xsd</tev:MessageContentSchemaLocation></tev:GetEventPropertiesResponse>")


def _times(call: Call, termination: float) -> str:
    return (f"<wsnt:CurrentTime>{xml_time(call.camera.now())}</wsnt:CurrentTime>"
            f"<wsnt:TerminationTime>{xml_time(termination)}</wsnt:TerminationTime>")


async def create_pull_point_subscription(call: Call) -> str:
    camera = call.camera
    termination = termination_from(call.request.text("tev:InitialTerminationTime"),
                                   camera.now(), DEFAULT_SUBSCRIPTION_S)
    subscription = camera.subscribe(termination)
    address = call.endpoint.service(f"subscription/{subscription.id}")
    return ("<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
            f"<wsa:Address>{text(address)}</wsa:Address></tev:SubscriptionReference>"
            f"{_times(call, termination)}</tev:CreatePullPointSubscriptionResponse>")


def _subscription_id(call: Call) -> str:
    if call.subscription_id is None:
        raise SoapFault("Sender", "ter:ActionNotSupported",
                        f"{call.request.operation} goes to a subscription address")
    return call.subscription_id


async def pull_messages(call: Call) -> str:
    camera = call.camera
    subscription_id = _subscription_id(call)
    subscription = camera.subscription(subscription_id)
    timeout = parse_duration(call.request.text("tev:Timeout") or "PT1S")
    limit = int(call.request.text("tev:MessageLimit") or "100")
    wait = min(timeout, MAX_PULL_WAIT_S)
    if camera.pull_wait_s is not None:
        wait = min(wait, camera.pull_wait_s)
    if not subscription.queue and wait > 0:
        waiters = [asyncio.ensure_future(subscription.arrived.wait())]
        if call.closing is not None:
            waiters.append(asyncio.ensure_future(call.closing.wait()))
        await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        subscription = camera.subscription(subscription_id)
    messages = "".join(m.to_xml() for m in subscription.take(max(1, limit)))
    return (f"<tev:PullMessagesResponse><tev:CurrentTime>{xml_time(camera.now())}"
            f"</tev:CurrentTime><tev:TerminationTime>{xml_time(subscription.termination)}"
            f"</tev:TerminationTime>{messages}</tev:PullMessagesResponse>")


async def renew(call: Call) -> str:
    camera = call.camera
    subscription = camera.subscription(_subscription_id(call))
    subscription.termination = termination_from(call.request.text("wsnt:TerminationTime"),
                                                camera.now(), DEFAULT_SUBSCRIPTION_S)
    return (f"<wsnt:RenewResponse><wsnt:TerminationTime>{xml_time(subscription.termination)}"
            f"</wsnt:TerminationTime><wsnt:CurrentTime>{xml_time(camera.now())}"
            "</wsnt:CurrentTime></wsnt:RenewResponse>")


async def set_synchronization_point(call: Call) -> str:
    camera = call.camera
    subscription = camera.subscription(_subscription_id(call))
    for message in camera.property_messages("Initialized"):
        subscription.put(message)
    return "<tev:SetSynchronizationPointResponse/>"


async def unsubscribe(call: Call) -> str:
    call.camera.unsubscribe(_subscription_id(call))
    return "<wsnt:UnsubscribeResponse/>"


SERVICES: dict[str, dict[str, Handler]] = {
    "device_service": {
        "GetSystemDateAndTime": get_system_date_and_time,
        "GetServices": get_services,
        "GetCapabilities": get_capabilities,
        "GetDeviceInformation": get_device_information,
        "GetScopes": get_scopes,
    },
    "media_service": {
        "GetProfiles": get_profiles,
        "GetVideoSources": get_video_sources,
        "GetSnapshotUri": get_snapshot_uri,
        "GetStreamUri": get_stream_uri,
    },
    "events_service": {
        "GetEventProperties": get_event_properties,
        "CreatePullPointSubscription": create_pull_point_subscription,
    },
    "subscription": {
        "PullMessages": pull_messages,
        "Renew": renew,
        "SetSynchronizationPoint": set_synchronization_point,
        "Unsubscribe": unsubscribe,
    },
}
"""Operations by service path (the last part of the URL path, or `subscription`)."""
