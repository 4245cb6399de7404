"""The alert document sent to linkage receivers (police, fire, city). See docs/linkage.md."""

from __future__ import annotations

import json
from typing import Any

from gateway.core.alerts import AlertRevision
from gateway.core.timefmt import iso

SCHEMA = "campusgw.alert/1"


def alert_document(revision: AlertRevision) -> dict[str, Any]:
    """The JSON document for one revision of an alert."""
    alert, place, tz = revision.alert, revision.place, revision.tz
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
        "closure": None if alert.closure is None else alert.closure.value,
        "drill": alert.drill,
        "title": alert.title,
        "message": alert.message,
        "location": alert.location,
        "raised_at": iso(alert.raised_at, tz),
        "updated_at": iso(revision.updated_at, tz),
        "event_count": alert.event_count,
        "evidence": [f"{revision.evidence_base_url}{item}" for item in alert.evidence],
    }


def encode(document: dict[str, Any]) -> str:
    """The exact body text: compact, UTF-8, keys in a stable order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def linkage_body(revision: AlertRevision) -> bytes:
    """The signed JSON body of `revision`, the same bytes on every attempt."""
    return encode(alert_document(revision)).encode("utf-8")
