"""Config of ONVIF cameras (视频监控) and of the ONVIF connections to them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from adapters.video.config import VideoAnalyticsConfig
from gateway.core.config import DeviceBase, StrictModel

SNAPSHOT_POINT = "snapshot_ok"
"""Point telling whether the camera's snapshot URL gives a whole JPEG."""

RAW_POINT_PREFIX = "raw:"
"""Point name prefix of events whose topic is not in the table."""


def topic_path(topic: str) -> str:
    """A topic without its namespace prefix and surrounding slashes."""
    return topic.strip().split(":", 1)[-1].strip("/")


class OnvifSettings(StrictModel):
    """How the gateway talks ONVIF to every camera."""

    request_timeout_s: float = Field(default=10.0, gt=0,
                                     description="Timeout of one SOAP request.")
    snapshot_timeout_s: float = Field(default=10.0, gt=0,
                                      description="Timeout of one snapshot fetch.")
    pull_timeout_s: float = Field(
        default=5.0, gt=0, le=60,
        description="How long the camera may hold a PullMessages request open.")
    message_limit: int = Field(default=100, ge=1, le=1000,
                               description="Most messages fetched by one PullMessages.")
    subscription_s: float = Field(default=60.0, ge=10,
                                  description="Lifetime asked for a PullPoint subscription.")
    renew_at: float = Field(
        default=0.8, gt=0.1, lt=1,
        description="Share of a subscription's lifetime after which it is renewed.")
    retry_initial_s: float = Field(default=1.0, gt=0,
                                   description="First delay before reconnecting a camera.")
    retry_max_s: float = Field(default=60.0, gt=0,
                               description="Longest delay between reconnection attempts.")
    check_s: float = Field(
        default=30.0, gt=0,
        description="How often a camera without events is checked (GetSystemDateAndTime).")
    snapshot_check_s: float | None = Field(
        default=300.0, gt=0,
        description="How often the snapshot URL is checked for a valid JPEG; none: only "
                    "when connecting.")


class TopicMapping(StrictModel):
    """An ONVIF event topic turned into a point. Topics are matched without their
    namespace prefix (`tns1:RuleEngine/...` and `RuleEngine/...` are the same)."""

    topic: str = Field(description="Topic path, e.g. `tns1:RuleEngine/CellMotionDetector/Motion`.")
    point: str = Field(description="Point name, e.g. `motion`; `{source}` is replaced by the "
                                   "value of the `source_item`.")
    data_item: str | None = Field(default=None,
                                  description="Name of the data SimpleItem; none: the first.")
    source_item: str | None = Field(
        default=None, description="Source SimpleItem whose value fills `{source}` in `point` "
                                  "(e.g. `InputToken` for several digital inputs).")
    kind: Literal["bool", "int", "float", "str"] = Field(default="bool", description="Value type.")
    urgent: bool = Field(default=False, description="Use the bus's priority lane.")

    @field_validator("topic")
    @classmethod
    def _has_path(cls, topic: str) -> str:
        if not topic_path(topic):
            raise ValueError("topic needs a path such as RuleEngine/CellMotionDetector/Motion")
        return topic

    @property
    def point_pattern(self) -> str:
        """The point name, with `*` for the `{source}` value it is filled in with."""
        return self.point if self.source_item is None else self.point.replace("{source}", "*")


DEFAULT_TOPICS: tuple[TopicMapping, ...] = (
    TopicMapping(topic="tns1:RuleEngine/CellMotionDetector/Motion", point="motion",
                 data_item="IsMotion"),
    TopicMapping(topic="tns1:VideoSource/MotionAlarm", point="motion", data_item="State"),
    TopicMapping(topic="tns1:RuleEngine/TamperDetector/Tamper", point="tampering",
                 data_item="IsTamper"),
    TopicMapping(topic="tns1:VideoSource/GlobalSceneChange/ImagingService", point="tampering",
                 data_item="State"),
    TopicMapping(topic="tns1:Device/Trigger/DigitalInput", point="input_{source}",
                 data_item="LogicalState", source_item="InputToken"),
    TopicMapping(topic="tns1:RuleEngine/FieldDetector/ObjectsInside", point="intrusion",
                 data_item="IsInside"),
    TopicMapping(topic="tns1:RuleEngine/LineDetector/Crossed", point="line_crossed",
                 data_item="ObjectId", kind="int"),
)
"""What a camera's events mean when its config gives no topic table."""


class CameraConfig(DeviceBase):
    """An ONVIF camera: events by PullPoint subscription, snapshots over HTTP."""

    type: Literal["camera"] = Field(description="Device type: an ONVIF IP camera.")
    host: str = Field(description="Camera host name or address.")
    port: int = Field(default=80, ge=1, le=65535, description="Camera HTTP port.")
    device_service_path: str = Field(
        default="/onvif/device_service", pattern=r"^/",
        description="Path of the ONVIF device service (a few cameras and NVR channels differ).")
    username: str = Field(description="ONVIF user name.")
    password: SecretStr = Field(description="ONVIF password (use `${ENV}` or `!file`).")
    snapshot_auth: Literal["digest", "basic"] = Field(
        default="digest", description="HTTP authentication of the snapshot URL.")
    profile: str | None = Field(default=None,
                                description="Media profile token to use; none: the first.")
    events: bool = Field(default=True, description="Subscribe to the camera's events.")
    topics: tuple[TopicMapping, ...] | None = Field(
        default=None, description="Event topic table; none: motion, tampering, digital "
                                  "inputs, field detection and line crossing.")
    analytics: VideoAnalyticsConfig | None = Field(
        default=None, description="OpenCV analytics on this camera's snapshots.")

    @property
    def topic_table(self) -> tuple[TopicMapping, ...]:
        return self.topics if self.topics is not None else DEFAULT_TOPICS

    def point_names(self) -> tuple[str, ...]:
        """`snapshot_ok`; with `events`, the topic table's points and `raw:*` (events of
        topics not in the table); then the analytics' points."""
        names = [SNAPSHOT_POINT]
        if self.events:
            names += [mapping.point_pattern for mapping in self.topic_table]
            names.append(RAW_POINT_PREFIX + "*")
        if self.analytics is not None:
            names += self.analytics.point_names()
        return tuple(dict.fromkeys(names))
