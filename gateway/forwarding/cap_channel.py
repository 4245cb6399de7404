"""The CAP channel: each alert revision as an OASIS CAP 1.2 message (`cap.py`), one signed
HTTP(S) POST per attempt, exactly as the police channel signs (docs/linkage.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from gateway.core.alerts import AlertRevision
from gateway.core.clock import Clock
from gateway.core.health import Health
from gateway.forwarding.cap import (
    CONTENT_TYPE,
    DEFAULT_RADIUS_KM,
    AreaShape,
    CapProfile,
    Scope,
    cap_message,
    original_reference,
)
from gateway.forwarding.cap_signature import CapSignatureConfig, CapSigner
from gateway.forwarding.channel import ForwardJob, Receipt
from gateway.forwarding.signed_http import SignedHttpConfig, SignedPoster

DEFAULT_RESTRICTION = "仅限公安及应急部门 For police and emergency services only"
EVIDENCE_PREFIX = "evidence/"
"""Where the API serves the evidence folder: links start with it (gateway/app/evidence.py)."""


class CapChannelConfig(SignedHttpConfig):
    """HTTP(S) POST of OASIS CAP 1.2 XML, signed like the police channel."""

    type: Literal["cap"]
    id: str = Field(description="Channel id that rules name.")
    sender: str = Field(description="CAP sender, e.g. `campusgw@school.example`.",
                        pattern=r"^[^\s,<&]+$")
    sender_name: str = Field(default="", description="CAP senderName (default: site name).")
    web: str = Field(default="", pattern=r"^(https?://.*)?$",
                     description="Base URL of alert pages: `web` is `<web>/alerts/<id>`.")
    scope: Scope = Field(default="Restricted", description="CAP scope.")
    restriction: str = Field(default=DEFAULT_RESTRICTION,
                             description="Who may see it (CAP restriction, Restricted only).")
    radius_km: float = Field(default=DEFAULT_RADIUS_KM, gt=0,
                             description="Radius of the circle around a zone's point.")
    evidence_dir: Path | None = Field(
        default=None, description="The gateway's evidence folder: frames found there get "
                                  "a size, SHA-1 digest and SHA-256.")
    signature: CapSignatureConfig | None = Field(
        default=None, description="Sign each message (XML-DSig, enveloped in `alert`) "
                                  "with this key and certificate; none: unsigned.")

    @model_validator(mode="after")
    def _restriction_when_restricted(self) -> CapChannelConfig:
        if self.scope == "Restricted" and not self.restriction.strip():
            raise ValueError("scope Restricted needs a restriction")
        return self


class CapChannel:
    """Delivers CAP 1.2 messages to a receiver over HTTP(S), signed with HMAC-SHA256.

    Delivery, retries, answers and health are those of the police channel (`SignedPoster`);
    only the body differs: `cap_message()` of the job's revision (signed with XML-DSig
    when `signature:` is configured), `Content-Type` `application/cap+xml`. Frames under
    `evidence_dir` are read on each attempt.
    """

    def __init__(self, config: CapChannelConfig, clock: Clock) -> None:
        self.id = config.id
        self.forward_drills = config.forward_drills
        self._profile = CapProfile(sender=config.sender, sender_name=config.sender_name,
                                   web=config.web, scope=config.scope,
                                   restriction=config.restriction)
        self._radius_km = config.radius_km
        self._evidence_dir = config.evidence_dir
        self._signer = CapSigner(config.signature) if config.signature is not None else None
        self._poster = SignedPoster(config, clock)

    async def start(self) -> None:
        """Nothing to open ahead: the HTTP session is made on the first attempt."""

    def health(self) -> Health:
        return self._poster.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        self._poster.on_health_change(listener)

    async def deliver(self, job: ForwardJob) -> Receipt:
        return await self._poster.post(await self.message(job.payload), CONTENT_TYPE,
                                       job.idempotency_key)

    async def message(self, revision: AlertRevision) -> bytes:
        """The CAP XML this channel sends for `revision`."""
        frames = await asyncio.to_thread(self._frames, revision.alert.evidence)
        place = revision.place
        area = (AreaShape(place.point, place.polygon, self._radius_km)
                if place.point is not None or place.polygon else None)
        message = cap_message(revision, original_reference(revision, self._profile.sender),
                              self._profile, area, frames)
        return self._signer.sign(message) if self._signer is not None else message

    async def stop(self) -> None:
        """Close the HTTP session; a later attempt opens a new one."""
        await self._poster.close()

    def _frames(self, links: tuple[str, ...]) -> dict[str, bytes]:
        """The bytes of the evidence items found in `evidence_dir` (none without it)."""
        if self._evidence_dir is None:
            return {}
        folder = self._evidence_dir.resolve()
        frames = {}
        for link in links:
            relative = link.lstrip("/").removeprefix(EVIDENCE_PREFIX)
            path = (folder / relative).resolve()
            if not path.is_relative_to(folder):
                continue  # never read outside the evidence folder
            try:
                frames[link] = path.read_bytes()
            except OSError:
                continue  # not (or no longer) there: sent without digest
        return frames
