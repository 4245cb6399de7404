"""Camera answers into what the ONVIF adapter uses (adapters/onvif): SOAP replies parsed
the way the client parses them (zeep, with the ONVIF WSDLs), then the adapter's reading of
them: event notifications and their topics, the camera clock, subscription lifetimes.

Documented errors: `CameraError` from anything the camera answers (`CameraClient.call`
and what reads its answers), `ValueError` from a topic table's value conversion."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import zeep
from onvif.client import _WSDL_PATH
from pydantic import SecretStr
from zeep.transports import Transport

from adapters.onvif.client import CameraClient, camera_time
from adapters.onvif.config import DEFAULT_TOPICS, CameraConfig, OnvifSettings
from adapters.onvif.errors import CameraError
from adapters.onvif.pullpoint import lifetime_s, notification
from adapters.onvif.topics import TopicTable, raw_point
from gateway.core.clock import VirtualClock
from simulators.camera.soap import envelope

EVENTS = "{http://www.onvif.org/ver10/events/wsdl}"
DEVICE = "{http://www.onvif.org/ver10/device/wsdl}"
OPERATIONS = (("events.wsdl", f"{EVENTS}PullPointSubscriptionBinding", "PullMessages"),
              ("events.wsdl", f"{EVENTS}EventBinding", "CreatePullPointSubscription"),
              ("devicemgmt.wsdl", f"{DEVICE}DeviceBinding", "GetSystemDateAndTime"))
TABLE = TopicTable(DEFAULT_TOPICS)
MAX_POINTS = 1000


@dataclass
class _Reply:
    """What zeep reads of an HTTP answer."""

    content: bytes
    status_code: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "application/soap+xml; charset=utf-8"})
    encoding: str = "utf-8"


class Replies:
    """Parses answers to the operations above, as one camera's client would."""

    def __init__(self) -> None:
        self._clients: dict[str, zeep.Client] = {}
        self.loop = asyncio.new_event_loop()
        config = CameraConfig.model_validate({
            "type": "camera", "id": "cam", "name": "Camera", "zone": "z",
            "host": "127.0.0.1", "username": "u", "password": SecretStr("p")})
        self.camera = self.loop.run_until_complete(self._client(config))

    @staticmethod
    async def _client(config: CameraConfig) -> CameraClient:
        return CameraClient(config, OnvifSettings(), VirtualClock())

    def _zeep(self, wsdl: str) -> zeep.Client:
        if wsdl not in self._clients:
            self._clients[wsdl] = zeep.Client(os.path.join(_WSDL_PATH, wsdl),
                                              transport=Transport(cache=None))
        return self._clients[wsdl]

    def answer(self, which: int, content: bytes) -> Any:
        """The parsed answer to operation `which`; CameraError as the client raises it."""
        wsdl, binding_name, name = OPERATIONS[which]
        client = self._zeep(wsdl)
        binding = client.wsdl.bindings[binding_name]

        async def parse() -> Any:
            return binding.process_reply(client, binding.get(name), _Reply(content))

        return self.loop.run_until_complete(self.camera.call(name, parse()))

    def close(self) -> None:
        self.loop.run_until_complete(self.camera.close())
        self.loop.close()


def read(replies: Replies, which: int, content: bytes) -> None:
    """Parse one answer and read it as the adapter does; raises only on a defect."""
    try:
        answer = replies.answer(which, content)
        if which == 0:
            points = 0
            for message in answer.NotificationMessage or []:
                item = notification(message)
                if item is None:
                    continue
                try:
                    mapped = TABLE.map(item) if TABLE.knows(item) else [raw_point(item)]
                except ValueError:
                    mapped = [raw_point(item)]
                for point in mapped:
                    assert not isinstance(point.value, float) or math.isfinite(point.value), \
                        point
                points += len(mapped)
            assert points <= MAX_POINTS
        elif which == 1:
            lifetime_s(answer.CurrentTime, answer.TerminationTime)
        else:
            assert isinstance(camera_time(answer), float)
    except CameraError:
        return


def pull_messages(topic: str, name: str, value: str, source: str = "") -> bytes:
    """A PullMessages answer carrying one notification of these (escaped) texts."""
    return envelope(
        "<tev:PullMessagesResponse><tev:CurrentTime>2026-01-01T00:00:00Z</tev:CurrentTime>"
        "<tev:TerminationTime>2026-01-01T00:01:00Z</tev:TerminationTime>"
        '<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/'
        f'topicExpression/ConcreteSet">{escape(topic)}</wsnt:Topic><wsnt:Message>'
        '<tt:Message UtcTime="2026-01-01T00:00:00Z" PropertyOperation="Changed">'
        f'<tt:Source><tt:SimpleItem Name="Source" Value="{escape(source, _QUOTE)}"/>'
        f'</tt:Source><tt:Data><tt:SimpleItem Name="{escape(name, _QUOTE)}" '
        f'Value="{escape(value, _QUOTE)}"/></tt:Data></tt:Message></wsnt:Message>'
        "</wsnt:NotificationMessage></tev:PullMessagesResponse>").encode()


def system_date(year: str, month: str, day: str, hour: str, minute: str, second: str
                ) -> bytes:
    """A GetSystemDateAndTime answer with these (escaped) UTC fields."""
    date = "".join(f"<tt:{k}>{escape(v)}</tt:{k}>" for k, v in
                   (("Year", year), ("Month", month), ("Day", day)))
    time = "".join(f"<tt:{k}>{escape(v)}</tt:{k}>" for k, v in
                   (("Hour", hour), ("Minute", minute), ("Second", second)))
    return envelope(
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
        f"<tt:UTCDateTime><tt:Time>{time}</tt:Time><tt:Date>{date}</tt:Date></tt:UTCDateTime>"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>").encode()


def subscription(current: str, termination: str) -> bytes:
    """A CreatePullPointSubscription answer with these (escaped) times."""
    return envelope(
        "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
        "<wsa:Address>http://127.0.0.1/onvif/subscription?Idx=0</wsa:Address>"
        f"</tev:SubscriptionReference><wsnt:CurrentTime>{escape(current)}</wsnt:CurrentTime>"
        f"<wsnt:TerminationTime>{escape(termination)}</wsnt:TerminationTime>"
        "</tev:CreatePullPointSubscriptionResponse>").encode()


_QUOTE = {'"': "&quot;"}


def _texts(data: bytes, count: int) -> list[str]:
    parts = data.decode("utf-8", errors="replace").split("\x00")
    return (parts + [""] * count)[:count]


def content_of(data: bytes) -> tuple[int, bytes]:
    """Operation and answer from fuzz input: its first byte picks the operation and
    whether the rest is the whole answer or the texts of a well-formed one."""
    mode, rest = (data[0], data[1:]) if data else (0, b"")
    which = mode % len(OPERATIONS)
    if mode & 0x80:
        return which, rest
    if which == 0:
        return which, pull_messages(*_texts(rest, 4))
    if which == 1:
        return which, subscription(*_texts(rest, 2))
    return which, system_date(*_texts(rest, 6))


def target() -> Callable[[bytes], None]:
    replies = Replies()

    def one(data: bytes) -> None:
        read(replies, *content_of(data))
    return one


SEEDS = (b"\x00tns1:RuleEngine/CellMotionDetector/Motion\x00IsMotion\x00true\x00vs1",
         b"\x00tns1:VideoSource/MotionAlarm\x00State\x00nan",
         b"\x012026-01-01T00:00:00Z\x002026-01-01T00:01:00Z",
         b"\x022026\x0012\x0031\x0023\x0059\x0059", b"\x0213\x000\x0031\x0023\x0059\x0059")
