"""The channel seam: a channel encodes its own message from an outbox job's alert revision,
delivers it, and returns a receipt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.core.repositories import ForwardJob

__all__ = ["Channel", "DeliveryError", "ForwardJob", "Receipt"]


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
