"""FastAPI application over a running `Gateway`."""


import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from adapters.video.adapter import VideoAnalyticsAdapter
from adapters.video.camera import NoFrame
from adapters.video.evidence import UnknownCamera
from gateway.app.api.admin import admin_routes
from gateway.app.api.alerts import alert_routes
from gateway.app.api.auth import UNAUTHENTICATED, Auth, address
from gateway.app.api.console import console_routes
from gateway.app.api.drills import drill_routes
from gateway.app.api.hazards import hazard_routes
from gateway.app.api.health import HealthReport, health_report
from gateway.app.api.linkage import linkage_routes
from gateway.app.api.modes import mode_routes
from gateway.app.api.nul import RefuseNul
from gateway.app.api.reports import report_routes
from gateway.app.api.schemas import CONFLICT, NOT_FOUND
from gateway.app.api.shift import shift_routes
from gateway.app.api.statistics import statistics_routes
from gateway.app.api.web import SecurityHeaders, console_pages
from gateway.app.evidence import EVIDENCE_PATH
from gateway.app.gateway import Gateway
from gateway.app.metrics import CONTENT_TYPE as METRICS_TYPE
from gateway.core.accounts import Principal, Role


def create_api(gateway: Gateway, keepalive_s: float = 15.0) -> FastAPI:
    api = FastAPI(title="Campus Security Gateway", version="0.1.0", docs_url=None,
                  redoc_url=None)
    tls = gateway.config.api.tls is not None
    api.add_middleware(RefuseNul)
    api.add_middleware(SecurityHeaders, tls=tls)
    auth = Auth(gateway.accounts, secure_cookie=tls)
    Viewer = Annotated[Principal, Depends(auth.require(Role.VIEWER))]
    Operator = Annotated[Principal, Depends(auth.require(Role.OPERATOR))]
    api.include_router(auth.routes())
    api.include_router(admin_routes(gateway.accounts, auth.require))
    api.include_router(alert_routes(gateway, auth.require))
    api.include_router(console_routes(gateway, auth.require))
    api.include_router(shift_routes(gateway, auth.require))
    api.include_router(hazard_routes(gateway, auth.require))
    api.include_router(linkage_routes(gateway))
    console_pages(api)

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
    api.include_router(drill_routes(gateway.drills, gateway.clock.now, gateway.accounts,
                                    auth.require))
    api.include_router(statistics_routes(gateway.reporting, auth.require))
    api.include_router(report_routes(gateway.reporting, gateway.accounts, auth.require))

    @api.get("/metrics", responses={
        **UNAUTHENTICATED,
        200: {"content": {METRICS_TYPE: {}}, "description": "Prometheus text format."}})
    async def metrics(_: Viewer) -> Response:
        """Prometheus metrics (scrape with an API token: `Authorization: Bearer ...`)."""
        return Response(await gateway.metrics.render(), media_type=METRICS_TYPE)

    @api.get("/stream", responses=UNAUTHENTICATED)
    async def stream(
            _: Viewer, request: Request,
            after: Annotated[int | None, Query(
                ge=0, description="Start after this change (the `X-Feed-Seq` of "
                                  "`GET /alerts`); `Last-Event-ID` wins.")] = None,
    ) -> StreamingResponse:
        """Server-sent events: every alert and mode change as it is stored, each with its
        id; a client reconnecting with `Last-Event-ID` gets what it missed, or a `reset`
        event when that is gone (re-read `/alerts`)."""
        last = request.headers.get("last-event-id", "")
        if last.isdigit():
            after = int(last)
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
