"""FastAPI application over a running `Gateway`."""


import asyncio
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.camera import NoFrame
from adapters.video.evidence import UnknownCamera
from gateway.alerts.manager import AlertActionError, AlertNotFound
from gateway.app.api.admin import admin_routes
from gateway.app.api.auth import UNAUTHENTICATED, Auth, address
from gateway.app.api.health import HealthReport, health_report
from gateway.app.api.modes import mode_routes
from gateway.app.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    AlertDetail,
    AlertView,
    DeviceView,
    HistoryLine,
)
from gateway.app.evidence import EVIDENCE_PATH
from gateway.app.gateway import Gateway
from gateway.core.accounts import Principal, Role
from gateway.core.alerts import ACTIVE_STATES, AlertState


class OperatorAction(BaseModel):
    """Why; the actor is the logged-in user or the token."""

    note: str = Field(default="", max_length=2000, description="What was done or found.")


def create_api(gateway: Gateway, keepalive_s: float = 15.0) -> FastAPI:
    api = FastAPI(title="Campus Security Gateway", version="0.1.0")
    tz = gateway.config.site.tz
    page = resources.files("gateway.app.web").joinpath("index.html").read_text("utf-8")
    auth = Auth(gateway.accounts, secure_cookie=gateway.config.api.tls is not None)
    Viewer = Annotated[Principal, Depends(auth.require(Role.VIEWER))]
    Operator = Annotated[Principal, Depends(auth.require(Role.OPERATOR))]
    api.include_router(auth.routes())
    api.include_router(admin_routes(gateway.accounts, auth.require))

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> str:
        return page

    @api.get("/live")
    async def live() -> dict[str, str]:
        """Liveness: the process answers (open, says nothing about the school)."""
        return {"status": "alive"}

    @api.get("/health", response_model=HealthReport, responses={
        **UNAUTHENTICATED,
        503: {"model": HealthReport, "description": "Some part is degraded or failed."}})
    async def health(response: Response, _: Viewer) -> HealthReport:
        """Every part's health (200 only when all are ok, else 503), the counters of
        every part, and how many alert documents wait per channel."""
        report = health_report(gateway.parts(), gateway.health(),
                               await gateway.store.outbox.backlog())
        if report.status != "ok":
            response.status_code = 503
        return report

    @api.get("/alerts", responses=UNAUTHENTICATED)
    async def list_alerts(
        _: Viewer,
        state: Annotated[Literal["active", "queue", "all", "open", "acknowledged",
                                 "resolved", "closed"], Query(
            description="`queue`: the active ones and those that cleared by themselves "
                        "before anyone acknowledged them.")] = "active",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[AlertView]:
        """The newest alerts first."""
        if state == "queue":
            return [AlertView.of(alert, tz) for alert in await gateway.store.alerts.queue(limit)]
        states = (None if state == "all" else ACTIVE_STATES if state == "active"
                  else (AlertState(state),))
        alerts = await gateway.store.alerts.newest(states, limit)
        return [AlertView.of(alert, tz) for alert in alerts]

    @api.get("/alerts/{alert_id}", responses={**UNAUTHENTICATED, **NOT_FOUND})
    async def get_alert(alert_id: str, _: Viewer) -> AlertDetail:
        """One alert with its whole history."""
        alert = await gateway.store.alerts.get(alert_id)
        if alert is None:
            raise HTTPException(404, f"no alert {alert_id}")
        history = await gateway.store.alerts.history(alert_id)
        return AlertDetail(**AlertView.of(alert, tz).model_dump(),
                           history=[HistoryLine.of(entry, tz) for entry in history])

    @api.post("/alerts/{alert_id}/{action}",
              responses={**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT})
    async def act(alert_id: str, action: Literal["ack", "resolve", "close"],
                  body: OperatorAction, principal: Operator, request: Request) -> AlertView:
        """Acknowledge, resolve or close an alert (closing a latched one: supervisors)."""
        if action == "close" and not principal.allows(Role.SUPERVISOR):
            found = await gateway.store.alerts.get(alert_id)
            if found is not None and found.latching:
                raise HTTPException(403, "closing a latched alert needs the supervisor role")
        try:
            alert = await gateway.manager.act(alert_id, action, principal.name, body.note)
        except AlertNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except AlertActionError as exc:
            raise HTTPException(409, str(exc)) from None
        await gateway.accounts.audit(principal.name, f"alert.{action}", alert_id,
                                     {"note": body.note}, address(request))
        return AlertView.of(alert, tz)

    @api.post("/cameras/{camera_id}/reference",
              responses={**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT})
    async def capture_reference(camera_id: str, principal: Operator,
                                request: Request) -> dict[str, Any]:
        """Take the camera's current view as the clear reference of its regions."""
        video = _video(gateway)
        try:
            info = await video.capture_reference(camera_id)
        except UnknownCamera:
            raise HTTPException(404, f"no camera with analytics {camera_id!r}") from None
        except NoFrame as exc:
            raise HTTPException(409, f"{camera_id}: {exc}") from None
        await gateway.accounts.audit(principal.name, "camera.reference", camera_id,
                                     address=address(request))
        return _public(info.to_dict())

    @api.get("/cameras/{camera_id}/reference", responses={**UNAUTHENTICATED, **NOT_FOUND})
    async def get_reference(camera_id: str, _: Viewer) -> dict[str, Any]:
        video = _video(gateway)
        try:
            info = video.reference(camera_id)
        except UnknownCamera:
            raise HTTPException(404, f"no camera with analytics {camera_id!r}") from None
        if info is None:
            raise HTTPException(404, f"{camera_id} has no reference yet")
        return _public(info.to_dict())

    api.include_router(mode_routes(gateway.mode_service, gateway.clock.now, gateway.accounts,
                                   auth.require))

    @api.get("/devices", responses=UNAUTHENTICATED)
    async def devices(_: Viewer) -> list[DeviceView]:
        """Every device's availability and last values."""
        return [DeviceView.model_validate(state.to_dict())
                for state in gateway.registry.devices.values()]

    @api.get("/stream", responses=UNAUTHENTICATED)
    async def stream(_: Viewer, request: Request) -> StreamingResponse:
        """Server-sent events: every alert and mode change as it is stored, each with its
        id; a client reconnecting with `Last-Event-ID` gets what it missed, or a `reset`
        event when that is gone (re-read `/alerts`)."""
        last = request.headers.get("last-event-id", "")
        after = int(last) if last.isdigit() else None
        return StreamingResponse(_sse(gateway, keepalive_s, after),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    evidence = gateway.config.adapters.video.evidence_dir.resolve()

    @api.get(f"/{EVIDENCE_PATH}/{{path:path}}", responses={**UNAUTHENTICATED, **NOT_FOUND},
             response_class=FileResponse)
    async def evidence_file(path: str, _: Viewer) -> FileResponse:
        """A frame the gateway captured with an alert."""
        found = (evidence / path).resolve()
        if not found.is_relative_to(evidence) or not found.is_file():
            raise HTTPException(404, "no such evidence")
        return FileResponse(found)

    return api


def _public(reference: dict[str, Any]) -> dict[str, Any]:
    """A camera reference without where the server keeps its files."""
    return {key: value for key, value in reference.items()
            if key != "path"}


def _video(gateway: Gateway) -> VideoAnalyticsAdapter:
    if gateway.video is None:
        raise HTTPException(404, "no camera has analytics configured")
    return gateway.video


async def _sse(gateway: Gateway, keepalive_s: float,
               after: int | None) -> AsyncIterator[str]:
    async with gateway.feed.listen(after) as queue:
        yield ": connected\n\n"
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            yield (f"id: {message['seq']}\nevent: {message['type']}\n"
                   f"data: {json.dumps(message, ensure_ascii=False)}\n\n")
