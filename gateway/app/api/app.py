"""FastAPI application over a running `Gateway`."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.camera import NoFrame
from adapters.video.evidence import UnknownCamera
from gateway.alerts.manager import AlertActionError, AlertNotFound
from gateway.app.api.modes import mode_routes
from gateway.app.evidence import EVIDENCE_PATH
from gateway.app.gateway import Gateway
from gateway.core.alerts import ACTIVE_STATES, AlertState
from gateway.core.timefmt import iso

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

    @api.get("/health")
    async def health() -> dict[str, Any]:
        """Counters of every part, and how many alert documents wait per channel."""
        backlog = await gateway.store.outbox.backlog()
        return {"status": "ok", **gateway.health(), "outbox_backlog": backlog}

    @api.get("/alerts")
    async def list_alerts(
        state: Annotated[Literal["active", "all", "open", "acknowledged", "resolved",
                                 "closed"], Query()] = "active",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        states = (None if state == "all" else ACTIVE_STATES if state == "active"
                  else (AlertState(state),))
        alerts = await gateway.store.alerts.newest(states, limit)
        return [alert.to_dict(tz) for alert in alerts]

    @api.get("/alerts/{alert_id}")
    async def get_alert(alert_id: str) -> dict[str, Any]:
        alert = await gateway.store.alerts.get(alert_id)
        if alert is None:
            raise HTTPException(404, f"no alert {alert_id}")
        history = await gateway.store.alerts.history(alert_id)
        return {**alert.to_dict(tz), "history": [
            {"at": iso(h.at, tz), "action": h.action, "from": h.from_state, "to": h.to_state,
             "actor": h.actor, "note": h.note, "revision": h.revision} for h in history]}

    @api.post("/alerts/{alert_id}/{action}", dependencies=[Depends(operator)])
    async def act(alert_id: str, action: Literal["ack", "resolve", "close"],
                  body: OperatorAction) -> dict[str, Any]:
        try:
            alert = await gateway.manager.act(alert_id, action, body.actor, body.note)
        except AlertNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except AlertActionError as exc:
            raise HTTPException(409, str(exc)) from None
        return alert.to_dict(tz)

    @api.post("/cameras/{camera_id}/reference", dependencies=[Depends(operator)])
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

    @api.get("/cameras/{camera_id}/reference")
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
    async def devices() -> list[dict[str, Any]]:
        return [state.to_dict() for state in gateway.registry.devices.values()]

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
