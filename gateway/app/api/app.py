"""FastAPI application over a running `Gateway`."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.camera import NoFrame
from adapters.video.evidence import UnknownCamera
from gateway.alerts.manager import AlertActionError, AlertNotFound
from gateway.app.api.health import HealthReport, health_report
from gateway.app.api.modes import mode_routes
from gateway.app.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    UNAUTHORIZED,
    AlertDetail,
    AlertView,
    DeviceView,
    HistoryLine,
)
from gateway.app.evidence import EVIDENCE_PATH
from gateway.app.gateway import Gateway
from gateway.core.alerts import ACTIVE_STATES, AlertState

_bearer = HTTPBearer(auto_error=False)


class OperatorAction(BaseModel):
    """Who acts on an alert, and why."""

    actor: str = Field(min_length=1, description="Operator name or badge number.")
    note: str = Field(default="", description="What was done or found.")


def create_api(gateway: Gateway, keepalive_s: float = 15.0) -> FastAPI:
    api = FastAPI(title="Campus Security Gateway", version="0.1.0")
    tz = gateway.config.site.tz
    token = gateway.config.api.token.get_secret_value()
    page = resources.files("gateway.app.web").joinpath("index.html").read_text("utf-8")

    def operator(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is None or not secrets.compare_digest(credentials.credentials, token):
            raise HTTPException(401, "a valid bearer token is required",
                                headers={"WWW-Authenticate": "Bearer"})

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> str:
        return page

    @api.get("/health", response_model=HealthReport, responses={
        503: {"model": HealthReport, "description": "Some part is degraded or failed."}})
    async def health(response: Response) -> HealthReport:
        """Every part's health (200 only when all are ok, else 503), the counters of
        every part, and how many alert documents wait per channel."""
        report = health_report(gateway.parts(), gateway.health(),
                               await gateway.store.outbox.backlog())
        if report.status != "ok":
            response.status_code = 503
        return report

    @api.get("/alerts")
    async def list_alerts(
        state: Annotated[Literal["active", "all", "open", "acknowledged", "resolved",
                                 "closed"], Query()] = "active",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[AlertView]:
        """The newest alerts first."""
        states = (None if state == "all" else ACTIVE_STATES if state == "active"
                  else (AlertState(state),))
        alerts = await gateway.store.alerts.newest(states, limit)
        return [AlertView.of(alert, tz) for alert in alerts]

    @api.get("/alerts/{alert_id}", responses=NOT_FOUND)
    async def get_alert(alert_id: str) -> AlertDetail:
        """One alert with its whole history."""
        alert = await gateway.store.alerts.get(alert_id)
        if alert is None:
            raise HTTPException(404, f"no alert {alert_id}")
        history = await gateway.store.alerts.history(alert_id)
        return AlertDetail(**AlertView.of(alert, tz).model_dump(),
                           history=[HistoryLine.of(entry, tz) for entry in history])

    @api.post("/alerts/{alert_id}/{action}", dependencies=[Depends(operator)],
              responses={**UNAUTHORIZED, **NOT_FOUND, **CONFLICT})
    async def act(alert_id: str, action: Literal["ack", "resolve", "close"],
                  body: OperatorAction) -> AlertView:
        """Acknowledge, resolve or close an alert."""
        try:
            alert = await gateway.manager.act(alert_id, action, body.actor, body.note)
        except AlertNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except AlertActionError as exc:
            raise HTTPException(409, str(exc)) from None
        return AlertView.of(alert, tz)

    @api.post("/cameras/{camera_id}/reference", dependencies=[Depends(operator)],
              responses={**UNAUTHORIZED, **NOT_FOUND, **CONFLICT})
    async def capture_reference(camera_id: str) -> dict[str, Any]:
        """Take the camera's current view as the clear reference of its regions."""
        video = _video(gateway)
        try:
            info = await video.capture_reference(camera_id)
        except UnknownCamera:
            raise HTTPException(404, f"no camera with analytics {camera_id!r}") from None
        except NoFrame as exc:
            raise HTTPException(409, f"{camera_id}: {exc}") from None
        return info.to_dict()

    @api.get("/cameras/{camera_id}/reference", responses=NOT_FOUND)
    async def get_reference(camera_id: str) -> dict[str, Any]:
        video = _video(gateway)
        try:
            info = video.reference(camera_id)
        except UnknownCamera:
            raise HTTPException(404, f"no camera with analytics {camera_id!r}") from None
        if info is None:
            raise HTTPException(404, f"{camera_id} has no reference yet")
        return info.to_dict()

    api.include_router(mode_routes(gateway.mode_service, gateway.clock.now, operator))

    @api.get("/devices")
    async def devices() -> list[DeviceView]:
        """Every device's availability and last values."""
        return [DeviceView.model_validate(state.to_dict())
                for state in gateway.registry.devices.values()]

    @api.get("/stream")
    async def stream() -> StreamingResponse:
        """Server-sent events: every alert change as it is stored."""
        return StreamingResponse(_sse(gateway, keepalive_s), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    evidence = gateway.config.adapters.video.evidence_dir
    api.mount(f"/{EVIDENCE_PATH}", StaticFiles(directory=evidence, check_dir=False),
              name="evidence")
    return api


def _video(gateway: Gateway) -> VideoAnalyticsAdapter:
    if gateway.video is None:
        raise HTTPException(404, "no camera has analytics configured")
    return gateway.video


async def _sse(gateway: Gateway, keepalive_s: float) -> AsyncIterator[str]:
    async with gateway.feed.listen() as queue:
        yield ": connected\n\n"
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            yield f"event: {message['type']}\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
