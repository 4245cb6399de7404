"""API routes for drills and maintenance: reading them is open, changing them takes the
operator's bearer token, like acting on an alert."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from gateway.app.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    UNAUTHORIZED,
    ModeAuditView,
    ModeListingView,
    ModeView,
)
from gateway.core.modes import MaintenanceAction, Mode, ModeError, ModeNotFound
from gateway.modes.config import MAX_DRILL_S
from gateway.modes.service import ModeService

MAX_DRILL_MINUTES = MAX_DRILL_S / 60
ERRORS = {**UNAUTHORIZED, **NOT_FOUND, **CONFLICT}
MAX_MAINTENANCE_MINUTES = 7 * 24 * 60.0


class DrillRequest(BaseModel):
    """Start a drill now."""

    zone: str | None = Field(default=None, min_length=1,
                             description="Zone id; none: the whole site.")
    minutes: float = Field(gt=0, le=MAX_DRILL_MINUTES, description="How long (at most 24 h).")
    actor: str = Field(min_length=1, description="Operator name or badge number.")
    note: str = Field(default="", description="What is drilled.")


class MaintenanceRequest(BaseModel):
    """Put a device in maintenance (or test) mode now."""

    device_id: str = Field(min_length=1, description="The device.")
    minutes: float = Field(gt=0, le=MAX_MAINTENANCE_MINUTES,
                           description="How long (at most 7 days).")
    actor: str = Field(min_length=1, description="Operator name or badge number.")
    note: str = Field(default="", description="What is done to the device.")
    action: MaintenanceAction = Field(
        description="`suppress`: its alerts are not raised; `mark`: raised, marked as "
                    "maintenance, forwarded nowhere.")


class EndRequest(BaseModel):
    """End a mode before its expiry."""

    actor: str = Field(min_length=1, description="Operator name or badge number.")
    note: str = Field(default="", description="Why it ends early.")


def mode_routes(service: ModeService, now: Callable[[], float],
                operator: Callable[..., None]) -> APIRouter:
    """`/modes` routes over `service`; `operator` is the dependency that checks the token."""
    router = APIRouter(prefix="/modes", tags=["modes"])
    tz = service.tz

    def shown(mode: Mode) -> ModeView:
        return ModeView.model_validate(mode.to_dict(tz))

    @router.get("")
    async def list_modes() -> ModeListingView:
        """Drills and maintenance now in force, planned, and over in the last day."""
        listing = await service.list_modes()
        return ModeListingView(active=[shown(m) for m in listing.active],
                               upcoming=[shown(m) for m in listing.upcoming],
                               recent=[shown(m) for m in listing.recent])

    @router.get("/audit")
    async def audit(
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        mode_id: Annotated[str | None, Query()] = None,
    ) -> list[ModeAuditView]:
        """Every start, early end and expiry, newest first."""
        return [ModeAuditView.model_validate(entry.to_dict(tz))
                for entry in await service.audit(limit, mode_id)]

    @router.post("/drill", status_code=201, dependencies=[Depends(operator)], responses=ERRORS)
    async def start_drill(body: DrillRequest) -> ModeView:
        with _errors():
            mode = await service.start_drill(body.zone, now() + body.minutes * 60,
                                             body.actor, body.note)
        return shown(mode)

    @router.post("/maintenance", status_code=201, dependencies=[Depends(operator)],
                 responses=ERRORS)
    async def start_maintenance(body: MaintenanceRequest) -> ModeView:
        with _errors():
            mode = await service.start_maintenance(
                body.device_id, now() + body.minutes * 60, body.actor, body.note, body.action)
        return shown(mode)

    @router.post("/{mode_id}/end", dependencies=[Depends(operator)], responses=ERRORS)
    async def end_mode(mode_id: str, body: EndRequest) -> ModeView:
        with _errors():
            mode = await service.end_mode(mode_id, body.actor, body.note)
        return shown(mode)

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
