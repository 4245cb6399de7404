"""Status coming back from the linkage platforms (the police): signed like what we send
them (docs/linkage.md), idempotent by the platform's own key, kept on the alert's history
and shown to the operators, forwarded to nobody.

No login: the signature with the channel's secret is the credential, and it is checked
before anything else, so an unsigned caller learns nothing (not even whether an alert or a
channel exists)."""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.app.api.schemas import Problem
from gateway.app.gateway import Gateway
from gateway.core.linkage import LinkageStatus, PoliceStatus
from gateway.core.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify,
)
from gateway.forwarding.signed_http import SignedHttpConfig

MAX_BODY = 16 * 1024
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
MAX_STATUSES = 100
"""Statuses one alert keeps: a platform sends a handful; every one is shown with the alert
(live, in every change), so without a bound one alert could grow without end."""
BAD_SIGNATURE = "bad signature"


class StatusReport(BaseModel):
    """What the platform says about one alert it received from us."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str = Field(min_length=1, max_length=64, description="The `alert.id` of our "
                                                                  "document.")
    status: PoliceStatus = Field(description="accepted, rejected, dispatched, on_scene, "
                                             "closed or cancel_ack.")
    at: datetime | None = Field(default=None, description="When (ISO 8601 with offset, "
                                                          "2000–2099); default: when received.")
    reason: str = Field(default="", max_length=500, description="Why rejected.")
    unit: str = Field(default="", max_length=200, description="Who was dispatched.")
    eta_s: float | None = Field(default=None, ge=0, le=86_400, description="Their ETA.")
    disposition: str = Field(default="", max_length=500, description="How it was closed.")
    note: str = Field(default="", max_length=2000)

    @field_validator("at")
    @classmethod
    def _plausible(cls, at: datetime | None) -> datetime | None:
        """A time every time zone can show: not year 1 or 9999 (nor an hour from them)."""
        if at is not None and not EARLIEST <= at.replace(tzinfo=at.tzinfo or UTC) < LATEST:
            raise ValueError("must be in the years 2000 to 2099")
        return at


class StatusAnswer(BaseModel):
    alert_id: str
    duplicate: bool = Field(description="This key was received before: nothing changed.")
    revision: int | None = Field(description="The alert's revision after it.")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "No Idempotency-Key, or a body too large."},
    401: {"model": Problem, "description": "Unknown channel, unsigned, badly signed, or "
                                          "a timestamp outside the window."},
    404: {"model": Problem, "description": "No such alert (only once signed)."},
    409: {"model": Problem, "description": f"The alert holds {MAX_STATUSES} statuses already."},
    422: {"model": Problem, "description": "Not a status report."}}


def linkage_routes(gateway: Gateway) -> APIRouter:
    router = APIRouter(tags=["linkage"])
    secrets = {c.id: c.secret.get_secret_value().encode()
               for c in gateway.config.channels if isinstance(c, SignedHttpConfig)}
    counts: Counter[str] = gateway.linkage_inbound

    def refuse(code: int, reason: str, detail: str | None = None) -> HTTPException:
        counts[reason] += 1
        return HTTPException(code, detail or reason)

    @router.post("/linkage/{channel_id}/status", responses=ERRORS)
    async def status(channel_id: str, request: Request) -> StatusAnswer:
        """A status from the platform of channel `channel_id`, signed with its secret
        (`X-Campusgw-Signature`, `X-Campusgw-Timestamp`) and keyed (`Idempotency-Key`)."""
        body = await request.body()
        if len(body) > MAX_BODY:
            raise refuse(400, "too large", f"a status is at most {MAX_BODY} bytes")
        secret = secrets.get(channel_id)
        if secret is None:
            raise refuse(401, BAD_SIGNATURE)
        try:
            verify(secret, request.headers.get(TIMESTAMP_HEADER), body,
                   request.headers.get(SIGNATURE_HEADER), now=gateway.clock.now())
        except SignatureError as exc:
            raise refuse(401, exc.reason) from None
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > 200:
            raise refuse(400, "no idempotency key", f"give an {IDEMPOTENCY_HEADER} "
                                                    "(at most 200 characters)")
        try:
            report = StatusReport.model_validate_json(body)
        except ValidationError as exc:
            counts["malformed"] += 1
            # Not the input: a number too large for JSON (1e400) could not be answered.
            raise HTTPException(422, exc.errors(include_url=False, include_context=False,
                                                include_input=False)) from None
        stored = await gateway.store.alerts.get(report.alert_id)
        if stored is None:
            raise refuse(404, "unknown alert", f"no alert {report.alert_id}")
        now = gateway.clock.now()
        if not await gateway.store.linkage_inbox.claim(channel_id, key, report.alert_id, now):
            counts["duplicate"] += 1
            return StatusAnswer(alert_id=report.alert_id, duplicate=True, revision=None)
        if len(stored.linkage) >= MAX_STATUSES:  # a resent one is still a duplicate
            await gateway.store.linkage_inbox.release(channel_id, key)
            raise refuse(409, "too many statuses", f"alert {report.alert_id} holds "
                                                   f"{MAX_STATUSES} statuses already")
        received = LinkageStatus(
            channel_id, report.status, now if report.at is None else report.at.timestamp(),
            now, report.reason, report.unit, report.eta_s, report.disposition, report.note)
        try:
            alert = await gateway.manager.linkage_status(report.alert_id, received)
        except Exception:
            await gateway.store.linkage_inbox.release(channel_id, key)
            raise
        counts["accepted"] += 1
        return StatusAnswer(alert_id=report.alert_id, duplicate=False,
                            revision=None if alert is None else alert.revision)

    return router
