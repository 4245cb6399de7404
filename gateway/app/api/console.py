"""What the control-room console reads besides alerts: its settings, the site plans and
their pictures, zones, devices, camera snapshots, and each user's language."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from adapters.video.evidence import UnknownCamera
from gateway.app.api.auth import UNAUTHENTICATED, Me, Require, address
from gateway.app.api.schemas import NOT_FOUND, DeviceView, View
from gateway.app.gateway import Gateway
from gateway.core.accounts import Principal, Role
from gateway.core.alerts import Closure, DispatchKind, Severity


class ConsoleSettings(View):
    site_id: str
    site_name: str
    ack_target_s: dict[Severity, float] = Field(
        description="Seconds to acknowledge each severity before its row turns late.")
    snooze_max_minutes: float
    closure_reasons: list[Closure]
    dispatch_kinds: list[DispatchKind]


class PlanDevice(View):
    device_id: str
    x: float
    y: float


class PlanView(View):
    id: str
    name: str
    name_en: str
    building: str
    floor: str
    width: float
    height: float
    image: str = Field(description="Where the API serves the picture (with a login).")
    devices: list[PlanDevice] = Field(description="Positions in the picture's pixels, "
                                                  "from its top-left corner.")


class ZoneView(View):
    id: str
    name: str
    building: str
    floor: str


class LanguageRequest(BaseModel):
    language: Literal["zh-CN", "en"]


def console_routes(gateway: Gateway, require: Require) -> APIRouter:
    router = APIRouter(tags=["console"])
    config = gateway.config
    tz = config.site.tz
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
    plans = {plan.id: plan for plan in config.plans}

    @router.get("/console/settings", responses=UNAUTHENTICATED)
    async def settings(_: Viewer) -> ConsoleSettings:
        """What the console needs to know of the site and of its own rules."""
        return ConsoleSettings(
            site_id=config.site.id, site_name=config.site.name,
            ack_target_s=config.console.ack_target_s,
            snooze_max_minutes=config.console.snooze_max_minutes,
            closure_reasons=list(Closure), dispatch_kinds=list(DispatchKind))

    @router.get("/plans", responses=UNAUTHENTICATED)
    async def list_plans(_: Viewer) -> list[PlanView]:
        """The site plans: a picture per floor, with where each device is on it."""
        return [PlanView(id=p.id, name=p.name, name_en=p.name_en, building=p.building,
                         floor=p.floor, width=p.width, height=p.height,
                         image=f"/plans/{p.id}/image",
                         devices=[PlanDevice(device_id=device, x=x, y=y)
                                  for device, (x, y) in p.devices.items()])
                for p in config.plans]

    @router.get("/plans/{plan_id}/image", response_class=FileResponse,
                responses={**UNAUTHENTICATED, **NOT_FOUND})
    async def plan_image(plan_id: str, _: Viewer) -> FileResponse:
        plan = plans.get(plan_id)
        if plan is None:
            raise HTTPException(404, f"no plan {plan_id!r}")
        return FileResponse(plan.image, media_type=plan.media_type)

    @router.get("/zones", responses=UNAUTHENTICATED)
    async def zones(_: Viewer) -> list[ZoneView]:
        return [ZoneView(id=z.id, name=z.name, building=z.building, floor=z.floor)
                for z in config.zones]

    @router.get("/devices", responses=UNAUTHENTICATED)
    async def devices(_: Viewer) -> list[DeviceView]:
        """Every device's availability (since when), last values, malformed messages and
        whether it is in maintenance."""
        malformed = gateway.malformed_by_device()
        now = gateway.clock.now()
        return [DeviceView.of(state.to_dict(), malformed.get(state.id, 0),
                              gateway.modes.maintenance(state.id, now) is not None, tz)
                for state in gateway.registry.devices.values()]

    @router.get("/cameras/{camera_id}/snapshot", responses={
        **UNAUTHENTICATED, **NOT_FOUND,
        200: {"content": {"image/jpeg": {}}, "description": "The newest frame."}})
    async def snapshot(camera_id: str, _: Viewer) -> Response:
        """The camera's newest frame, as the analytics received it."""
        return Response(newest_frame(gateway, camera_id), media_type="image/jpeg",
                        headers={"Cache-Control": "no-store"})

    @router.put("/auth/me/language", tags=["auth"], responses=UNAUTHENTICATED)
    async def set_language(body: LanguageRequest, request: Request,
                           principal: Annotated[Principal, Depends(require(Role.VIEWER))]
                           ) -> Me:
        """Keep the console's language for this user (zh-CN or en)."""
        if principal.kind != "user":
            raise HTTPException(409, "a token has no language of its own")
        await gateway.accounts.set_language(principal.name, body.language, address(request))
        return Me.of(principal, body.language)

    return router


def newest_frame(gateway: Gateway, camera_id: str) -> bytes:
    """The JPEG the camera's analytics received last; 404 when there is none."""
    if gateway.video is None:
        raise HTTPException(404, "no camera has analytics configured")
    try:
        frame = gateway.video.evidence.latest(camera_id)
    except UnknownCamera:
        raise HTTPException(404, f"no camera with analytics {camera_id!r}") from None
    if frame is None:
        raise HTTPException(404, f"{camera_id} has sent no frame yet")
    return frame.jpeg
