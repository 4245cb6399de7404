"""The alert document sent to linkage receivers (police, fire, city). See docs/linkage.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from gateway.alerts.model import Alert
from gateway.timefmt import iso

SCHEMA = "campusgw.alert/1"


@dataclass(frozen=True)
class Place:
    """Names the receiver needs alongside the ids."""

    site_name: str
    zone_name: str
    building: str
    floor: str
    device_name: str
    device_type: str


def alert_document(alert: Alert, place: Place, tz: tzinfo, updated_at: float,
                   evidence_base_url: str = "") -> dict[str, Any]:
    """The JSON document for one revision of an alert."""
    return {
        "schema": SCHEMA,
        "alert_id": alert.id,
        "revision": alert.revision,
        "site": {"id": alert.site, "name": place.site_name},
        "zone": {"id": alert.zone, "name": place.zone_name, "building": place.building,
                 "floor": place.floor},
        "device": {"id": alert.device_id, "name": place.device_name, "type": place.device_type},
        "category": alert.category.value,
        "severity": alert.severity.value,
        "state": alert.state.value,
        "drill": alert.drill,
        "title": alert.title,
        "message": alert.message,
        "location": alert.location,
        "raised_at": iso(alert.raised_at, tz),
        "updated_at": iso(updated_at, tz),
        "event_count": alert.event_count,
        "evidence": [f"{evidence_base_url}{item}" for item in alert.evidence],
    }


def encode(document: dict[str, Any]) -> str:
    """The exact body text: compact, UTF-8, keys in a stable order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
