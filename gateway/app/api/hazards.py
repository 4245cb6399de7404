"""The hazard register's routes (隐患排查治理): the register and its filters, a hazard with
its history and photos, each step of its closed loop done as the logged-in person and
audited, and the quarterly self-inspections."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.console import newest_frame
from gateway.app.api.schemas import CONFLICT, NOT_FOUND
from gateway.app.gateway import Gateway
from gateway.app.hazards import HazardDraft, HazardNotFound
from gateway.core.accounts import Principal, Role
from gateway.core.hazards import (
    CATEGORY_NAMES,
    CloseOut,
    Fix,
    Hazard,
    HazardActor,
    HazardCategory,
    HazardCommand,
    HazardFilter,
    HazardLevel,
    HazardRefused,
    HazardSource,
    HazardState,
    PlanFix,
    Reassign,
    Reject,
    Reopen,
    Review,
    Verify,
    category_for_alert,
)
from gateway.core.timefmt import iso

ERRORS = {**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT}
MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
Text = Annotated[str, Field(max_length=4000)]


class HazardRequest(BaseModel):
    """A hazard found: from an alert (`alert_id`), a patrol or an inspection."""

    zone: str | None = Field(default=None, description="Zone id; from the alert if omitted.")
    category: HazardCategory | None = Field(
        default=None, description="The plan's category; guessed from the alert if omitted.")
    level: HazardLevel = HazardLevel.GENERAL
    title: Text = Field(default="", description="What is wrong, in a line.")
    description: Text = ""
    responsible: str = Field(description="The user who fixes it (责任人).")
    deadline: date | datetime = Field(
        description="整改时限: a date (end of that day, site time) or a time.")
    alert_id: str = ""
    device_id: str = Field(default="", description="Pin it on the floor plan at this "
                                                   "device (the alert's, if omitted).")


class StepRequest(BaseModel):
    note: Text = ""
    fix_plan: Text = ""
    responsible: str = ""
    deadline: date | datetime | None = None


class FindingRequest(BaseModel):
    category: HazardCategory
    zone: str
    level: HazardLevel = HazardLevel.GENERAL
    title: Text
    description: Text = ""
    responsible: str
    deadline: date | datetime


class InspectionRequest(BaseModel):
    """Every category of the plan's list with what was found (`ok` or a note)."""

    checklist: dict[str, Text]
    findings: list[FindingRequest] = Field(default_factory=list, max_length=100)


Action = Literal["plan", "fix", "verify", "reject", "close", "review", "reopen", "reassign"]
NOTED: dict[str, type[Fix | Verify | Reject | CloseOut | Review | Reopen]] = {
    "fix": Fix, "verify": Verify, "reject": Reject, "close": CloseOut, "review": Review,
    "reopen": Reopen}
"""The steps that take only a note."""


def hazard_routes(gateway: Gateway, require: Require) -> APIRouter:
    router = APIRouter(tags=["hazards"])
    register = gateway.hazards
    tz = gateway.config.site.tz
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
    Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
    Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]

    def moment(value: date | datetime) -> float:
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=tz)).timestamp()
        return datetime.combine(value, time(23, 59, 59), tz).timestamp()

    def pinned(device_id: str) -> tuple[str, float | None, float | None]:
        """The floor plan and position of `device_id`, if a plan shows it."""
        for plan in gateway.config.plans:
            if device_id in plan.devices:
                x, y = plan.devices[device_id]
                return plan.id, float(x), float(y)
        return "", None, None

    def shown(hazard: Hazard) -> dict[str, Any]:
        data = hazard.to_dict(gateway.clock.now())
        for name in ("found_at", "deadline", "fixed_at", "verified_at", "closed_at",
                     "reviewed_at", "updated_at"):
            data[name] = iso(data[name], tz) if data[name] is not None else None
        for step in data["steps"]:
            step["at"] = iso(step["at"], tz)
        zh, en = CATEGORY_NAMES[hazard.category]
        data["category_name"] = {"zh": zh, "en": en}
        return data

    async def audited(principal: Principal, request: Request, action: str, hazard: Hazard,
                      detail: dict[str, Any]) -> dict[str, Any]:
        await gateway.accounts.audit(principal.name, f"hazard.{action}", hazard.id,
                                     {k: v for k, v in detail.items() if v not in ("", None)},
                                     address(request))
        return shown(hazard)

    @router.get("/hazards/categories", responses=UNAUTHENTICATED)
    async def categories(_: Viewer) -> list[dict[str, str]]:
        """The plan's categories, with their names."""
        return [{"id": c.value, "zh": zh, "en": en} for c, (zh, en) in CATEGORY_NAMES.items()]

    @router.get("/hazards/people", responses=UNAUTHENTICATED)
    async def people(_: Operator) -> list[dict[str, str]]:
        """Who can be made responsible for a fix: every enabled user."""
        return [{"name": u.name, "role": u.role.value}
                for u in await gateway.store.users.all() if not u.disabled]

    @router.get("/hazards", responses=UNAUTHENTICATED)
    async def list_hazards(
        principal: Viewer,
        state: Annotated[Literal["open", "overdue", "closed", "all"], Query(
            description="`open`: not yet closed out; `overdue`: open past the deadline.")
        ] = "open",
        level: HazardLevel | None = None, category: HazardCategory | None = None,
        zone: str | None = None, responsible: str | None = None,
        mine: Annotated[bool, Query(description="Only those I am responsible for.")] = False,
        alert_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    ) -> list[dict[str, Any]]:
        """The register, newest first (without each hazard's history)."""
        now = gateway.clock.now()
        states = {"open": tuple(s for s in HazardState if s is not HazardState.CLOSED),
                  "overdue": None, "closed": (HazardState.CLOSED,), "all": None}[state]
        which = HazardFilter(
            states=states, level=level, category=category, zone=zone,
            responsible=principal.name if mine else responsible, alert_id=alert_id,
            overdue_at=now if state == "overdue" else None)
        return [shown(h) for h in await register.hazards.find(which, limit)]

    @router.post("/hazards", status_code=201, responses=ERRORS)
    async def add_hazard(body: HazardRequest, principal: Operator,
                         request: Request) -> dict[str, Any]:
        """Register a hazard; from an alert, its zone, category and title are the
        defaults. Without a responsible person and a future deadline it is refused (422
        naming the field) and nothing is stored."""
        zone, category, title = body.zone, body.category, body.title
        source, device_id = HazardSource.PATROL, body.device_id
        if body.alert_id:
            alert = await gateway.store.alerts.get(body.alert_id)
            if alert is None:
                raise _unprocessable("alert_id", f"no alert {body.alert_id!r}")
            zone = zone or alert.zone
            category = category or category_for_alert(alert.rule_id, alert.category.value)
            title = title or alert.title
            source, device_id = HazardSource.ALERT, device_id or alert.device_id
        if not zone:
            raise _unprocessable("zone", "a zone is required")
        plan, x, y = pinned(device_id)
        draft = HazardDraft(
            zone=zone, category=category or HazardCategory.OTHER, level=body.level,
            title=title, description=body.description or title,
            responsible=body.responsible, deadline=moment(body.deadline),
            source=source, alert_id=body.alert_id, plan=plan, x=x, y=y)
        with _refusals():
            hazard = await register.register(draft, principal.name)
        return await audited(principal, request, "register", hazard,
                             {"zone": hazard.zone, "level": hazard.level.value,
                              "responsible": hazard.responsible, "alert_id": body.alert_id})

    @router.get("/hazards/{hazard_id}", responses=ERRORS)
    async def get_hazard(hazard_id: str, _: Viewer) -> dict[str, Any]:
        """The hazard with its every step and its photos."""
        with _refusals():
            hazard = await register.get(hazard_id)
        data = shown(hazard)
        data["files"] = [f.to_dict() | {"added_at": iso(f.added_at, tz)}
                         for f in await register.hazards.files(hazard_id)]
        return data

    @router.post("/hazards/{hazard_id}/photos", status_code=201, responses={
        **ERRORS, 413: {"description": "Larger than 8 MB."},
        415: {"description": "Not a JPEG, PNG or WebP image."}},
        openapi_extra={"requestBody": {"content": {t: {"schema": {
            "type": "string", "format": "binary"}} for t in sorted(PHOTO_TYPES)}}})
    async def add_photo(hazard_id: str, principal: Viewer, request: Request,
                        stage: Annotated[Literal["found", "fix", "verify"], Query()] = "found",
                        name: Annotated[str, Query(max_length=200)] = "photo",
                        ) -> dict[str, Any]:
        """A photo of the hazard (as found, fixed or verified): the body is the image."""
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind not in PHOTO_TYPES:
            raise HTTPException(415, "a photo is image/jpeg, image/png or image/webp")
        data = await request.body()
        if len(data) > MAX_PHOTO_BYTES:
            raise HTTPException(413, "a photo is at most 8 MB")
        return await _store_photo(hazard_id, stage, name, kind, data, principal, request)

    @router.post("/hazards/{hazard_id}/camera", status_code=201, responses=ERRORS)
    async def add_camera_view(hazard_id: str, principal: Viewer, request: Request,
                              camera: Annotated[str, Query(min_length=1)],
                              stage: Annotated[Literal["found", "fix", "verify"], Query()]
                              = "fix") -> dict[str, Any]:
        """The camera's view now, kept as a photo of the hazard (the fix seen on camera)."""
        return await _store_photo(hazard_id, stage, f"{camera}.jpg", "image/jpeg",
                                  newest_frame(gateway, camera), principal, request)

    async def _store_photo(hazard_id: str, stage: str, name: str, kind: str, data: bytes,
                           principal: Principal, request: Request) -> dict[str, Any]:
        with _refusals():
            hazard = await register.get(hazard_id)
        if hazard.state is HazardState.CLOSED:
            raise HTTPException(409, "the hazard is closed")
        stored = await register.hazards.add_file(hazard_id, stage, name, kind, data,
                                                 principal.name, gateway.clock.now())
        await gateway.accounts.audit(principal.name, "hazard.photo", hazard_id,
                                     {"stage": stage, "sha256": stored.sha256},
                                     address(request))
        return stored.to_dict() | {"added_at": iso(stored.added_at, tz)}

    @router.get("/hazards/{hazard_id}/photos/{file_id}", responses={
        **UNAUTHENTICATED, **NOT_FOUND, 200: {"content": {"image/jpeg": {}}}})
    async def photo(hazard_id: str, file_id: str, _: Viewer) -> Response:
        found = await register.hazards.file(hazard_id, file_id)
        if found is None:
            raise HTTPException(404, f"no photo {file_id} of {hazard_id}")
        meta, data = found
        return Response(data, media_type=meta.content_type,
                        headers={"Cache-Control": "private, max-age=3600",
                                 "X-Content-SHA256": meta.sha256})

    @router.post("/hazards/{hazard_id}/{action}", responses=ERRORS)
    async def act(hazard_id: str, action: Action, body: StepRequest,
                  principal: Viewer, request: Request) -> dict[str, Any]:
        """A step of the closed loop. The responsible person plans and reports the fix;
        someone else verifies it; a supervisor closes it out (销账), reassigns or reopens;
        the safety chief reviews a major hazard before it is closed."""
        command: HazardCommand
        if action == "plan":
            command = PlanFix(body.fix_plan or body.note)
        elif action == "reassign":
            if body.deadline is None:
                raise _unprocessable("deadline", "a new deadline is required")
            command = Reassign(body.responsible, moment(body.deadline), body.note)
        else:
            command = NOTED[action](body.note)
        actor = HazardActor(principal.name, principal.role)
        with _refusals():
            hazard = await register.act(hazard_id, command, actor)
        return await audited(principal, request, action, hazard,
                             {"note": body.note, "fix_plan": body.fix_plan,
                              "responsible": body.responsible, "state": hazard.state.value})

    @router.get("/inspections", responses=UNAUTHENTICATED)
    async def list_inspections(_: Viewer) -> list[dict[str, Any]]:
        """The quarterly self-inspections (每季度排查), newest first; this quarter's is
        scheduled on its school day."""
        await register.schedule_inspection()
        now = gateway.clock.now()
        return [{"id": i.id, "due": iso(i.due, tz), "checklist": i.checklist,
                 "completed_by": i.completed_by,
                 "completed_at": iso(i.completed_at, tz) if i.completed_at else None,
                 "overdue": i.completed_at is None and now > i.due}
                for i in await register.hazards.inspections()]

    @router.post("/inspections/{inspection_id}/complete", responses=ERRORS)
    async def complete(inspection_id: str, body: InspectionRequest, principal: Supervisor,
                       request: Request) -> dict[str, Any]:
        """Record the inspection done: every category answered, the findings registered
        as hazards in the same transaction."""
        findings = [HazardDraft(zone=f.zone, category=f.category, level=f.level,
                                title=f.title, description=f.description or f.title,
                                responsible=f.responsible,
                                deadline=moment(f.deadline))
                    for f in body.findings]
        with _refusals():
            done, made = await register.complete_inspection(
                inspection_id, body.checklist, findings, principal.name)
        await gateway.accounts.audit(principal.name, "inspection.complete", inspection_id,
                                     {"hazards": [h.id for h in made]}, address(request))
        return {"id": done.id, "completed_by": done.completed_by,
                "hazards": [shown(h) for h in made]}

    return router


@contextmanager
def _refusals() -> Iterator[None]:
    """Hazard refusals as HTTP errors: 404 unknown, 403/409/422 as decided."""
    try:
        yield
    except HazardNotFound as exc:
        raise HTTPException(404, f"no hazard {exc}") from None
    except HazardRefused as exc:
        if exc.status == 422:
            raise _unprocessable(exc.field or "body", str(exc)) from None
        raise HTTPException(exc.status, str(exc)) from None


def _unprocessable(field: str, message: str) -> HTTPException:
    """A 422 in FastAPI's own form, naming the field."""
    return HTTPException(422, [{"loc": ["body", field], "msg": message,
                                "type": "value_error"}])
