"""ONVIF event notifications of a simulated camera and its PullPoint subscriptions."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass, field

from simulators.camera.soap import SoapFault, simple_items, text, xml_time
from simulators.camera.wsse import parse_xml_datetime

TOPIC_DIALECT = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"

MOTION_TOPIC = "tns1:RuleEngine/CellMotionDetector/Motion"
TAMPER_TOPIC = "tns1:RuleEngine/TamperDetector/Tamper"
DIGITAL_INPUT_TOPIC = "tns1:Device/Trigger/DigitalInput"
FIELD_TOPIC = "tns1:RuleEngine/FieldDetector/ObjectsInside"
LINE_TOPIC = "tns1:RuleEngine/LineDetector/Crossed"

ANALYTICS_SOURCE = {"VideoSourceConfigurationToken": "vsc0",
                    "VideoAnalyticsConfigurationToken": "vac0"}

# topic -> (source item names, data item name, data type), for GetEventProperties
ADVERTISED_TOPICS: dict[str, tuple[tuple[str, ...], str, str]] = {
    MOTION_TOPIC: (("VideoSourceConfigurationToken", "VideoAnalyticsConfigurationToken",
                    "Rule"), "IsMotion", "xs:boolean"),
    TAMPER_TOPIC: (("VideoSourceConfigurationToken", "VideoAnalyticsConfigurationToken",
                    "Rule"), "IsTamper", "xs:boolean"),
    DIGITAL_INPUT_TOPIC: (("InputToken",), "LogicalState", "xs:boolean"),
    FIELD_TOPIC: (("VideoSourceConfigurationToken", "VideoAnalyticsConfigurationToken",
                   "Rule"), "IsInside", "xs:boolean"),
    LINE_TOPIC: (("VideoSourceConfigurationToken", "VideoAnalyticsConfigurationToken",
                  "Rule"), "ObjectId", "xs:integer"),
}

MAX_QUEUED = 1000


@dataclass(frozen=True)
class Notification:
    """One ONVIF event message (tt:Message inside wsnt:NotificationMessage)."""

    topic: str
    utc_time: float
    source: dict[str, str]
    data: dict[str, str]
    operation: str = "Changed"

    def to_xml(self) -> str:
        source = f"<tt:Source>{simple_items(self.source)}</tt:Source>" if self.source else ""
        return (f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{TOPIC_DIALECT}">'
                f"{text(self.topic)}</wsnt:Topic><wsnt:Message>"
                f'<tt:Message UtcTime="{xml_time(self.utc_time)}" '
                f'PropertyOperation="{self.operation}">{source}'
                f"<tt:Data>{simple_items(self.data)}</tt:Data></tt:Message>"
                f"</wsnt:Message></wsnt:NotificationMessage>")


@dataclass
class PullPointSubscription:
    """A subscription's queue of messages and its termination time (camera clock)."""

    id: str
    termination: float
    queue: deque[Notification] = field(default_factory=lambda: deque(maxlen=MAX_QUEUED))
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, message: Notification) -> None:
        self.queue.append(message)
        self.arrived.set()

    def take(self, limit: int) -> list[Notification]:
        taken = [self.queue.popleft() for _ in range(min(limit, len(self.queue)))]
        if not self.queue:
            self.arrived.clear()
        return taken


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")


def parse_duration(value: str) -> float:
    """Seconds of an xs:duration such as `PT60S`, `PT1M` or `P1DT2H`."""
    match = _DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        raise SoapFault("Sender", "ter:InvalidArgVal", f"bad duration {value!r}")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def termination_from(value: str | None, camera_now: float, default_s: float) -> float:
    """An absolute or relative (duration) termination time, on the camera clock."""
    if not value:
        return camera_now + default_s
    if value.strip().startswith("P"):
        return camera_now + parse_duration(value)
    try:
        return parse_xml_datetime(value)
    except SoapFault:
        raise SoapFault("Sender", "ter:InvalidArgVal",
                        f"bad termination time {value!r}") from None
