"""Every answer of the API, declared once: the routes' response models, so `/openapi.json`
describes each answer and each error a client can get.

The alert view is the stored alert (`gateway.core.alerts.ALERT_FIELDS`) as JSON, with times
in the site's zone; a test checks the two against each other.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.core.alerts import Alert, AlertState, Category, Severity
from gateway.core.events import PointValue
from gateway.core.repositories import HistoryEntry
from gateway.core.timefmt import iso


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertView(View):
    """An alert as stored, its times in the site's zone (ISO 8601 with offset)."""

    id: str = Field(description="Sortable unique id.")
    key: str = Field(description="Groups signals into one incident: rule id and device id.")
    rule_id: str = Field(description="The rule that raised it.")
    site: str = Field(description="Site id.")
    device_id: str = Field(description="The device it is about.")
    zone: str = Field(description="Zone id.")
    category: Category = Field(description="What kind of alert.")
    severity: Severity = Field(description="How urgent (escalation only raises it).")
    title: str = Field(description="Shown to operators.")
    message: str = Field(description="More detail.")
    location: str = Field(description="Where to find it, for responders.")
    state: AlertState = Field(description="open, acknowledged, resolved or closed.")
    latching: bool = Field(description="Cleared only by a person (panic, fire).")
    drill: bool = Field(description="Raised during a drill of its zone.")
    raised_at: str = Field(description="When it was raised.")
    last_event_at: str = Field(description="The latest signal behind it.")
    event_count: int = Field(description="Signals folded into it.")
    revision: int = Field(description="Counts every stored change; forwarded per revision.")
    channels: list[str] = Field(description="Forwarding channels it goes to.")
    evidence: list[str] = Field(description="Evidence links (camera frames).")
    receipts: dict[str, str] = Field(description="Receipt id per channel that confirmed it.")
    escalation_level: int = Field(description="Escalation steps applied so far.")
    sop: str = Field(description="The procedure the rule names.")
    cleared_unseen: bool = Field(
        description="It cleared by itself before anyone acknowledged it: it stays in the "
                    "queue until someone does (`POST .../ack`).")
    next_escalation_at: str | None = Field(
        description="When the next escalation step is due, if one is.")

    @classmethod
    def of(cls, alert: Alert, tz: tzinfo) -> AlertView:
        return cls.model_validate(alert.to_dict(tz))


class HistoryLine(View):
    """One change of an alert: what, when, by whom."""

    at: str = Field(description="When.")
    action: str = Field(description="raised, repeated, ack, resolve, close, escalated, ...")
    from_: str | None = Field(alias="from", description="State before.")
    to: str = Field(description="State after.")
    actor: str = Field(description="Who: an operator, or `system`.")
    note: str = Field(description="Why, or what was done.")
    revision: int = Field(description="The alert's revision after this change.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @classmethod
    def of(cls, entry: HistoryEntry, tz: tzinfo) -> HistoryLine:
        return cls.model_validate({
            "at": iso(entry.at, tz), "action": entry.action, "from": entry.from_state,
            "to": entry.to_state, "actor": entry.actor, "note": entry.note,
            "revision": entry.revision})


class AlertDetail(AlertView):
    """An alert with its whole history, oldest first."""

    history: list[HistoryLine] = Field(description="Every change, oldest first.")


class DeviceView(View):
    """A device's live state."""

    id: str
    type: str
    name: str
    zone: str
    availability: Literal["unknown", "online", "offline", "fault"]
    detail: str | None = Field(description="Why offline or in fault.")
    last_seen: float | None = Field(description="Unix seconds of its last message.")
    heartbeat_s: float | None = Field(description="Expected interval between messages.")
    points: dict[str, PointValue] = Field(description="Last value of every point.")


class ModeView(View):
    """A drill or maintenance."""

    id: str
    kind: Literal["drill", "maintenance"]
    zone: str | None = Field(description="Drilled zone; none: the whole site.")
    device_id: str | None = Field(description="Device in maintenance.")
    starts: str
    until: str
    actor: str
    note: str
    action: Literal["mark", "suppress"]
    ended_at: str | None
    ended_by: str | None


class ModeListingView(View):
    active: list[ModeView]
    upcoming: list[ModeView]
    recent: list[ModeView]


class ModeAuditView(View):
    id: int
    mode_id: str
    at: str
    change: Literal["started", "scheduled", "ended", "expired"]
    actor: str
    note: str
    kind: str
    zone: str | None
    device_id: str | None


class Problem(View):
    """What went wrong."""

    detail: Any = Field(description="A message, or the validation errors.")


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid bearer token."}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such item."}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Not possible in its present state."}}
