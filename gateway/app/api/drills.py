"""`/drills`: drills planned, run and reported. Anyone logged in reads them; planning,
starting, ending them and entering the evacuation time takes a supervisor, who is their
actor, and each action is audited."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from gateway.accounts.service import AccountService
from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.schemas import CONFLICT, NOT_FOUND
from gateway.app.api.statistics import INVALID
from gateway.core.accounts import Principal, Role
from gateway.core.drills import Drill, DrillError, DrillKind, DrillNotFound, local_date
from gateway.core.modes import ModeError, ModeNotFound
from gateway.core.statistics import PeriodError, day
from gateway.modes.config import MAX_DRILL_S
from gateway.modes.drills import DrillService

ERRORS = {**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT}
WINDOW_DAYS = 200
"""`GET /drills` without dates: this many days either side of today."""


class PlanRequest(BaseModel):
    """Plan a drill."""

    kind: DrillKind = Field(description="comprehensive, fire, anti_terror, food_safety, "
                                        "flood or night.")
    title: str = Field(default="", max_length=200, description="What is drilled.")
    zone: str | None = Field(default=None, min_length=1,
                             description="Zone id; none: the whole site.")
    start: datetime = Field(description="When it is planned; without an offset: site time.")
    minutes: float = Field(gt=0, le=MAX_DRILL_S / 60, description="How long (at most 24 h).")
    expected_participants: int = Field(default=0, ge=0, le=100_000)
    lead: str = Field(default="", max_length=100, description="Who leads it.")


class EndRequest(BaseModel):
    note: str = Field(default="", max_length=500, description="Why it ends now.")


class RecordRequest(BaseModel):
    """What the drill lead enters once the drill has run."""

    evacuation_s: float | None = Field(default=None, ge=0, le=24 * 3600,
                                       description="Seconds until everyone was out.")
    participants: int | None = Field(default=None, ge=0, le=100_000)
    notes: str | None = Field(default=None, max_length=5000)


def drill_routes(service: DrillService, now: Callable[[], float], accounts: AccountService,
                 require: Require) -> APIRouter:
    router = APIRouter(prefix="/drills", tags=["drills"])
    tz = service.tz
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
    Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]

    async def audited(principal: Principal, request: Request, drill: Drill,
                      action: str) -> dict[str, Any]:
        await accounts.audit(principal.name, f"drill.{action}", drill.id,
                             {"kind": drill.kind, "zone": drill.zone,
                              "evacuation_s": drill.evacuation_s}, address(request))
        return drill.to_dict(tz, now())

    @router.get("", responses={**UNAUTHENTICATED, **INVALID})
    async def list_drills(
        _: Viewer,
        first: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
        last: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    ) -> dict[str, Any]:
        """Drills planned or run from `from` to `to` (default: 200 days either side of
        today), and what the terms in those days require (`status` missing is a
        warning)."""
        today = local_date(now(), tz)
        try:
            start = day(first, "from") if first else today - timedelta(days=WINDOW_DAYS)
            end = day(last, "to") if last else today + timedelta(days=WINDOW_DAYS)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from None
        if end < start:
            raise HTTPException(422, f"to: {end} is before from ({start})")
        bounds = (datetime.combine(start, datetime.min.time(), tz).timestamp(),
                  datetime.combine(end + timedelta(days=1), datetime.min.time(),
                                   tz).timestamp())
        drills = await service.between(*bounds)
        required = await service.required(start, end)
        return {"drills": [d.to_dict(tz, now()) for d in drills],
                "required": [r.to_dict(today) for r in required],
                "boarding": service.boarding}

    @router.get("/{drill_id}", responses=ERRORS)
    async def drill_report(drill_id: str, _: Viewer) -> dict[str, Any]:
        """The drill and every alert raised in it, with the time to acknowledge, to
        dispatch and to resolve each."""
        with _errors():
            report = await service.report(drill_id)
        return report.to_dict(tz, now())

    @router.post("", status_code=201, responses=ERRORS)
    async def plan(body: PlanRequest, principal: Supervisor,
                   request: Request) -> dict[str, Any]:
        start = body.start if body.start.tzinfo else body.start.replace(tzinfo=tz)
        with _errors():
            drill = await service.plan(body.kind, body.title, body.zone, start.timestamp(),
                                       body.minutes * 60, body.expected_participants,
                                       body.lead, principal.name)
        return await audited(principal, request, drill, "plan")

    @router.post("/{drill_id}/start", responses=ERRORS)
    async def start(drill_id: str, principal: Supervisor,
                    request: Request) -> dict[str, Any]:
        """Start the drill's drill mode now (its alerts are marked as drills)."""
        with _errors():
            drill = await service.start(drill_id, principal.name)
        return await audited(principal, request, drill, "start")

    @router.post("/{drill_id}/end", responses=ERRORS)
    async def end(drill_id: str, body: EndRequest, principal: Supervisor,
                  request: Request) -> dict[str, Any]:
        with _errors():
            drill = await service.end(drill_id, principal.name, body.note)
        return await audited(principal, request, drill, "end")

    @router.post("/{drill_id}/record", responses=ERRORS)
    async def record(drill_id: str, body: RecordRequest, principal: Supervisor,
                     request: Request) -> dict[str, Any]:
        """Enter the evacuation time, the participants and notes."""
        with _errors():
            drill = await service.record(drill_id, body.evacuation_s, body.participants,
                                         body.notes)
        return await audited(principal, request, drill, "record")

    return router


@contextmanager
def _errors() -> Iterator[None]:
    """Drill and mode errors as HTTP errors: unknown -> 404, conflicting -> 409."""
    try:
        yield
    except (DrillNotFound, ModeNotFound) as exc:
        raise HTTPException(404, str(exc)) from None
    except (DrillError, ModeError) as exc:
        raise HTTPException(409, str(exc)) from None
