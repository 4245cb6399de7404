"""Every answer of the API, declared once: the routes' response models, so `/openapi.json`
describes each answer and each error a client can get.

The alert view is the stored alert (`gateway.core.alerts.ALERT_FIELDS`) as JSON, with times
in the site's zone; a test checks the two against each other.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.video.evidence import EvidenceItem
from gateway.app.evidence import EVIDENCE_PATH
from gateway.core.alerts import Alert, AlertState, Category, Closure, DispatchKind, Severity
from gateway.core.events import PointValue
from gateway.core.linkage import PoliceStatus
from gateway.core.repositories import HistoryEntry
from gateway.core.sops import StepKind
from gateway.core.timefmt import iso


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChecklistStepView(View):
    id: str
    kind: StepKind
    text: str
    text_en: str
    required: bool = Field(description="Resolving waits for it.")
    number: str = Field(description="The number to call, for a call step.")
    value: str | None = Field(description="The answer; null until done.")
    by: str | None = Field(description="Who did it.")
    at: str | None = Field(description="When.")


class DispatchView(View):
    kind: DispatchKind
    to: str
    note: str
    by: str
    at: str


class LinkageStatusView(View):
    channel: str
    status: PoliceStatus
    at: str = Field(description="When, as the platform says.")
    received_at: str
    reason: str
    unit: str
    eta_s: float | None
    disposition: str
    note: str


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
    title_en: str = Field(description="The title in English, when the rule gives one.")
    sop_id: str = Field(description="The procedure its checklist comes from (\"\": none).")
    sop_version: int = Field(description="Which version of it.")
    owner: str = Field(description="Who claimed it (\"\": nobody); only they act on it, "
                                   "unless a supervisor forces.")
    snoozed_until: str | None = Field(description="Put aside until then.")
    closure: Closure | None = Field(description="Why it was resolved.")
    checklist: list[ChecklistStepView] = Field(description="The procedure's steps, done "
                                                           "or not, by whom, when.")
    dispatches: list[DispatchView] = Field(description="Who was sent, by whom, when.")
    linkage: list[LinkageStatusView] = Field(
        description="What the linkage platforms (the police) said back, as received.")
    police_accepted_after_s: float | None = Field(
        description="Seconds from the raise to the first `accepted`.")
    police_on_scene_after_s: float | None = Field(
        description="Seconds from the raise to the first `on_scene`.")
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


class EvidenceFrame(View):
    """A camera frame stored with an alert."""

    camera_id: str
    role: Literal["before", "alert"] = Field(description="Before the alert, or at it.")
    captured_at: str
    url: str = Field(description="Where the API serves it (with a login).")
    sha256: str = Field(description="Of the file as it was stored.")
    size: int

    @classmethod
    def of(cls, item: EvidenceItem, tz: tzinfo) -> EvidenceFrame:
        return cls(camera_id=item.camera_id, role=item.role,
                   captured_at=iso(item.captured_at, tz), url=f"/{EVIDENCE_PATH}/{item.link}",
                   sha256=item.sha256, size=item.size)


class DeviceView(View):
    """A device's live state."""

    id: str
    type: str
    name: str
    zone: str
    availability: Literal["unknown", "online", "offline", "fault"]
    detail: str | None = Field(description="Why offline or in fault.")
    since: str | None = Field(description="When its availability last changed.")
    last_seen: float | None = Field(description="Unix seconds of its last message.")
    heartbeat_s: float | None = Field(description="Expected interval between messages.")
    malformed: int = Field(description="Malformed messages it sent (counted, not parsed).")
    in_maintenance: bool = Field(description="In maintenance now.")
    points: dict[str, PointValue] = Field(description="Last value of every point.")

    @classmethod
    def of(cls, state: dict[str, Any], malformed: int, in_maintenance: bool,
           tz: tzinfo) -> DeviceView:
        since = state["since"]
        return cls.model_validate({**state, "since": None if since is None else iso(since, tz),
                                   "malformed": malformed, "in_maintenance": in_maintenance})


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
