"""The OASIS CAP 1.2 (Common Alerting Protocol) message for one alert revision: a pure
encoder, no I/O. See the "CAP 1.2" section of docs/linkage.md for every field."""

from __future__ import annotations

import hashlib
import math
import mimetypes
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from gateway.core.alerts import AlertRevision, AlertState, Category, Closure, Severity

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CONTENT_TYPE = "application/cap+xml"
LANGUAGES = ("zh-CN", "en")
DEFAULT_RADIUS_KM = 0.05

Scope = Literal["Public", "Restricted"]

CAP_CATEGORY: dict[Category, str] = {
    Category.PANIC: "Security",
    Category.FIRE: "Fire",
    Category.INTRUSION: "Security",
    Category.PERIMETER: "Security",
    Category.TRAFFIC: "Transport",
    Category.HAZARD: "Safety",
    Category.TAMPER: "Security",
    Category.DEVICE_HEALTH: "Infra",
    Category.MAINTENANCE: "Infra",
}
"""Our category -> CAP `category`."""

EVENT_NAMES: dict[Category, dict[str, str]] = {
    Category.PANIC: {"zh-CN": "一键报警", "en": "Panic alarm"},
    Category.FIRE: {"zh-CN": "火警", "en": "Fire alarm"},
    Category.INTRUSION: {"zh-CN": "非法闯入", "en": "Intrusion"},
    Category.PERIMETER: {"zh-CN": "周界报警", "en": "Perimeter alarm"},
    Category.TRAFFIC: {"zh-CN": "校园交通安全", "en": "Campus traffic safety"},
    Category.HAZARD: {"zh-CN": "安全隐患", "en": "Safety hazard"},
    Category.TAMPER: {"zh-CN": "设备防拆报警", "en": "Device tampering"},
    Category.DEVICE_HEALTH: {"zh-CN": "设备故障", "en": "Device fault"},
    Category.MAINTENANCE: {"zh-CN": "设备维护", "en": "Device maintenance"},
}
"""Our category -> CAP `event`, per language (the alert's own title is the `headline`)."""

CAP_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "Extreme",
    Severity.HIGH: "Severe",
    Severity.WARNING: "Moderate",
    Severity.INFO: "Minor",
}
"""Our severity -> CAP `severity`."""

CAP_URGENCY: dict[Severity, str] = {
    Severity.CRITICAL: "Immediate",
    Severity.HIGH: "Immediate",
    Severity.WARNING: "Expected",
    Severity.INFO: "Future",
}
"""Our severity -> CAP `urgency` while the alert is active (resolved or closed: `Past`)."""

SNAPSHOT_DESCRIPTION = {"zh-CN": "现场抓拍", "en": "Camera snapshot"}
DRILL_NOTE = "演练 Drill: not a real emergency"

_NOT_IN_IDENTIFIER = re.compile(r"[\s,<&]+")


@dataclass(frozen=True, slots=True)
class CapProfile:
    """What the channel's config says about every message: who sends it and to whom."""

    sender: str
    """CAP `sender`, e.g. `campusgw@school.example` (no spaces, commas, `<` or `&`)."""
    sender_name: str = ""
    """CAP `senderName`; empty: the site's name."""
    web: str = ""
    """Base URL for `web` (`<web>/alerts/<alert_id>`); empty: no `web`."""
    scope: Scope = "Restricted"
    restriction: str = ""


@dataclass(frozen=True, slots=True)
class CapReference:
    """One earlier message, as CAP `references` names it: `sender,identifier,sent`."""

    sender: str
    identifier: str
    sent: str

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


@dataclass(frozen=True, slots=True)
class AreaShape:
    """Where the alert's zone is on the map (WGS 84): a point becomes a CAP `circle` of
    `radius_km`, an outline a CAP `polygon`; both may be given."""

    point: tuple[float, float] | None = None
    polygon: tuple[tuple[float, float], ...] = ()
    radius_km: float = DEFAULT_RADIUS_KM


def identifier(revision: AlertRevision) -> str:
    """CAP `identifier` of this revision's message: `campusgw:<site>:<alert_id>:<revision>`."""
    alert = revision.alert
    return f"{_incident(revision)}:{alert.revision}"


def sent_time(revision: AlertRevision) -> str:
    """CAP `sent`: the raise time for revision 1, else when the revision was made; whole
    seconds with the site's offset (UTC as `-00:00`, as CAP requires)."""
    alert = revision.alert
    return cap_time(alert.raised_at if alert.revision == 1 else revision.updated_at,
                    revision.tz)


def original_reference(revision: AlertRevision, sender: str) -> CapReference | None:
    """What a later revision references: the alert's first message (revision 1, sent at
    the raise time), derivable from any revision. None for revision 1 itself."""
    alert = revision.alert
    if alert.revision <= 1:
        return None
    return CapReference(sender, f"{_incident(revision)}:1", cap_time(alert.raised_at,
                                                                     revision.tz))


def cap_time(ts: float, tz: tzinfo) -> str:
    """`ts` as a CAP dateTime: `YYYY-MM-DDThh:mm:ss+hh:mm`, no fractional seconds."""
    text = datetime.fromtimestamp(math.floor(ts), tz=tz).isoformat(timespec="seconds")
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def message_type(revision: AlertRevision, previous: CapReference | None) -> str:
    """`Alert` first, then `Update`; `Cancel` once an operator marked it a false alarm."""
    if previous is None:
        return "Alert"
    return "Cancel" if revision.alert.closure is Closure.FALSE_ALARM else "Update"


def cap_message(revision: AlertRevision, previous: CapReference | None, profile: CapProfile,
                area: AreaShape | None = None,
                frames: Mapping[str, bytes] | None = None) -> bytes:
    """The CAP 1.2 XML (UTF-8, with declaration) for `revision`.

    `previous` goes into `references` (`msgType`: see `message_type`);
    `area` adds a circle and/or polygon to the `area`; `frames` holds the bytes of
    evidence items by their link, for a resource's `size` and SHA-1 `digest` and our
    SHA-256 as a `parameter` (an item without bytes has neither).
    """
    alert = revision.alert
    root = ET.Element(_tag("alert"))
    _text(root, "identifier", identifier(revision))
    _text(root, "sender", profile.sender)
    _text(root, "sent", sent_time(revision))
    _text(root, "status", "Exercise" if alert.drill else "Actual")
    _text(root, "msgType", message_type(revision, previous))
    _text(root, "scope", profile.scope)
    if profile.scope == "Restricted":
        _text(root, "restriction", profile.restriction)
    note = f"revision {alert.revision}, state {alert.state.value}"
    _text(root, "note", f"{DRILL_NOTE}; {note}" if alert.drill else note)
    if previous is not None:
        _text(root, "references", str(previous))
    _text(root, "incidents", _incident(revision))
    for language in LANGUAGES:
        root.append(_info(revision, language, profile, area, frames or {}))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", default_namespace=CAP_NAMESPACE)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _info(revision: AlertRevision, language: str, profile: CapProfile, area: AreaShape | None,
          frames: Mapping[str, bytes]) -> ET.Element:
    alert, place = revision.alert, revision.place
    info = ET.Element(_tag("info"))
    _text(info, "language", language)
    _text(info, "category", CAP_CATEGORY[alert.category])
    _text(info, "event", EVENT_NAMES[alert.category][language])
    over = alert.state in (AlertState.RESOLVED, AlertState.CLOSED)
    if over:
        _text(info, "responseType", "AllClear")
    _text(info, "urgency", "Past" if over else CAP_URGENCY[alert.severity])
    _text(info, "severity", CAP_SEVERITY[alert.severity])
    _text(info, "certainty", "Observed")
    _text(info, "senderName", profile.sender_name or place.site_name)
    _text(info, "headline", alert.title)
    if alert.message:
        _text(info, "description", alert.message)
    if alert.sop:
        _text(info, "instruction", alert.sop)
    if profile.web:
        _text(info, "web", f"{profile.web.rstrip('/')}/alerts/{alert.id}")
    _parameter(info, "campusgw:alert_id", alert.id)
    _parameter(info, "campusgw:revision", str(alert.revision))
    _parameter(info, "campusgw:state", alert.state.value)
    _parameter(info, "campusgw:device", alert.device_id)
    for link in alert.evidence:
        content = frames.get(link)
        if content is not None:
            _parameter(info, "campusgw:evidence_sha256",
                       f"{_uri(revision, link)} {hashlib.sha256(content).hexdigest()}")
    for link in alert.evidence:
        info.append(_resource(revision, link, language, frames.get(link)))
    info.append(_area(revision, area))
    return info


def _resource(revision: AlertRevision, link: str, language: str,
              content: bytes | None) -> ET.Element:
    resource = ET.Element(_tag("resource"))
    _text(resource, "resourceDesc", SNAPSHOT_DESCRIPTION[language])
    _text(resource, "mimeType", mimetypes.guess_type(link)[0] or "image/jpeg")
    if content is not None:
        _text(resource, "size", str(len(content)))
    _text(resource, "uri", _uri(revision, link))
    if content is not None:
        _text(resource, "digest", hashlib.sha1(content).hexdigest())  # CAP 1.2 digests are SHA-1
    return resource


def _area(revision: AlertRevision, shape: AreaShape | None) -> ET.Element:
    alert, place = revision.alert, revision.place
    area = ET.Element(_tag("area"))
    parts = (place.site_name, place.zone_name or alert.zone, place.building, place.floor,
             alert.location)
    _text(area, "areaDesc", " / ".join(dict.fromkeys(part for part in parts if part)))
    if shape is not None and len(shape.polygon) >= 3:
        ring = list(shape.polygon)
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        _text(area, "polygon", " ".join(_pair(corner) for corner in ring))
    if shape is not None and shape.point is not None:
        _text(area, "circle", f"{_pair(shape.point)} {shape.radius_km:g}")
    return area


def _incident(revision: AlertRevision) -> str:
    alert = revision.alert
    return _NOT_IN_IDENTIFIER.sub("-", f"campusgw:{alert.site}:{alert.id}")


def _uri(revision: AlertRevision, link: str) -> str:
    return f"{revision.evidence_base_url}{link}"


def _pair(position: tuple[float, float]) -> str:
    return f"{_degrees(position[0])},{_degrees(position[1])}"


def _degrees(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _parameter(parent: ET.Element, name: str, value: str) -> None:
    parameter = ET.SubElement(parent, _tag("parameter"))
    _text(parameter, "valueName", name)
    _text(parameter, "value", value)


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, _tag(name)).text = value


def _tag(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"
