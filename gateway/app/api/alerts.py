"""The alert routes: the queue, one alert with its history, its evidence and evidence
package, and everything an operator does to it (`gateway.alerts.workflow`), each done as
the logged-in person and audited."""

import asyncio
import hashlib
import io
import json
import zipfile
from dataclasses import asdict
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from adapters.video.evidence import EvidenceItem, stored_evidence
from gateway.alerts.workflow import (
    Acknowledge,
    Actor,
    AlertActionError,
    AlertNotFound,
    Answer,
    Claim,
    Close,
    Command,
    FalseAlarm,
    Forward,
    Promote,
    Release,
    Resolve,
    Send,
    Snooze,
)
from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    AlertDetail,
    AlertView,
    EvidenceFrame,
    HistoryLine,
)
from gateway.app.evidence import EVIDENCE_PATH
from gateway.app.gateway import Gateway
from gateway.core.accounts import Principal, Role
from gateway.core.alerts import ACTIVE_STATES, Alert, AlertState, Closure, DispatchKind
from gateway.core.timefmt import iso

ERRORS = {**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT}
Note = Annotated[str, Field(default="", max_length=2000, description="What was done or found.")]
Force = Annotated[bool, Field(
    default=False, description="Act on an alert someone else claimed (supervisors).")]


class ActionRequest(BaseModel):
    """Why; the actor is the logged-in user or the token."""

    note: Note = ""
    force: Force = False


class ResolveRequest(ActionRequest):
    reason: Closure = Field(description="Why it is resolved: real, false_alarm, technical "
                                        "or drill.")


class SnoozeRequest(BaseModel):
    minutes: float = Field(gt=0, le=60, description="How long (at most the configured "
                                                    "`console.snooze_max_minutes`).")
    note: Note = ""


class ForwardRequest(BaseModel):
    to: str = Field(min_length=1, max_length=100, description="The user who takes it over.")
    note: Note = ""


class DispatchRequest(BaseModel):
    kind: DispatchKind = Field(description="guard, police, fire, medical or other.")
    to: str = Field(min_length=1, max_length=200, description="Whom: a name, a unit.")
    note: Note = ""
    force: Force = False


class StepRequest(BaseModel):
    value: str = Field(min_length=1, max_length=2000,
                       description="check: done; yesno: yes or no; call: called or "
                                   "`no answer`; text and dispatch: what was done.")
    note: Note = ""
    force: Force = False


Simple = Literal["claim", "release", "ack", "false_alarm", "close", "promote"]
_SIMPLE: dict[str, type[Command]] = {
    "claim": Claim, "release": Release, "ack": Acknowledge, "false_alarm": FalseAlarm,
    "close": Close, "promote": Promote}


def alert_routes(gateway: Gateway, require: Require) -> APIRouter:
    router = APIRouter(prefix="/alerts", tags=["alerts"])
    tz = gateway.config.site.tz
    folder = gateway.config.adapters.video.evidence_dir
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
    Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]

    async def found(alert_id: str) -> Alert:
        alert = await gateway.store.alerts.get(alert_id)
        if alert is None:
            raise HTTPException(404, f"no alert {alert_id}")
        return alert

    async def run(alert_id: str, command: Command, principal: Principal,
                  request: Request) -> AlertView:
        actor = Actor(principal.name, may_force=principal.allows(Role.SUPERVISOR))
        try:
            alert = await gateway.manager.act(alert_id, command, actor)
        except AlertNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except AlertActionError as exc:
            raise HTTPException(409, str(exc)) from None
        detail = {key: value for key, value in asdict(command).items()
                  if value not in ("", False)}
        await gateway.accounts.audit(principal.name, f"alert.{command.action}", alert_id,
                                     detail, address(request))
        return AlertView.of(alert, tz)

    queue_read = QueueSnapshot()

    @router.get("", response_model=list[AlertView], responses=UNAUTHENTICATED)
    async def list_alerts(
        _: Viewer, response: Response,
        state: Annotated[Literal["active", "queue", "all", "open", "acknowledged",
                                 "resolved", "closed"], Query(
            description="`queue`: the active ones and those that cleared by themselves "
                        "before anyone acknowledged them.")] = "active",
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> Any:
        """The newest alerts first. `X-Feed-Seq` says where the live stream stood before
        they were read: `GET /stream?after=` it misses nothing since."""
        seq = gateway.feed.seq
        if state == "queue":
            changed = (seq, sum(w.delivered for w in gateway.workers), limit)
            body = queue_read.get(changed)
            if body is None:
                alerts = await gateway.store.alerts.queue(limit)
                # `Alert.to_dict` is the `AlertView` (a test holds them equal).
                body = queue_read.keep(changed, json.dumps(
                    [alert.to_dict(tz) for alert in alerts], ensure_ascii=False).encode())
            return Response(body, media_type="application/json",
                            headers={"X-Feed-Seq": str(seq)})
        response.headers["X-Feed-Seq"] = str(seq)
        states = (None if state == "all" else ACTIVE_STATES if state == "active"
                  else (AlertState(state),))
        return [AlertView.of(alert, tz) for alert in await gateway.store.alerts.newest(
            states, limit)]

    @router.get("/{alert_id}", responses={**UNAUTHENTICATED, **NOT_FOUND})
    async def get_alert(alert_id: str, _: Viewer) -> AlertDetail:
        """One alert with its whole history."""
        alert = await found(alert_id)
        history = await gateway.store.alerts.history(alert_id)
        return AlertDetail(**AlertView.of(alert, tz).model_dump(),
                           history=[HistoryLine.of(entry, tz) for entry in history])

    @router.get("/{alert_id}/evidence", responses={**UNAUTHENTICATED, **NOT_FOUND})
    async def evidence(alert_id: str, _: Viewer) -> list[EvidenceFrame]:
        """The frames stored with the alert, oldest first: before it and at it, per camera,
        each with its SHA-256."""
        alert = await found(alert_id)
        return [EvidenceFrame.of(item, tz) for item in await frames_of(alert, folder)]

    @router.get("/{alert_id}/package", responses={
        **UNAUTHENTICATED, **NOT_FOUND,
        200: {"content": {"application/zip": {}}, "description": "The evidence package."}})
    async def package(alert_id: str, principal: Viewer, request: Request) -> Response:
        """A zip of the frames, the alert, its history and a manifest of every file's
        SHA-256; the download is audited."""
        alert = await found(alert_id)
        items = await frames_of(alert, folder)
        history = await gateway.store.alerts.history(alert_id)
        body = await asyncio.to_thread(
            _zip, AlertView.of(alert, tz).model_dump_json(indent=1),
            json.dumps([HistoryLine.of(h, tz).model_dump(by_alias=True) for h in history],
                       ensure_ascii=False, indent=1), items)
        await gateway.accounts.audit(principal.name, "alert.package", alert_id,
                                     {"frames": len(items),
                                      "sha256": hashlib.sha256(body).hexdigest()},
                                     address(request))
        return Response(body, media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="alert-{alert_id}.zip"'})

    @router.post("/{alert_id}/resolve", responses=ERRORS)
    async def resolve(alert_id: str, body: ResolveRequest, principal: Operator,
                      request: Request) -> AlertView:
        """Resolve with a reason; refused while required checklist steps are open, and
        for a latched alert nobody acknowledged yet."""
        return await run(alert_id, Resolve(body.note, body.force, body.reason), principal,
                         request)

    @router.post("/{alert_id}/snooze", responses=ERRORS)
    async def snooze(alert_id: str, body: SnoozeRequest, principal: Operator,
                     request: Request) -> AlertView:
        """Put it aside for a few minutes (never a critical alert)."""
        return await run(alert_id, Snooze(body.note, minutes=body.minutes), principal,
                         request)

    @router.post("/{alert_id}/forward", responses=ERRORS)
    async def forward(alert_id: str, body: ForwardRequest, principal: Operator,
                      request: Request) -> AlertView:
        """Hand it to another operator, who then owns it."""
        user = await gateway.store.users.get(body.to)
        if user is None or user.disabled or not user.role.allows(Role.OPERATOR):
            raise HTTPException(409, f"{body.to!r} is not an operator who can take it")
        return await run(alert_id, Forward(body.note, to=body.to), principal, request)

    @router.post("/{alert_id}/dispatch", responses=ERRORS)
    async def dispatch(alert_id: str, body: DispatchRequest, principal: Operator,
                       request: Request) -> AlertView:
        """Record whom was sent (a guard, the police, the fire brigade), by whom, when."""
        return await run(alert_id, Send(body.note, body.force, body.kind, body.to),
                         principal, request)

    @router.post("/{alert_id}/steps/{step_id}", responses=ERRORS)
    async def step(alert_id: str, step_id: str, body: StepRequest, principal: Operator,
                   request: Request) -> AlertView:
        """Do a step of the alert's checklist."""
        return await run(alert_id, Answer(body.note, body.force, step_id, body.value),
                         principal, request)

    @router.post("/{alert_id}/silence", status_code=204, responses=ERRORS)
    async def silence(alert_id: str, body: ActionRequest, principal: Operator,
                      request: Request) -> None:
        """Record that this person silenced the alert's sound in their console."""
        await found(alert_id)
        await gateway.accounts.audit(principal.name, "alert.silence", alert_id,
                                     {"note": body.note} if body.note else {},
                                     address(request))

    @router.post("/{alert_id}/{action}", responses=ERRORS)
    async def act(alert_id: str, action: Simple, body: ActionRequest, principal: Operator,
                  request: Request) -> AlertView:
        """Claim, release, acknowledge, mark as false alarm, close, or promote a drill
        alert to real (forwarded at once). Closing a latched alert needs a supervisor."""
        if (action == "close" and not principal.allows(Role.SUPERVISOR)
                and (await found(alert_id)).latching):
            raise HTTPException(403, "closing a latched alert needs the supervisor role")
        return await run(alert_id, _SIMPLE[action](body.note, body.force), principal, request)

    return router


class QueueSnapshot:
    """The queue as last read, while nothing changed since: every alert change is a new
    feed seq, every confirmed delivery (a receipt on an alert) counts; consoles opening
    or reloading together read the store once."""

    def __init__(self) -> None:
        self._version: tuple[int, ...] | None = None
        self._body = b""

    def get(self, version: tuple[int, ...]) -> bytes | None:
        return self._body if version == self._version else None

    def keep(self, version: tuple[int, ...], body: bytes) -> bytes:
        self._version, self._body = version, body
        return body


async def frames_of(alert: Alert, folder: Path) -> list[EvidenceItem]:
    """The stored frames behind the alert's evidence links, oldest first."""
    prefix = f"{EVIDENCE_PATH}/"
    captures = dict.fromkeys(tuple(link.removeprefix(prefix).split("/")[:2])
                             for link in alert.evidence if link.startswith(prefix))

    def read() -> list[EvidenceItem]:
        items = [item for capture in captures if len(capture) == 2
                 for item in stored_evidence(folder, capture[0], capture[1])]
        return sorted(items, key=lambda item: (item.captured_at, item.camera_id))
    return await asyncio.to_thread(read)


def _zip(alert_json: str, history_json: str, items: list[EvidenceItem]) -> bytes:
    buffer = io.BytesIO()
    manifest: dict[str, str] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            manifest[name] = hashlib.sha256(data).hexdigest()
        add("alert.json", alert_json.encode())
        add("history.json", history_json.encode())
        for item in items:
            try:
                data = item.path.read_bytes()
            except OSError:
                continue
            add(f"frames/{item.link}", data)
        archive.writestr("manifest.json", json.dumps(
            {"files": manifest, "frames": [
                {"file": f"frames/{item.link}", "camera_id": item.camera_id,
                 "role": item.role, "captured_at": iso(item.captured_at, UTC),
                 "recorded_sha256": item.sha256} for item in items]}, indent=1))
    return buffer.getvalue()
