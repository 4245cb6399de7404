"""Shift handover and the procedures (SOPs): the outgoing operator leaves a note with the
open, claimed and snoozed alerts; the incoming one accepts it. Supervisors edit
procedures, each edit a new version, audited."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError

from gateway.alerts.procedures import SopError
from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.schemas import CONFLICT, NOT_FOUND, View
from gateway.app.gateway import Gateway
from gateway.core.accounts import Principal, Role
from gateway.core.alerts import AlertState
from gateway.core.handover import Handover
from gateway.core.sops import Sop, SopConfig, SopStepConfig
from gateway.core.timefmt import iso

ERRORS = {**UNAUTHENTICATED, **NOT_FOUND, **CONFLICT}


class HandoverView(View):
    id: str
    from_user: str
    note: str
    at: str
    open: list[str] = Field(description="Alerts nobody had acknowledged.")
    claimed: list[str] = Field(description="Alerts someone owned.")
    snoozed: list[str] = Field(description="Alerts put aside.")
    accepted_by: str | None
    accepted_at: str | None
    accept_note: str


class HandoverListing(View):
    pending: HandoverView | None = Field(description="The newest, if nobody accepted it.")
    recent: list[HandoverView]


class HandoverRequest(BaseModel):
    note: str = Field(min_length=1, max_length=5000,
                      description="What the next shift must know.")


class AcceptRequest(BaseModel):
    note: str = Field(default="", max_length=2000)


class SopStepView(View):
    id: str
    kind: str
    text: str
    text_en: str
    required: bool
    number: str


class SopView(View):
    id: str
    version: int
    title: str
    title_en: str
    category: str | None
    steps: list[SopStepView]
    edited_by: str
    edited_at: str


class SopEdit(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    title_en: str = Field(default="", max_length=200)
    category: str | None = None
    steps: tuple[SopStepConfig, ...] = Field(min_length=1)


def shift_routes(gateway: Gateway, require: Require) -> APIRouter:
    router = APIRouter()
    tz = gateway.config.site.tz
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
    Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
    Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]

    def handover_view(h: Handover) -> HandoverView:
        return HandoverView(
            id=h.id, from_user=h.from_user, note=h.note, at=iso(h.at, tz), open=list(h.open),
            claimed=list(h.claimed), snoozed=list(h.snoozed), accepted_by=h.accepted_by,
            accepted_at=None if h.accepted_at is None else iso(h.accepted_at, tz),
            accept_note=h.accept_note)

    def sop_view(sop: Sop) -> SopView:
        return SopView(id=sop.id, version=sop.version, title=sop.title,
                       title_en=sop.title_en, category=sop.category,
                       steps=[SopStepView.model_validate(s.to_dict()) for s in sop.steps],
                       edited_by=sop.edited_by, edited_at=iso(sop.edited_at, tz))

    @router.get("/handover", tags=["handover"], responses=UNAUTHENTICATED)
    async def handovers(_: Viewer) -> HandoverListing:
        recent = await gateway.store.handovers.recent(20)
        pending = recent[0] if recent and recent[0].accepted_by is None else None
        return HandoverListing(pending=None if pending is None else handover_view(pending),
                               recent=[handover_view(h) for h in recent])

    @router.post("/handover", status_code=201, tags=["handover"], responses=ERRORS)
    async def hand_over(body: HandoverRequest, principal: Operator,
                        request: Request) -> HandoverView:
        """Hand the shift over: the note, and the alerts still being worked."""
        now = gateway.clock.now()
        queue = await gateway.store.alerts.queue()
        handover = Handover(
            id=f"{int(now * 1000):011x}{secrets.token_hex(3)}", from_user=principal.name,
            note=body.note, at=now,
            open=tuple(a.id for a in queue if a.state is AlertState.OPEN or a.cleared_unseen),
            claimed=tuple(a.id for a in queue if a.owner and a.active),
            snoozed=tuple(a.id for a in queue
                          if a.snoozed_until is not None and a.snoozed_until > now))
        await gateway.store.handovers.add(handover)
        await gateway.accounts.audit(principal.name, "handover", handover.id,
                                     {"open": len(handover.open),
                                      "claimed": len(handover.claimed)}, address(request))
        return handover_view(handover)

    @router.post("/handover/{handover_id}/accept", tags=["handover"], responses=ERRORS)
    async def accept(handover_id: str, body: AcceptRequest, principal: Operator,
                     request: Request) -> HandoverView:
        """The incoming operator takes the shift over (not the one who handed it)."""
        recent = {h.id: h for h in await gateway.store.handovers.recent(50)}
        found = recent.get(handover_id)
        if found is not None and found.from_user == principal.name:
            raise HTTPException(409, "the incoming operator accepts a handover, not the "
                                     "one who wrote it")
        done = await gateway.store.handovers.accept(handover_id, principal.name,
                                                    gateway.clock.now(), body.note)
        if done is None:
            raise HTTPException(409 if found else 404,
                                "already accepted" if found else f"no handover {handover_id}")
        await gateway.accounts.audit(principal.name, "handover.accept", handover_id,
                                     {"from": done.from_user}, address(request))
        return handover_view(done)

    @router.get("/sops", tags=["sops"], responses=UNAUTHENTICATED)
    async def sops(_: Viewer) -> list[SopView]:
        """The newest version of every procedure."""
        return [sop_view(sop) for sop in gateway.sops.all()]

    @router.get("/sops/{sop_id}/versions", tags=["sops"],
                responses={**UNAUTHENTICATED, **NOT_FOUND})
    async def versions(sop_id: str, _: Viewer) -> list[SopView]:
        """Every version of a procedure, newest first."""
        found = await gateway.sops.versions(sop_id)
        if not found:
            raise HTTPException(404, f"no procedure {sop_id!r}")
        return [sop_view(sop) for sop in found]

    @router.put("/sops/{sop_id}", tags=["sops"], responses=ERRORS)
    async def edit(sop_id: str, body: SopEdit, principal: Supervisor,
                   request: Request) -> SopView:
        """A new version of a procedure; alerts raised from now on follow it."""
        try:
            sop = SopConfig(id=sop_id, **body.model_dump()).sop()
            stored = await gateway.sops.edit(sop, principal.name, gateway.clock.now())
        except SopError as exc:
            raise HTTPException(404, str(exc)) from None
        except ValidationError as exc:  # the procedure id or a step, checked as config is
            raise HTTPException(422, [{"loc": ["path" if e["loc"][:1] == ("id",) else "body",
                                               *e["loc"]], "msg": e["msg"], "type": e["type"]}
                                      for e in exc.errors()]) from None
        except ValueError as exc:
            raise HTTPException(422, [{"loc": ["body"], "msg": str(exc),
                                       "type": "value_error"}]) from None
        await gateway.accounts.audit(principal.name, "sop.edit", sop_id,
                                     {"version": stored.version}, address(request))
        return sop_view(stored)

    return router
