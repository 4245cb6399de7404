"""The channel seam: a channel delivers one outbox job and returns a receipt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ForwardJob:
    """One document to deliver to one channel, exactly as stored in the outbox.

    `body` is the JSON text sent byte for byte on every attempt; `idempotency_key` is
    stable per alert and per revision, so the receiver can drop repeats.
    """

    id: int
    alert_id: str
    channel: str
    revision: int
    idempotency_key: str
    body: str
    created_at: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the receiver answered: its receipt id, when it gives one."""

    receipt_id: str | None
    detail: str = ""


class DeliveryError(Exception):
    """This attempt failed; the job is retried later."""


class Channel(Protocol):
    id: str
    forward_drills: bool

    async def deliver(self, job: ForwardJob) -> Receipt: ...

    async def aclose(self) -> None: ...
