"""Outbox jobs keep the alert revision, not one channel's message.

Before, each job's `body` was the JSON linkage document (`campusgw.alert/1`) sent byte
for byte. Now it is the stored revision (`AlertRevision.to_json()`), from which each
channel encodes its own message. Each old document is turned into the revision it was
made from: the alert row gives the fields the document leaves out, the document the
state of its own revision. The document gave times with an offset but no zone name, so
the zone becomes the fixed-offset `Etc/GMT` zone of that offset: the JSON channel
re-encodes exactly the document that was queued.

Revision ID: 0002
Revises: 0001
Created: 2026-12-02
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_DOCUMENT = "campusgw.alert/1"
_FIELDS = ("id", "key", "rule_id", "site", "device_id", "zone", "category", "severity",
           "title", "message", "location", "state", "latching", "drill", "raised_at",
           "last_event_at", "event_count", "revision", "channels", "evidence", "receipts",
           "escalation", "escalation_level", "sop")
_JSON_FIELDS = ("channels", "evidence", "receipts", "escalation")
_FROM_DOCUMENT = ("revision", "category", "severity", "state", "title", "message",
                  "location", "event_count")


def upgrade() -> None:
    connection = op.get_bind()
    jobs = connection.execute(sa.text("SELECT id, alert_id, body FROM outbox")).all()
    for job_id, alert_id, body in jobs:
        document = json.loads(body)
        if document.get("schema") != _DOCUMENT:
            continue  # a revision already
        row = connection.execute(
            sa.text(f"SELECT {', '.join(_FIELDS)} FROM alerts WHERE id = :id"),
            {"id": alert_id}).one()
        connection.execute(sa.text("UPDATE outbox SET body = :body WHERE id = :id"),
                           {"body": _revision(dict(zip(_FIELDS, row, strict=True)), document),
                            "id": job_id})


def downgrade() -> None:
    connection = op.get_bind()
    jobs = connection.execute(sa.text("SELECT id, body FROM outbox")).all()
    for job_id, body in jobs:
        stored = json.loads(body)
        if "alert" in stored:
            connection.execute(sa.text("UPDATE outbox SET body = :body WHERE id = :id"),
                               {"body": _document(stored), "id": job_id})


def _revision(alert: dict[str, Any], document: dict[str, Any]) -> str:
    for name in _JSON_FIELDS:
        alert[name] = json.loads(alert[name])
    alert.update({name: document[name] for name in _FROM_DOCUMENT})
    alert["latching"], alert["drill"] = bool(alert["latching"]), bool(document["drill"])
    updated = datetime.fromisoformat(document["updated_at"])
    evidence = document["evidence"]
    base = ""
    if evidence and alert["evidence"] and evidence[0].endswith(alert["evidence"][0]):
        base = evidence[0][:len(evidence[0]) - len(alert["evidence"][0])]
    place = {"site_name": document["site"]["name"], "zone_name": document["zone"]["name"],
             "building": document["zone"]["building"], "floor": document["zone"]["floor"],
             "device_name": document["device"]["name"],
             "device_type": document["device"]["type"]}
    return _compact({"alert": alert, "place": place, "updated_at": updated.timestamp(),
                     "timezone": _zone(updated), "evidence_base_url": base})


def _zone(moment: datetime) -> str:
    offset = moment.utcoffset()
    seconds = 0 if offset is None else int(offset.total_seconds())
    if seconds == 0 or seconds % 3600:
        return "UTC"
    return f"Etc/GMT{-seconds // 3600:+d}"  # the Etc zones count the other way


def _document(stored: dict[str, Any]) -> str:
    from zoneinfo import ZoneInfo

    alert, place = stored["alert"], stored["place"]
    zone = ZoneInfo(stored["timezone"])

    def iso(ts: float) -> str:
        return datetime.fromtimestamp(ts, tz=zone).isoformat(timespec="milliseconds")

    return _compact({
        "schema": _DOCUMENT, "alert_id": alert["id"], "revision": alert["revision"],
        "site": {"id": alert["site"], "name": place["site_name"]},
        "zone": {"id": alert["zone"], "name": place["zone_name"],
                 "building": place["building"], "floor": place["floor"]},
        "device": {"id": alert["device_id"], "name": place["device_name"],
                   "type": place["device_type"]},
        "category": alert["category"], "severity": alert["severity"],
        "state": alert["state"], "drill": alert["drill"], "title": alert["title"],
        "message": alert["message"], "location": alert["location"],
        "raised_at": iso(alert["raised_at"]), "updated_at": iso(stored["updated_at"]),
        "event_count": alert["event_count"],
        "evidence": [f"{stored['evidence_base_url']}{item}" for item in alert["evidence"]],
    })


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
