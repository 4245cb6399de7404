"""API routes for drills and maintenance: anyone logged in reads them; starting and ending
them takes a supervisor, who is their actor, and each change is audited."""


from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from gateway.accounts.service import AccountService
from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    ModeAuditView,
    ModeListingView,
    ModeView,
)
from gateway.core.accounts import Principal, Role
from gateway.core.modes import MaintenanceAction, Mode, ModeError, ModeNotFound
from gateway.modes.config import MAX_DRILL_S
from gateway.modes.service import ModeService

MAX_DRILL_MINUTES = MAX_DRILL_S / 60
ERRORS = {**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT}
MAX_MAINTENANCE_MINUTES = 7 * 24 * 60.0


class DrillRequest(BaseModel):
    """Start a drill now."""

    zone: str | None = Field(default=None, min_length=1,
                             description="Zone id; none: the whole site.")
    minutes: float = Field(gt=0, le=MAX_DRILL_MINUTES, description="How long (at most 24 h).")
    note: str = Field(default="", description="What is drilled.")


class MaintenanceRequest(BaseModel):
    """Put a device in maintenance (or test) mode now."""

    device_id: str = Field(min_length=1, description="The device.")
    minutes: float = Field(gt=0, le=MAX_MAINTENANCE_MINUTES,
                           description="How long (at most 7 days).")
    note: str = Field(default="", description="What is done to the device.")
    action: MaintenanceAction = Field(
        description="`suppress`: its alerts are not raised; `mark`: raised, marked as "
                    "maintenance, forwarded nowhere.")


class EndRequest(BaseModel):
    """End a mode before its expiry."""

    note: str = Field(default="", description="Why it ends early.")


def mode_routes(service: ModeService, now: Callable[[], float], accounts: AccountService,
                require: Require) -> APIRouter:
    """`/modes` routes over `service`; `require` checks who asks."""
    router = APIRouter(prefix="/modes", tags=["modes"])
    tz = service.tz
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
    Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]

    async def audited(principal: Principal, request: Request, mode: Mode,
                      change: str) -> ModeView:
        await accounts.audit(principal.name, f"mode.{change}", mode.id,
                             {"kind": mode.kind, "zone": mode.zone,
                              "device_id": mode.device_id, "until": mode.until},
                             address(request))
        return shown(mode)

    def shown(mode: Mode) -> ModeView:
        return ModeView.model_validate(mode.to_dict(tz))

    @router.get("", responses=UNAUTHENTICATED)
    async def list_modes(_: Viewer) -> ModeListingView:
        """Drills and maintenance now in force, planned, and over in the last day."""
        listing = await service.list_modes()
        return ModeListingView(active=[shown(m) for m in listing.active],
                               upcoming=[shown(m) for m in listing.upcoming],
                               recent=[shown(m) for m in listing.recent])

    @router.get("/audit", responses=UNAUTHENTICATED)
    async def audit(
        _: Viewer,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        mode_id: Annotated[str | None, Query()] = None,
    ) -> list[ModeAuditView]:
        """Every start, early end and expiry, newest first."""
        return [ModeAuditView.model_validate(entry.to_dict(tz))
                for entry in await service.audit(limit, mode_id)]

    @router.post("/drill", status_code=201, responses=ERRORS)
    async def start_drill(body: DrillRequest, principal: Supervisor,
                          request: Request) -> ModeView:
        with _errors():
            mode = await service.start_drill(body.zone, now() + body.minutes * 60,
                                             principal.name, body.note)
        return await audited(principal, request, mode, "drill")

    @router.post("/maintenance", status_code=201, responses=ERRORS)
    async def start_maintenance(body: MaintenanceRequest, principal: Supervisor,
                                request: Request) -> ModeView:
        with _errors():
            mode = await service.start_maintenance(
                body.device_id, now() + body.minutes * 60, principal.name, body.note,
                body.action)
        return await audited(principal, request, mode, "maintenance")

    @router.post("/{mode_id}/end", responses=ERRORS)
    async def end_mode(mode_id: str, body: EndRequest, principal: Supervisor,
                       request: Request) -> ModeView:
        with _errors():
            mode = await service.end_mode(mode_id, principal.name, body.note)
        return await audited(principal, request, mode, "end")

    return router


@contextmanager
def _errors() -> Iterator[None]:
    """Mode errors as HTTP errors: unknown -> 404, conflicting -> 409."""
    try:
        yield
    except ModeNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ModeError as exc:
        raise HTTPException(409, str(exc)) from None
